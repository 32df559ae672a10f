"""WARC files of captures: write one (a gzip member per record), read it back, get a response.

The only module that reads or writes WARC. Records are serialised here rather than by
warcio's writer because warcio compresses with zlib at level 9 (slow) and digests with sha1;
here each record is a gzip member deflated by ISA-L (python-isal). Reading
uses warcio's ArchiveIterator, which checks the block and payload digests as it goes; the
body is de-chunked and decoded by contentcoding (warcio's decoding breaks on brotli and
on chunked trailers).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import IO, Any

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archiver import __version__
from archiver.errors import ArchiverError
from archiver.warc.coding import (
    MAX_DECODED,
    BodyTooLargeError,
    DecodingError,
    dechunk,
    decode,
    looks_chunked,
    looks_encoded,
)
from archiver.warc.exchange import Fetch, HttpExchange

WARC_VERSION = "WARC/1.1"
FORMAT = "WARC File Format 1.1"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
# What WARC-Payload-Digest is computed over, stated in every warcinfo record: the HTTP body as
# it came off the wire, transfer coding (chunk framing) kept, as warcio, pywb and FastWARC
# compute it, so that their checks and pywb's revisit deduplication agree with ours.
PAYLOAD_DIGEST = "sha256 of the HTTP body as transferred (Transfer-Encoding not removed)"
# ISA-L's level 2 (of 0-3), on a 250 KB news page: 20x the speed of zlib's level 6 for 14%
# more bytes, 4x the speed of zlib's level 1 for 4% fewer
GZIP_LEVEL = 2
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_READ_BLOCK = 1 << 16


class WarcError(ArchiverError):
    """A WARC cannot be read, or does not hold what it should."""


class PayloadTooLargeError(WarcError):
    """A response whose body decodes to more than the limit (``payload-too-large``)."""


@dataclass(frozen=True)
class RecordIds:
    """The WARC records of one exchange."""

    request_id: str
    response_id: str
    payload_digest: str  # the response's WARC-Payload-Digest, as written


@dataclass(frozen=True)
class CaptureWarc:
    """A serialised capture WARC and the records it holds, one RecordIds per exchange."""

    data: bytes
    warcinfo_id: str
    exchanges: tuple[RecordIds, ...]


@dataclass(frozen=True)
class ArchivedResponse:
    """An archived HTTP response with its body decoded (transfer and content encoding)."""

    record_id: str
    target_uri: str
    date: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    payload_digest: str | None
    # what reading the body had to work around: a coding header the stored body had already
    # been decoded from (pywb's live writer, WAIL, Nutch/ClueWeb and wabac.js keep it)
    notes: tuple[str, ...] = ()
    # sha256 of the payload as stored (transfer coding kept), "sha256:<hex>", as archiver's
    # own WARC-Payload-Digest is computed
    payload_sha256: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), if present."""
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)

    @property
    def media_type(self) -> str | None:
        """The Content-Type without parameters, lower-cased."""
        value = self.header("Content-Type")
        return _content_type(value).get_content_type() if value else None

    @property
    def charset(self) -> str | None:
        """The charset declared in the Content-Type header, if any."""
        value = self.header("Content-Type")
        charset = _content_type(value).get_param("charset") if value else None
        return charset.strip() if isinstance(charset, str) and charset.strip() else None

    @property
    def is_html(self) -> bool:
        """Whether the response is an HTML page (by Content-Type, else by its first bytes)."""
        if self.header("Content-Type"):
            return self.media_type in _HTML_TYPES
        start = self.body[:1024].lstrip().lower()
        return start.startswith((b"<!doctype html", b"<html"))


def _content_type(value: str) -> Message:
    message = Message()
    message["Content-Type"] = value
    return message


def sha256_digest(data: bytes) -> str:
    """A WARC digest value: ``sha256:`` and the base16 of the sha256 of ``data``, as Browsertrix
    writes it. Padded base32 breaks the WARC grammar (``=`` is no token character) and
    warcio cannot read unpadded base32; base16 is a token that warcio, FastWARC and jwarc read."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _warc_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _record(headers: Iterable[tuple[str, str]], block: bytes) -> bytes:
    """One WARC record as its own gzip member."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    text = f"{WARC_VERSION}\r\n{head}Content-Length: {len(block)}\r\n\r\n".encode()
    packer = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 31)  # wbits 31: gzip framing
    return b"".join((packer.compress(text), packer.compress(block),
                     packer.compress(b"\r\n\r\n"), packer.flush()))


def _http_payload(message: bytes) -> bytes:
    """The bytes after an HTTP message's header block, as they came off the wire."""
    end = message.find(b"\r\n\r\n")
    return message[end + 4:] if end >= 0 else b""


