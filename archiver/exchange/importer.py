"""``archiver import``: register a capture another tool made (WARC, WARC.GZ, WACZ) as a source's.

The file is copied byte for byte into the collection and checked there (so what is checked is
what is kept): a damaged file is refused with its findings, a non-conformant one unless the
person accepts it, recorded. The response for the URL is found (the latest, or a given record),
its redirects followed within the same capture (the same WARC, in its order), a revisit
resolved to the response it refers to; the tool that made the file is read from its warcinfo or
datapackage, and a WACZ's signature is verified and recorded. A new source gets its text
extracted as a capture's; an existing one keeps its text and gains the capture. A refused
import leaves nothing behind, and its messages name the file given, not the copy.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from archiver.capture.pages import WARC_MEDIA_TYPE, add_text, source_id_for
from archiver.collection import Collection
from archiver.errors import EXIT_FINDINGS, ArchiverError
from archiver.exchange.choice import chain_for, moment, original_of
from archiver.fidelity.extract import extract
from archiver.fileio import sha256_file
from archiver.findings import Finding, Severity
from archiver.history import current_user, record
from archiver.manifest import (
    Capture,
    Claim,
    Exchange,
    FileEntry,
    FileRole,
    Imported,
    Manifest,
    Metadata,
    Nonconformance,
    Revisit,
    SignatureStatus,
    Status,
    Tool,
    load_manifest,
    now,
)
from archiver.warc.check import WarcReport, check_warc, sniff
from archiver.warc.locate import Contents, LocatedResponse, read_contents, same_url
from archiver.warc.records import (
    ArchivedResponse,
    PayloadTooLargeError,
    WarcError,
    read_response,
)

WACZ_MEDIA_TYPE = "application/wacz"
# "Wget/1.21.3", "py-wacz 0.6.0", "wabac.js@2.20.1", "WAIL-1.2.0", "ArchiveWeb.page 0.8.1,
# using warcio.js 1.5.1": the name, then a version after "/", " ", "@", "-" or "_" (a "v" allowed)
_SOFTWARE = re.compile(r"^\s*(?P<name>.+?)\s*(?:[/@_-]|\s)\s*[vV]?(?P<version>\d[\w.+-]*)")
# a build that left its version placeholder unfilled: Heritrix's "Heritrix/@VERSION@"
_PLACEHOLDER = re.compile(r"^\s*(?P<name>.+?)\s*[/ ]\s*(?P<placeholder>@[A-Za-z_]+@)")
_BLOCK = 1 << 20


class ImportRefusedError(ArchiverError):
    """The file is damaged, or non-conformant and not accepted: nothing was imported; exit 1."""

    exit_code = EXIT_FINDINGS

    def __init__(self, path: str | Path, reason: str, findings: list[Finding]) -> None:
        super().__init__(path, reason)
        self.findings = findings


@dataclass(frozen=True)
class ImportOptions:
    """What ``archiver import`` was asked: the URL, and optionally the source and record."""

    url: str
    source_id: str | None = None
    record_id: str | None = None
    accept_nonconformant: bool = False
    by: str | None = None  # who imports and accepts a non-conformant file (default: login user)


@dataclass(frozen=True)
class ImportOutcome:
    """The capture recorded, its file's check, and the text written (for a new source)."""

    source_id: str
    capture: Capture
    report: WarcReport
    text_path: str | None
    warnings: tuple[Finding, ...]


