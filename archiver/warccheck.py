"""Fail-closed WARC integrity check: framing, gzip members, digests and mandatory headers.

Every record is read to its end in fixed blocks (constant memory), so a file cut short, a
Content-Length that lies, or a gzip member that stops early cannot pass as intact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from isal import isal_zlib

from archiver import __version__
from archiver.cache import Cache
from archiver.errors import ArchiverError
from archiver.fileio import sha256_file
from archiver.findings import Finding, Severity
from archiver.warcdigest import (
    BlockHasher,
    Convention,
    Digest,
    MalformedDigestError,
    UnsupportedDigestError,
)
from archiver.warcfields import content_length, judge_fields, parse_fields
from archiver.warcstream import GZIP_MAGIC, HashingFile, Readable, Reader, Source

Verdict = Literal["intact", "damaged", "non-conformant"]
Check = Literal["verified", "mismatch", "absent", "unsupported", "not-checked", "revisit"]

Kind = Literal["warc", "arc", "wacz", "empty"]

_HEADER_LIMIT = 1 << 20  # a WARC header longer than this is corrupt
_SNIFF = 1 << 16  # bytes looked at to tell a WARC, ARC or WACZ from anything else
_TRAILER = b"\r\n\r\n"
_VERSION = re.compile(rb"WARC/(0\.17|0\.18|1\.0|1\.1)")
_HTTP_TYPES = frozenset({"response", "request", "revisit"})
_CACHE_KIND = "warc"  # reports in the cache, by the WARC's sha256
_CONVENTION_NAMES = {"both": "payload", "dechunked": "de-chunked payload",
                     "raw": "transfer-encoded payload"}


@dataclass(slots=True)
class RecordInfo:
    """Facts about one record, for cross-checking a manifest against the WARC.

    ``offset`` is the file offset of the record (for .warc.gz, of the gzip member holding its
    start) and ``stream_offset`` its offset in the uncompressed stream. ``target_uri`` has
    wget's angle brackets removed. ``payload_convention`` says what the payload digest was
    computed over: "dechunked" (the de-chunked HTTP body, as the standard defines it), "raw"
    (the transfer-encoded bytes, as warcio and FastWARC compute it), "both" (no chunking, so
    the two agree) or "block" (the whole block, a ClueWeb09 quirk). A revisit's payload
    digest names the revisited record, so its ``payload_check`` is "revisit".
    """

    offset: int
    stream_offset: int
    record_type: str | None
    record_id: str | None
    target_uri: str | None
    content_type: str | None
    payload_digest: str | None
    block_digest: str | None
    content_length: int | None
    block_check: Check = "not-checked"
    payload_check: Check = "not-checked"
    payload_convention: Convention | None = None
    complete: bool = False


@dataclass
class WarcReport:
    """Everything ``check_warc`` found in one WARC: per-record facts and findings."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    records: list[RecordInfo] = field(default_factory=list)
    # sha256 hex and byte count of the whole file as read, when check_warc was asked for them
    sha256: str | None = None
    size: int | None = None
    # the record asked for with check_warc(keep=...): its uncompressed bytes, header to
    # trailer, when it was read whole; not saved with the report
    kept: bytes | None = None

    @property
    def ok(self) -> bool:
        """Whether no error finding was made (warnings such as warc-unverified allowed)."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def verdict(self) -> Verdict:
        """"damaged" on any error, "non-conformant" when only warc-nonconformant, else "intact"."""
        errors = {f.code for f in self.findings if f.severity is Severity.ERROR}
        if not errors:
            return "intact"
        return "non-conformant" if errors == {"warc-nonconformant"} else "damaged"

    @property
    def by_id(self) -> dict[str, RecordInfo]:
        """Records by WARC-Record-ID; for a duplicated ID (itself a finding) the first wins."""
        return {r.record_id: r for r in reversed(self.records) if r.record_id}

    def to_json(self) -> bytes:
        """The findings and records, for the cache of check_warc_cached."""
        return json.dumps({
            "version": __version__,
            "findings": [[f.code, f.message] for f in self.findings],
            "records": [asdict(r) for r in self.records],
        }).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, path: Path) -> WarcReport:
        """A report saved by ``to_json`` for the file now at ``path``; raise ValueError if it
        was written by another version or is not such a report."""
        try:
            saved = json.loads(data)
            if saved["version"] != __version__:
                raise ValueError(f"a report of archiver {saved['version']}")
            return cls(path, [Finding(code, message, path=str(path))
                              for code, message in saved["findings"]],
                       [RecordInfo(**r) for r in saved["records"]])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a saved WARC report: {exc!r}") from None


class NotArchiveError(ArchiverError):
    """A file that is not a WARC, ARC or WACZ, so there is nothing to check."""


def check_warc(path: Path, *, sha256: bool = False, keep: str | None = None) -> WarcReport:
    """Check the WARC (plain or gzip), ARC or WACZ at ``path`` and report what is wrong.

    With ``sha256`` the file's sha256 and size are computed from the same read (all of the
    file, even past damage), so fixity need not read the file a second time. With ``keep``
    (a WARC-Record-ID) that record's bytes are kept in ``report.kept``, so that a caller
    need not inflate it again. Damage is reported as findings; a path that cannot be read
    raises ArchiverError, a file of another kind NotArchiveError.
    """
    report = WarcReport(path=path)
    try:
        with open(path, "rb", buffering=_SNIFF) as raw:
            kind = sniff(raw.peek(_SNIFF)[:_SNIFF])
            if kind is None:
                raise NotArchiveError(path, "not a WARC, ARC or WACZ file")
            fh = HashingFile(raw) if sha256 else raw
            if kind == "wacz":
                from archiver.waczcheck import check_wacz  # zip handling only for a WACZ
                check_wacz(report, path)
            elif kind == "arc":
                from archiver.arccheck import check_arc  # warcio only for an ARC
                check_arc(report, fh)
            elif kind == "empty":
                report.findings.append(Finding("warc-empty", "the file holds no record",
                                               path=str(path)))
            else:
                check_stream(report, fh, keep)
            if isinstance(fh, HashingFile):
                report.sha256, report.size = fh.finish()
    except OSError as exc:
        raise ArchiverError(path, exc.strerror or str(exc)) from exc
    return report


def check_capture_warc(path: Path, *, sha256: bool = False,
                       keep: str | None = None) -> WarcReport:
    """``check_warc`` for a capture's file: one that is no WARC, ARC or WACZ is a
    ``warc-unrecognised`` finding on that capture (with its sha256 if asked), not an error."""
    try:
        return check_warc(path, sha256=sha256, keep=keep)
    except NotArchiveError as exc:
        report = WarcReport(path, [Finding("warc-unrecognised", exc.reason, path=str(path))])
    if sha256:
        try:
            report.sha256, report.size = sha256_file(path)
        except OSError as exc:
            raise ArchiverError(path, exc.strerror or str(exc)) from exc
    return report


def sniff(head: bytes) -> Kind | None:
    """What a file starting with ``head`` is: a WARC, an ARC, a WACZ, empty, or None."""
    if not head:
        return "empty"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "wacz"
    if head.startswith(GZIP_MAGIC):
        inflater = isal_zlib.decompressobj(wbits=31)
        try:
            head = inflater.decompress(head, _SNIFF)
        except isal_zlib.error:  # a damaged gzip member: damage is the walker's to report
            return "warc"
        if not head:
            return "empty" if inflater.eof else "warc"
    if head.startswith(b"filedesc://"):
        return "arc"
    # a WARC whose first record is damaged still has the next one's start near the top
    if head.startswith(b"WARC/") or b"\r\nWARC/1." in head:
        return "warc"
    return None


def check_stream(report: WarcReport, fh: Readable, keep: str | None = None) -> None:
    """Check every record of the WARC read from ``fh``, adding to ``report``."""
    _Walker(report, fh, keep).run()


def check_warc_cached(path: Path, expected_sha256: str, cache: Cache, *,
                      keep: str | None = None) -> WarcReport:
    """``check_warc(path, sha256=True)``, reusing the report of an earlier check of the same
    bytes: a file that still hashes to ``expected_sha256`` (its manifest's) is identical to
    the file checked then, so only its sha256 is computed. Reports are saved in ``cache``
    only for files that hash to ``expected_sha256``. ``keep`` is passed on to check_warc when
    the file is checked (a saved report keeps no record).
    """
    saved = cache.get(_CACHE_KIND, expected_sha256)
    if saved is not None:
        try:
            digest, size = sha256_file(path)
        except OSError as exc:
            raise ArchiverError(path, exc.strerror or str(exc)) from exc
        if digest == expected_sha256:
            try:
                report = WarcReport.from_json(saved, path)
            except ValueError:  # another version's: check the file again
                pass
            else:
                report.sha256, report.size = digest, size
                return report
    report = check_capture_warc(path, sha256=True, keep=keep)
    if report.sha256 == expected_sha256:
        cache.put(_CACHE_KIND, expected_sha256, report.to_json())
    return report


def describe(info: RecordInfo) -> str:
    """Where a record is and what it is, to start a finding's message."""
    where = f"record at offset {info.offset}"
    if info.stream_offset != info.offset:
        where += f" (uncompressed offset {info.stream_offset})"
    name = info.record_id or info.target_uri or "(no WARC-Record-ID)"  # an ARC's have no ID
    return f"{where} {name} ({info.record_type or 'no type'})"


class _Walker:
    """Reads records one after another: frames each, streams its block through its digests."""

    def __init__(self, report: WarcReport, fh: Readable, keep: str | None = None) -> None:
        self.report = report
        self.keep = keep
        self.source = Source(fh, self.find)
        self.reader = Reader(self.source.chunks)
        self.members = MemberLayout(self.source, self.find)
        self.first_offsets: dict[str, int] = {}

    def find(self, code: str, message: str, info: RecordInfo | None = None) -> None:
        text = f"{describe(info)}: {message}" if info else message
        self.report.findings.append(Finding(code, text, path=str(self.report.path)))

    def run(self) -> None:
        while not self.reader.at_end():
            if not self.record():
                break
        else:
            if self.source.failure:
                self.find(*self.source.failure)
        self.members.close()
        if not self.report.records and not self.report.findings:
            self.find("warc-empty", "the file holds no WARC record")

    def cut_short(self, what: str, info: RecordInfo | None = None) -> None:
        """The data ended inside a record: say why (a broken gzip member) if known."""
        code, why = self.source.failure or ("warc-truncated", "")
        self.find(code, f"{what}{'; ' + why if why else ''}", info)

    def record(self) -> bool:
        """Check the next record; return False when the data ended inside it."""
        start = self.reader.pos
        raw, complete = self.reader.read_until(_TRAILER, _HEADER_LIMIT)
        if not complete and len(raw) <= _HEADER_LIMIT:
            self.cut_short(f"the file ends inside a WARC header at uncompressed offset {start}")
            return False
        first, _, rest = raw.partition(b"\r\n")
        if not _VERSION.fullmatch(first) or not complete:
            found = f"found {first[:40]!r}" if complete else "its header has no end"
            self.find("warc-corrupt", f"no WARC record at uncompressed offset {start} ({found}); "
                      "skipped to the next WARC/ line")
            self.reader.rewind(len(raw) - 1)
            self.reader.skip_to_record()
            return True
        info = self.open_record(start, rest[:-len(_TRAILER)])
        if info.content_length is None:
            self.reader.skip_to_record()
            return True
        return self.read_block(info, info.content_length, raw)

    def open_record(self, start: int, header: bytes) -> RecordInfo:
        """Parse and judge a record header; log the record."""
        fields, bad = parse_fields(header)
        rtype = fields.get("warc-type")
        info = RecordInfo(
            offset=self.members.enter(start), stream_offset=start, record_type=rtype,
            record_id=fields.get("warc-record-id"),
            target_uri=(fields["warc-target-uri"].removeprefix("<").removesuffix(">")
                        if "warc-target-uri" in fields else None),
            content_type=fields.get("content-type"),
            payload_digest=fields.get("warc-payload-digest"),
            block_digest=fields.get("warc-block-digest"),
            content_length=content_length(fields))
        if info.block_digest is None:
            info.block_check = "absent"
        if rtype == "revisit":
            info.payload_check = "revisit"
        elif info.payload_digest is None:
            info.payload_check = "absent"
        self.report.records.append(info)
        for code, message in judge_fields(fields, info.content_length, bad):
            self.find(code, message, info)
        if info.record_id in self.first_offsets:
            self.find("warc-nonconformant", "WARC-Record-ID is also used by the record at "
                      f"offset {self.first_offsets[info.record_id]}", info)
        elif info.record_id:
            self.first_offsets[info.record_id] = info.offset
        return info

    def parse_digest(self, info: RecordInfo, kind: str, value: str | None) -> Digest | None:
        """The record's block or payload digest, or None (with a finding if it is unusable)."""
        if value is None:
            return None
        try:
            return Digest.parse(value)
        except UnsupportedDigestError as exc:
            self.set_check(info, kind, "unsupported")
            self.find("warc-unverified", f"{kind} digest not verified: {exc}", info)
        except MalformedDigestError as exc:
            self.set_check(info, kind, "mismatch")
            self.find("warc-digest-mismatch", f"{kind} digest unreadable: {exc}", info)
        return None

    @staticmethod
    def set_check(info: RecordInfo, kind: str, check: Check) -> None:
        """Record a check result for the block or the payload."""
        if kind == "block":
            info.block_check = check
        else:
            info.payload_check = check

    def read_block(self, info: RecordInfo, length: int, header: bytes) -> bool:
        """Stream the block through its digests, then check the trailer and gzip layout;
        keep the record (``header`` and block) if it is the one to keep."""
        revisit = info.record_type == "revisit"
        block = self.parse_digest(info, "block", info.block_digest)
        payload = None if revisit else self.parse_digest(info, "payload", info.payload_digest)
        content_type = (info.content_type or "").replace(" ", "").lower()
        http = info.record_type in _HTTP_TYPES and content_type.startswith("application/http")
        hasher = BlockHasher({block.algorithm} if block else set(),
                             payload.algorithm if payload else None, http)
        kept: list[bytes] | None = None
        sink = hasher.update
        if info.record_id == self.keep and self.report.kept is None:
            kept = [header]

            def sink(piece: memoryview) -> None:
                hasher.update(piece)
                kept.append(bytes(piece))
        # a block ending in CRLF CRLF may have counted the trailer: hash its last four bytes
        # apart, to judge it without them too (a buffered block is looked at first: cheaper)
        body = length - len(_TRAILER)
        if body < 0 or self.reader.buffered(body, len(_TRAILER)) not in (None, _TRAILER):
            body = length
        got = self.reader.stream(body, sink)
        without_tail = None
        if got == body < length:
            tail = self.reader.read(length - body)
            got += len(tail)
            if tail == _TRAILER:
                without_tail = hasher.copy()
            sink(memoryview(tail))
        if got < length:
            self.cut_short(f"its block has {got} of the {length} bytes of its Content-Length",
                           info)
            return False
        trailer = self.reader.read(len(_TRAILER))
        if trailer == _TRAILER:
            info.complete = True
            if kept is not None:
                self.report.kept = b"".join(kept) + _TRAILER
        elif without_tail and trailer[:4] in (b"", b"WARC"):
            self.reader.rewind(len(trailer))
            hasher = without_tail
            info.complete = True
            self.find("warc-nonconformant", f"its Content-Length ({length}) counts the CRLF "
                      "CRLF record trailer (its digests are checked without it)", info)
        elif trailer == b"\r\nWA":  # at the end of the file it could as well be a cut
            self.reader.rewind(2)
            info.complete = True
            self.find("warc-nonconformant", "its record trailer is one CRLF, not CRLF CRLF",
                      info)
        elif len(trailer) < len(_TRAILER):
            self.cut_short("the file ends before its CRLF CRLF record trailer", info)
            return False
        else:
            self.find("warc-truncated", f"no CRLF CRLF after its {length}-byte block (found "
                      f"{trailer!r}): its Content-Length does not match its data; skipped to "
                      "the next WARC/ line", info)
            self.reader.rewind(len(trailer))
            self.reader.skip_to_record()
        if http and length and hasher.http_unterminated:
            self.find("warc-nonconformant", f"the HTTP headers in its {length}-byte block "
                      "have no closing blank line", info)
        self.check_digests(info, block, payload, hasher)
        self.members.leave(info, self.reader.pos)
        return True

    def check_digests(self, info: RecordInfo, block: Digest | None, payload: Digest | None,
                      hasher: BlockHasher) -> None:
        """Compare each digest with what was computed; say which convention a payload follows."""
        if block:
            found = hasher.block_digest(block.algorithm)
            info.block_check = "verified" if found == block.value else "mismatch"
            if info.block_check == "mismatch":
                self.find("warc-digest-mismatch", f"block digest mismatch: header says "
                          f"{block.text}, block hashes to {block.render(found)}", info)
        if payload:
            info.payload_convention = hasher.match_payload(payload)
            info.payload_check = "verified" if info.payload_convention else "mismatch"
            if info.payload_check == "mismatch":
                found = hasher.payload_digests()
                seen = ", ".join(f"the {_CONVENTION_NAMES[c]} hashes to {payload.render(v)}"
                                 for c, v in found.items()) or "the payload cannot be located"
                self.find("warc-digest-mismatch", f"payload digest mismatch: header says "
                          f"{payload.text}; {seen}", info)
        if info.block_check == "absent" and info.payload_check in ("absent", "revisit"):
            why = ("a revisit's payload digest names the revisited record, and it has no "
                   "WARC-Block-Digest" if info.payload_check == "revisit"
                   else "it has no WARC-Block-Digest or WARC-Payload-Digest")
            self.find("warc-unverified", f"content not verified: {why}", info)


class MemberLayout:
    """Checks that gzip members and records line up: one member per record."""

    def __init__(self, source: Source, find: Callable[..., None]) -> None:
        self.source = source
        self.find = find
        self.member = (0, 0)  # (uncompressed, file offset) of the member holding the record
        self.records = 0

    def enter(self, start: int) -> int:
        """File offset to report for a record starting at ``start``; count records per member."""
        if not self.source.gzipped:
            return start
        members = self.source.members
        while members and members[0][0] <= start:
            self.close()
            self.member = members.popleft()
        self.records += 1
        return self.member[1]

    def leave(self, info: RecordInfo, end: int) -> None:
        """A gzip member starting inside the record just read (ending at ``end``) means
        members and records do not line up."""
        members = self.source.members
        if members and members[0][0] < end:
            self.find("warc-corrupt", "the record is split across gzip members (one starts at "
                      f"uncompressed offset {members[0][0]}, inside it)", info)
        while members and members[0][0] < end:
            self.close()
            self.member = members.popleft()

    def close(self) -> None:
        """Report a gzip member that held several whole records, then forget it."""
        if self.records > 1:
            self.find("warc-nonconformant", f"the gzip member at offset {self.member[1]} holds "
                      f"{self.records} records; each record needs its own member")
        self.records = 0