def build_capture(fetch: Fetch, filename: str, info: Mapping[str, str]) -> CaptureWarc:
    """Serialise ``fetch`` as a WARC: warcinfo (``info`` fields added), then per exchange a
    request and a response record with sha256 block and payload digests."""
    warcinfo_id = _record_id()
    fields = {"software": f"archiver/{__version__}", "format": FORMAT,
              "conformsTo": CONFORMS_TO, "payloadDigest": PAYLOAD_DIGEST, **info}
    info_block = "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode()
    parts = [_record([
        ("WARC-Type", "warcinfo"),
        ("WARC-Record-ID", warcinfo_id),
        ("WARC-Date", _warc_date(fetch.exchanges[0].started_at)),
        ("WARC-Filename", filename),
        ("Content-Type", "application/warc-fields"),
        ("WARC-Block-Digest", sha256_digest(info_block)),
    ], info_block)]
    ids = []
    for exchange in fetch.exchanges:
        records = _exchange_records(exchange, warcinfo_id)
        parts.extend(records[:2])
        ids.append(records[2])
    return CaptureWarc(b"".join(parts), warcinfo_id, tuple(ids))


def _exchange_records(exchange: HttpExchange, warcinfo_id: str) -> tuple[bytes, bytes, RecordIds]:
    request_id, response_id = _record_id(), _record_id()
    payload_digest = sha256_digest(_http_payload(exchange.response))
    common = [
        ("WARC-Target-URI", exchange.url),
        ("WARC-Date", _warc_date(exchange.started_at)),
        ("WARC-IP-Address", exchange.ip_address),
        ("WARC-Warcinfo-ID", warcinfo_id),
    ]
    response = _record([
        ("WARC-Type", "response"), ("WARC-Record-ID", response_id), *common,
        ("Content-Type", "application/http;msgtype=response"),
        ("WARC-Block-Digest", sha256_digest(exchange.response)),
        ("WARC-Payload-Digest", payload_digest),
    ], exchange.response)
    request = _record([
        ("WARC-Type", "request"), ("WARC-Record-ID", request_id), *common,
        ("WARC-Concurrent-To", response_id),
        ("Content-Type", "application/http;msgtype=request"),
        ("WARC-Block-Digest", sha256_digest(exchange.request)),
        ("WARC-Payload-Digest", sha256_digest(_http_payload(exchange.request))),
    ], exchange.request)
    return request, response, RecordIds(request_id, response_id, payload_digest)


def check_capture(warc: CaptureWarc, fetch: Fetch, *, max_body: int) -> ArchivedResponse:
    """Read ``warc`` back as any reader would and return its final response; raise WarcError
    unless it holds warcinfo first, then a request and a response for every exchange, with
    every digest correct."""
    name = fetch.requested_url
    expected = ["warcinfo"]
    for exchange in fetch.exchanges:
        expected += [f"request {exchange.url}", f"response {exchange.url}"]
    found: list[str] = []
    final: ArchivedResponse | None = None
    final_id = warc.exchanges[-1].response_id
    try:
        for record in ArchiveIterator(io.BytesIO(warc.data), check_digests="raise"):
            kind = record.rec_type
            uri = record.rec_headers.get_header("WARC-Target-URI")
            found.append(kind if kind == "warcinfo" else f"{kind} {uri}")
            if record.rec_headers.get_header("WARC-Record-ID") == final_id:
                final = _archived(record, max_body, name)
    except ArchiveLoadFailed as exc:
        raise WarcError(name, f"the capture WARC does not read back: {_one_line(exc)}") from None
    if found != expected or final is None:
        raise WarcError(name, f"the capture WARC holds {found}, expected {expected}")
    return final


def read_response(path: Path, record_id: str, *, max_body: int = MAX_DECODED, offset: int = 0,
                  check_digests: bool = True, member: str | None = None,
                  stale_codings: bool = False) -> ArchivedResponse:
    """The response record ``record_id`` of the WARC at ``path``, its body decoded; raise
    WarcError if it is missing, truncated or fails its digests.

    ``offset`` (a record's start, or for .warc.gz its gzip member's) skips the records
    before it; ``check_digests=False`` is for a caller that has just verified them.
    ``member`` names the WARC inside the WACZ at ``path`` that holds the record.
    ``stale_codings`` (another tool's file): a body its maker stored decoded under its
    Transfer-Encoding or Content-Encoding header is read as stored, with a note.
    """
    where = f"{path}/{member}" if member else path
    try:
        try:
            with open_warc(path, member) as stream:
                stream.seek(offset)
                return _find_response(stream, record_id, max_body, where, check_digests,
                                      stale_codings)
        except _OneMemberError:
            # one gzip member for many records (non-conformant, accepted at import): inflated
            with open_warc(path, member) as stream, gzip.GzipFile(fileobj=stream) as plain:
                return _find_response(plain, record_id, max_body, where, check_digests,
                                      stale_codings)
    # UnicodeDecodeError: a WACZ entry name flagged as UTF-8 that is not
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise WarcError(where, f"cannot read WARC: {_one_line(exc)}") from None


