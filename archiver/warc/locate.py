"""Find the records of a WARC (or of the WARCs in a WACZ) by URL, reading headers only.

What ``archiver import`` needs of another tool's file: every response (and revisit) for a URL
with its date, status, redirect target and place in its WARC, the request that went with it,
the record a revisit refers to, and what the warcinfo says made it.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archiver.warc.records import WarcError, one_gzip_member, open_warc
from archiver.warc.wacz import MULTI_PROFILE


@dataclass(frozen=True)
class LocatedResponse:
    """One response (or revisit) record: where it is, what it answered, and its request, if
    recorded; a revisit also names the record whose payload it did not store again."""

    member: str | None  # the WARC inside a WACZ that holds it; None for a WARC file
    record_id: str
    target_uri: str
    date: str
    status: int | None
    content_type: str | None
    location: str | None
    request_id: str | None
    ip_address: str | None
    payload_digest: str | None
    position: int = 0  # its place among the records of its WARC: a capture's order
    kind: str = "response"  # or "revisit"
    refers_to: str | None = None  # a revisit's WARC-Refers-To
    refers_to_uri: str | None = None  # WARC-Refers-To-Target-URI
    refers_to_date: str | None = None  # WARC-Refers-To-Date
    page_id: str | None = None  # WARC-Page-ID (Browsertrix): the page whose capture it is


@dataclass(frozen=True)
class Contents:
    """The responses of a file, and what made it (warcinfo ``software``; a WACZ's package)."""

    responses: tuple[LocatedResponse, ...]
    warc_software: str | None
    package_software: str | None


def same_url(a: str, b: str) -> bool:
    """Whether two URLs name the same resource: scheme and host case, an empty path and a
    default port do not count (wget writes ``<...>``, browsers lower-case hosts)."""
    return _normal(a) == _normal(b)


def _normal(url: str) -> str:
    parts = urlsplit(url.strip().strip("<>"))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(scheme)
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, default) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def read_contents(path: Path, *, wacz: bool) -> Contents:
    """Every response in the WARC at ``path`` (or in each WARC a WACZ lists under archive/)."""
    package_software = None
    members: list[str | None] = [None]
    if wacz:
        with zipfile.ZipFile(path) as z:
            package = json.loads(z.read("datapackage.json"))
        if isinstance(package, dict) and package.get("profile") == MULTI_PROFILE:
            inner = [r.get("path") for r in package.get("resources", []) if isinstance(r, dict)]
            raise WarcError(path, "a multi-WACZ package (of " + ", ".join(map(str, inner)) +
                            "): import takes one WACZ; unzip it and import a member package")
        package_software = package.get("software") if isinstance(package, dict) else None
        members = [r["path"] for r in package.get("resources", [])
                   if isinstance(r, dict) and str(r.get("path", "")).startswith("archive/")]
    responses: list[LocatedResponse] = []
    software = None
    for member in members:
        found, info = _walk(path, member)
        responses += found
        software = software or info
    return Contents(tuple(responses), software,
                    package_software if isinstance(package_software, str) else None)


def _walk(path: Path, member: str | None) -> tuple[list[LocatedResponse], str | None]:
    where = f"{path}/{member}" if member else str(path)
    try:
        try:
            with open_warc(path, member) as stream:
                return _walk_stream(stream, member)
        except ArchiveLoadFailed as exc:
            if not one_gzip_member(exc):
                raise
            # one gzip member for many records (non-conformant, accepted): read it inflated
            with open_warc(path, member) as stream, gzip.GzipFile(fileobj=stream) as plain:
                return _walk_stream(plain, member)
    except (ArchiveLoadFailed, OSError, EOFError) as exc:
        raise WarcError(where, f"cannot read WARC: {' '.join(str(exc).split())}") from None


def _walk_stream(stream: IO[bytes],
                 member: str | None) -> tuple[list[LocatedResponse], str | None]:
    requests: dict[str, str] = {}  # response id -> request id, from the request's side
    request_ids: set[str] = set()
    found: list[LocatedResponse] = []
    software = None
    # headers only: warcio skips each body unread (digests are check_warc's job)
    for position, record in enumerate(ArchiveIterator(stream, check_digests=False)):
        headers = record.rec_headers
        kind = record.rec_type
        if kind == "warcinfo" and software is None:
            software = _software(record.content_stream().read(1 << 16))
        elif kind == "request":
            request_ids.add(headers.get_header("WARC-Record-ID"))
            if to := headers.get_header("WARC-Concurrent-To"):
                requests[to] = headers.get_header("WARC-Record-ID")
        elif kind in ("response", "revisit"):
            found.append(_response(record, member, position))
    return [_with_request(r, requests, request_ids) for r in found], software


def _response(record: Any, member: str | None, position: int) -> LocatedResponse:
    headers = record.rec_headers
    http = record.http_headers
    status = None
    location = content_type = None
    if http is not None:
        content_type = http.get_header("Content-Type")
        try:
            status = int(http.get_statuscode())
        except (TypeError, ValueError):
            status = None
        location = http.get_header("Location")
    return LocatedResponse(
        member=member,
        record_id=headers.get_header("WARC-Record-ID"),
        target_uri=(headers.get_header("WARC-Target-URI") or "").strip().strip("<>"),
        date=headers.get_header("WARC-Date") or "",
        status=status,
        content_type=content_type,
        location=location,
        request_id=headers.get_header("WARC-Concurrent-To"),
        ip_address=headers.get_header("WARC-IP-Address"),
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        position=position,
        kind=record.rec_type,
        refers_to=headers.get_header("WARC-Refers-To"),
        refers_to_uri=(headers.get_header("WARC-Refers-To-Target-URI") or "").strip().strip("<>")
        or None,
        refers_to_date=headers.get_header("WARC-Refers-To-Date"),
        page_id=headers.get_header("WARC-Page-ID"),
    )


def _with_request(response: LocatedResponse, requests: dict[str, str],
                  request_ids: set[str]) -> LocatedResponse:
    """The request of a response: the one that names it, else the request it names (its
    WARC-Concurrent-To may name a metadata record instead), else none."""
    named = response.request_id if response.request_id in request_ids else None
    request = requests.get(response.record_id) or named
    return LocatedResponse(**{**response.__dict__, "request_id": request})


def _software(block: bytes) -> str | None:
    """The ``software`` field of a warcinfo block (application/warc-fields)."""
    for line in block.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "software" and value.strip():
            return value.strip()
    return None