def import_capture(collection: Collection, path: Path, options: ImportOptions) -> ImportOutcome:
    """Import the WARC or WACZ at ``path`` as a capture of ``options.url``; call under
    ``collection.writing()``. Raises ImportRefusedError (with the findings) for a file that
    is damaged or, unless accepted, non-conformant; ArchiverError for unusable input."""
    from archiver.sources import check_url

    check_url(options.url)
    suffix, wacz = _kind(path)
    source_id = options.source_id or source_id_for(options.url)
    manifest_path = collection.manifest_path(source_id)
    existing = load_manifest(manifest_path) if manifest_path.exists() else None
    if existing is None:
        manifest_path = collection.new_manifest_path(source_id)
    elif options.source_id is None:
        raise ArchiverError(manifest_path, f"source {source_id} exists already; import into it "
                                           f"with --id {source_id}")
    elif (known := existing.metadata.url.value) and not same_url(known, options.url):
        raise ArchiverError(manifest_path, f"source {source_id} is the page at {known}, not "
                                           f"{options.url}")
    imported_at = now()
    capture_id = f"{imported_at:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
    relpath = f"corpus/{source_id}/{source_id}-{capture_id}{suffix}"
    with collection.staging() as staged:
        try:
            stored = staged.write(relpath, _chunks(path))
        except OSError as exc:
            raise ArchiverError(exc.filename or path, f"cannot copy: {exc.strerror}") from None
        report = check_warc(stored, sha256=True)
        # what is said about the copy is said of the file the person gave
        report.findings = [_named_as(f, stored, path) for f in report.findings]
        original_sha256 = _sha256(path)
        if original_sha256 != report.sha256:
            raise ArchiverError(path, "the file changed while it was copied; nothing imported")
        nonconformant = _judge(path, report, options)
        warnings = [f for f in report.findings if f.severity is Severity.WARNING]
        try:
            contents = read_contents(stored, wacz=wacz)
        except WarcError as exc:
            raise ArchiverError(path, exc.reason) from None
        chain = chain_for(contents, options.url, options.record_id, path)
        seen = chain[-1]
        final = original_of(contents, seen, path) if seen.kind == "revisit" else seen
        # digests just verified by check_warc, by whichever convention the maker followed
        try:
            response: ArchivedResponse | None = read_response(
                stored, final.record_id, member=final.member, check_digests=False,
                stale_codings=True)
        except WarcError as exc:  # kept as evidence all the same, without a text
            response = None
            code = ("payload-too-large" if isinstance(exc, PayloadTooLargeError)
                    else "text-not-extracted")
            warnings.append(Finding(code, exc.reason, path=relpath))
        computed = final.payload_digest is None
        if computed and response is None:
            raise ArchiverError(path, f"response record {final.record_id} carries no "
                                      "WARC-Payload-Digest, and its payload cannot be read "
                                      "to compute one; nothing imported")
        assert report.sha256 is not None and report.size is not None
        capture = _capture(capture_id, options, relpath, report.sha256, chain, final, response,
                           _maker(contents), Imported(
                               original_name=path.name,
                               original_sha256=original_sha256,
                               imported_at=imported_at,
                               made_by=contents.package_software or contents.warc_software,
                               warc_software=contents.warc_software if wacz else None,
                               record_chosen="given" if options.record_id else "latest",
                               nonconformant=nonconformant,
                               signature=_signature(stored) if wacz else None,
                               revisit=_revisit(seen) if seen is not final else None,
                               payload_digest_computed=computed,
                               notes=list(response.notes) if response else []))
        file = FileEntry(path=relpath, sha256=report.sha256, size=report.size,
                         media_type=WACZ_MEDIA_TYPE if wacz else WARC_MEDIA_TYPE,
                         role=FileRole.WARC)
        text_path = None
        if existing is not None:
            manifest = existing
            manifest.files.append(file)
            manifest.captures.append(capture)
            manifest.capture_pending = None
        else:
            manifest = Manifest(id=source_id, metadata=Metadata(url=Claim(
                value=options.url, status=Status.CONFIRMED,
                note=f"the URL of the capture imported from {path.name}")),
                files=[file], captures=[capture])
            extraction = (extract(response.body, capture.final_url, charset=response.charset)
                          if response and response.status < 400 and response.is_html else None)
        record(manifest, "captured", f"imported {path.name} (made by {capture.tool.name} "
               f"{capture.tool.version}) as the capture of {options.url}", by=options.by,
               path=relpath, sha256_after=report.sha256, at=imported_at)
        if existing is None:
            text_path = add_text(staged, manifest, capture, extraction, options.by)
        staged.commit(manifest)
    return ImportOutcome(source_id, capture, report, text_path, tuple(warnings))