class _OneMemberError(Exception):
    """warcio refused a .warc.gz whose gzip member holds more than one record."""


def one_gzip_member(exc: BaseException) -> bool:
    """Whether warcio failed because one gzip member holds several records (it reads only
    a member per record, to allow seeking)."""
    return "non-chunked gzip file detected" in str(exc)


@contextmanager
def open_warc(path: Path, member: str | None = None) -> Iterator[IO[bytes]]:
    """The WARC at ``path``, or with ``member`` the WARC of that name inside the WACZ there,
    open for reading (seekable either way)."""
    if member is None:
        with open(path, "rb") as stream:
            yield stream
        return
    with zipfile.ZipFile(path) as wacz, wacz.open(member) as stream:
        yield stream


def response_from_record(record: bytes, record_id: str, where: str | Path, *,
                         stale_codings: bool = False) -> ArchivedResponse:
    """The response record ``record_id`` given as its uncompressed bytes (as check_warc keeps
    a record it has just verified), its body decoded; the digests are not checked again."""
    return _find_response(io.BytesIO(record), record_id, MAX_DECODED, where, False, stale_codings)


def _find_response(stream: IO[bytes], record_id: str, max_body: int, where: str | Path,
                   check_digests: bool, stale_codings: bool = False) -> ArchivedResponse:
    try:
        for record in ArchiveIterator(stream, check_digests="raise" if check_digests else False):
            if (record.rec_type == "response"
                    and record.rec_headers.get_header("WARC-Record-ID") == record_id):
                return _archived(record, max_body, where, stale_codings)
    except ArchiveLoadFailed as exc:
        if one_gzip_member(exc):
            raise _OneMemberError from None
        raise WarcError(where, f"cannot read WARC: {_one_line(exc)}") from None
    raise WarcError(where, f"no response record {record_id}")


def _one_line(exc: BaseException) -> str:
    """warcio's messages span lines; an error is one line."""
    return " ".join(str(exc).split())


def _archived(record: Any, max_body: int, where: str | Path,
              stale_codings: bool = False) -> ArchivedResponse:
    http = record.http_headers
    if http is None:
        raise WarcError(where, "response record without HTTP headers")
    raw = record.raw_stream
    stream = _HashingReader(raw)
    head = stream.peek()
    notes = []
    chunked = "chunked" in (http.get_header("Transfer-Encoding") or "").lower()
    if stale_codings and chunked and head and not looks_chunked(head):
        chunked = False
        notes.append("Transfer-Encoding: chunked, but the body is stored de-chunked: read as "
                      "it is")
    encoding = http.get_header("Content-Encoding")
    if stale_codings and not chunked and head and looks_encoded(encoding, head) is False:
        notes.append(f"Content-Encoding: {encoding}, but the body is stored decoded: read as "
                     "it is")
        encoding = None
    blocks = dechunk(stream) if chunked else iter(lambda: stream.read(_READ_BLOCK), b"")
    try:
        body, problem = decode(blocks, encoding, max_body), None
    except DecodingError as exc:
        body, problem = b"", exc
    # Read what decoding left, so that the digests are checked (a damaged record is named as
    # such before its body is blamed), and refuse a record cut short: warcio returns what
    # there is without a word.
    while stream.read(_READ_BLOCK):
        pass
    if raw.limit:
        raise WarcError(where, f"response record {record.rec_headers.get_header('WARC-Record-ID')}"
                               f" is truncated ({raw.limit} bytes missing)")
    if isinstance(problem, BodyTooLargeError):
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        raise PayloadTooLargeError(where, f"response record {record_id}: {problem}")
    if problem is not None:
        raise WarcError(where, f"cannot decode the response body: {problem}")
    return ArchivedResponse(
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        target_uri=record.rec_headers.get_header("WARC-Target-URI"),
        date=record.rec_headers.get_header("WARC-Date"),
        status=int(http.get_statuscode()),
        headers=tuple(http.headers),
        body=body,
        payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
        notes=tuple(notes),
        payload_sha256="sha256:" + stream.digest.hexdigest(),
    )