def _kind(path: Path) -> tuple[str, bool]:
    """The stored file's suffix and whether it is a WACZ; refuse any other kind."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError as exc:
        raise ArchiverError(path, f"cannot read: {exc.strerror}") from None
    kind = sniff(head)
    if kind == "wacz":
        return ".wacz", True
    if kind in ("warc", "empty"):
        return (".warc.gz" if head.startswith(b"\x1f\x8b") else ".warc"), False
    what = "an ARC file" if kind == "arc" else "not a WARC or WACZ file"
    raise ArchiverError(path, f"{what}: import takes WARC, WARC.GZ or WACZ")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            yield block


def _sha256(path: Path) -> str:
    try:
        return sha256_file(path)[0]
    except OSError as exc:
        raise ArchiverError(path, f"cannot read: {exc.strerror}") from None


def _judge(path: Path, report: WarcReport, options: ImportOptions) -> Nonconformance | None:
    """Refuse a damaged file; a non-conformant one only with the person's acceptance."""
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if report.verdict == "damaged":
        raise ImportRefusedError(path, f"damaged ({len(errors)} finding(s)); nothing imported",
                                 errors)
    if report.verdict == "non-conformant":
        if not options.accept_nonconformant:
            raise ImportRefusedError(path, f"non-conformant ({len(errors)} finding(s)); import "
                                           "it with --accept-nonconformant, or rewrite it with "
                                           "a conformant tool", errors)
        return Nonconformance(findings=[f.message for f in errors], accepted_at=now(),
                              accepted_by=options.by or current_user())
    return None


def _revisit(seen: LocatedResponse) -> Revisit:
    return Revisit(record_id=seen.record_id, target_uri=seen.target_uri, date=seen.date,
                   member=seen.member, refers_to=seen.refers_to,
                   refers_to_uri=seen.refers_to_uri, refers_to_date=seen.refers_to_date)


def _named_as(finding: Finding, stored: Path, given: Path) -> Finding:
    """A finding about the stored copy, said of the file given (a WACZ's inner paths kept)."""
    if finding.path is None or not finding.path.startswith(str(stored)):
        return finding
    return replace(finding, path=str(given) + finding.path[len(str(stored)):])


def _maker(contents: Contents) -> Tool:
    """The tool that made the file, as its package or warcinfo names itself."""
    software = contents.package_software or contents.warc_software
    if software is None:
        return Tool(name="unknown (no warcinfo software field)", version="unknown")
    if placeholder := _PLACEHOLDER.match(software):
        return Tool(name=placeholder["name"], version=f"unknown (its build left "
                                                       f"{placeholder['placeholder']} unfilled)")
    match = _SOFTWARE.match(software)
    if match is None:
        return Tool(name=software, version="unknown")
    return Tool(name=match["name"].strip(), version=match["version"].rstrip(".-+"))


def _signature(stored: Path) -> SignatureStatus:
    from archiver.warc.wacz import wacz_signature

    result = wacz_signature(stored)
    return SignatureStatus(status=result.status, mode=result.mode, signer=result.signer,
                           software=result.software, created=result.created,
                           timestamp=result.timestamp, problems=list(result.problems))


def _capture(capture_id: str, options: ImportOptions, relpath: str, sha256: str,
             chain: list[LocatedResponse], final: LocatedResponse,
             response: ArchivedResponse | None, tool: Tool, imported: Imported) -> Capture:
    """The capture of ``final`` (the response, or the one a revisit refers to), reached by
    the hops of ``chain``; a revisit gives its moment and its own HTTP status."""
    seen = chain[-1]
    digest = final.payload_digest or (response.payload_sha256 if response else None)
    assert digest is not None  # import_capture refuses a record it cannot digest
    status = seen.status if seen is not final and seen.status else (
        response.status if response else final.status or 0)
    return Capture(
        id=capture_id,
        requested_url=options.url,
        final_url=final.target_uri,
        warc_path=relpath,
        warc_sha256=sha256,
        warc_member=final.member,
        request_record_id=seen.request_id,
        response_record_id=final.record_id,
        captured_at=moment(seen.date) if seen.date else imported.imported_at,
        http_status=status,
        content_type=response.header("Content-Type") if response else final.content_type,
        payload_digest=digest,
        ip_address=seen.ip_address,
        tool=tool,
        redirects=[Exchange(url=hop.target_uri, http_status=hop.status or 0,
                            request_record_id=hop.request_id, response_record_id=hop.record_id,
                            location=hop.location) for hop in chain[:-1]],
        imported=imported,
    )