class _HashingReader:
    """A record's payload stream, hashed as it is read, whose first block can be looked at."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._ahead = b""
        self.digest = hashlib.sha256()

    def peek(self) -> bytes:
        """The first bytes to come, not consumed."""
        if not self._ahead:
            self._ahead = self._stream.read(_READ_BLOCK)
        return self._ahead

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all with -1)."""
        if self._ahead:
            data = self._ahead if size < 0 else self._ahead[:size]
            self._ahead = self._ahead[len(data):]
        else:
            data = self._stream.read(size)
        self.digest.update(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        """A line, up to ``size`` bytes."""
        if self._ahead:
            end = self._ahead.find(b"\n") + 1 or len(self._ahead)
            end = end if size < 0 else min(end, size)
            line, self._ahead = self._ahead[:end], self._ahead[end:]
            if not line.endswith(b"\n") and (size < 0 or len(line) < size):
                line += self._stream.readline(-1 if size < 0 else size - len(line))
        else:
            line = self._stream.readline(size)
        self.digest.update(line)
        return line


@dataclass(frozen=True)
class RecordSpec:
    """One record of a browser capture's WARC, before it is serialised: its type
    (request, response, resource), target URI, date, block, Content-Type, and for a
    resource the record it belongs to (WARC-Concurrent-To)."""

    kind: str
    uri: str
    date: datetime
    block: bytes
    content_type: str
    record_id: str
    ip_address: str | None = None
    concurrent_to: str | None = None


def new_record_id() -> str:
    """A fresh WARC-Record-ID (a urn:uuid in angle brackets)."""
    return _record_id()


def build_records(filename: str, date: datetime, info: Mapping[str, str],
                  specs: Iterable[RecordSpec]) -> tuple[bytes, str]:
    """Serialise a warcinfo record (``info`` fields added) and then ``specs``, each with its
    sha256 block digest and (HTTP messages and resources) payload digest; return the WARC's
    bytes and the warcinfo's record id."""
    warcinfo_id = _record_id()
    fields = {"software": f"archiver/{__version__}", "format": FORMAT,
              "conformsTo": CONFORMS_TO, "payloadDigest": PAYLOAD_DIGEST, **info}
    info_block = "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode()
    parts = [_record([
        ("WARC-Type", "warcinfo"), ("WARC-Record-ID", warcinfo_id),
        ("WARC-Date", _warc_date(date)), ("WARC-Filename", filename),
        ("Content-Type", "application/warc-fields"),
        ("WARC-Block-Digest", sha256_digest(info_block)),
    ], info_block)]
    for spec in specs:
        http = spec.kind in ("request", "response")
        payload = _http_payload(spec.block) if http else spec.block
        headers = [("WARC-Type", spec.kind), ("WARC-Record-ID", spec.record_id),
                   ("WARC-Target-URI", spec.uri), ("WARC-Date", _warc_date(spec.date))]
        if spec.ip_address:
            headers.append(("WARC-IP-Address", spec.ip_address))
        headers.append(("WARC-Warcinfo-ID", warcinfo_id))
        if spec.concurrent_to:
            headers.append(("WARC-Concurrent-To", spec.concurrent_to))
        headers += [("Content-Type", spec.content_type),
                    ("WARC-Block-Digest", sha256_digest(spec.block)),
                    ("WARC-Payload-Digest", sha256_digest(payload))]
        parts.append(_record(headers, spec.block))
    return b"".join(parts), warcinfo_id


def read_back(data: bytes, name: str) -> list[tuple[str, str]]:
    """Read a WARC just built as any reader would, checking every digest; return each
    record's (type, record id); raise WarcError if it does not read back whole."""
    found = []
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests="raise"):
            stream = record.raw_stream
            while stream.read(_READ_BLOCK):
                pass
            if stream.limit:
                raise WarcError(name, "a record of the capture WARC is truncated")
            found.append((record.rec_type, record.rec_headers.get_header("WARC-Record-ID")))
    except ArchiveLoadFailed as exc:
        raise WarcError(name, f"the capture WARC does not read back: {_one_line(exc)}") from None
    return found


def read_resource(path: Path, record_id: str, *, member: str | None = None) -> bytes:
    """The block of resource record ``record_id`` of the WARC at ``path`` (digests checked);
    raise WarcError if it is missing, truncated or damaged."""
    where = f"{path}/{member}" if member else path
    try:
        with open_warc(path, member) as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                if record.rec_headers.get_header("WARC-Record-ID") != record_id:
                    continue
                block = record.raw_stream.read()
                if record.raw_stream.limit:
                    raise WarcError(where, f"record {record_id} is truncated")
                return block
    except ArchiveLoadFailed as exc:
        raise WarcError(where, f"cannot read WARC: {_one_line(exc)}") from None
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise WarcError(where, f"cannot read WARC: {_one_line(exc)}") from None
    raise WarcError(where, f"no record {record_id}")
