"""The record walk of check-warc: frame each record, stream its block through its digests,
judge its trailer and its gzip member."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from archiver.findings import Finding
from archiver.warc.digest import (
    BlockHasher,
    Digest,
    MalformedDigestError,
    UnsupportedDigestError,
)
from archiver.warc.fields import content_length, judge_fields, parse_fields
from archiver.warc.stream import Readable, Reader, Source
from archiver.warc.verdict import Check, RecordInfo, WarcReport, describe

_HEADER_LIMIT = 1 << 20  # a WARC header longer than this is corrupt
_TRAILER = b"\r\n\r\n"
_VERSION = re.compile(rb"WARC/(0\.17|0\.18|1\.0|1\.1)")
# record trailers that lose nothing but break the standard, longest first
_SHORT_TRAILERS = {b"\r\n": "one CRLF", b"\n\n": "LF LF", b"\n": "one LF"}
_HTTP_TYPES = frozenset({"response", "request", "revisit"})
_CONVENTION_NAMES = {"both": "payload", "dechunked": "de-chunked payload",
                     "raw": "transfer-encoded payload"}


def check_stream(report: WarcReport, fh: Readable, keep: str | None = None) -> None:
    """Check every record of the WARC read from ``fh``, adding to ``report``."""
    _Walker(report, fh, keep).run()


def _add_finding(report: WarcReport, code: str, message: str,
                 info: RecordInfo | None = None) -> None:
    """Add a finding to ``report``, naming the record when there is one."""
    text = f"{describe(info)}: {message}" if info else message
    report.findings.append(Finding(code, text, path=str(report.path)))


class RecordWalk:
    """The walk shared by WARC and ARC files: records one after another over one stream, with
    its gzip members' layout judged; a subclass reads one ``record`` and says what ``ends``."""

    def __init__(self, report: WarcReport, fh: Readable) -> None:
        self.report = report
        # adds a finding to the report; the parts of the walk that find are handed it, not
        # a method of the walk, which would make a cycle that holds the report (and the record
        # it keeps) until the garbage collector runs, not until its last user drops it
        self.find = partial(_add_finding, report)
        self.source = Source(fh, self.find)
        self.reader = Reader(self.source.chunks)
        self.members = MemberLayout(self.source, self.find)

    def run(self) -> None:
        """Walk every record to the end of the data, or to the first that cannot be read."""
        while not self.reader.at_end():
            if not self.record():
                break
        else:
            if self.source.failure:
                self.find(*self.source.failure)
        self.members.close()
        self.ends()

    def record(self) -> bool:
        """Read one record; False when the walk cannot go on."""
        raise NotImplementedError

    def ends(self) -> None:
        """The findings about the whole file, once every record is read."""


class _Walker(RecordWalk):
    """Reads records one after another: frames each, streams its block through its digests."""

    def __init__(self, report: WarcReport, fh: Readable, keep: str | None = None) -> None:
        super().__init__(report, fh)
        self.keep = keep
        self.first_offsets: dict[str, int] = {}

    def ends(self) -> None:
        if not self.report.records and not self.report.findings:
            self.find("warc-empty", "the file holds no WARC record")

    def cut_short(self, what: str, info: RecordInfo | None = None) -> None:
        """The data ended inside a record: say why (a broken gzip member) if known."""
        code, why = self.source.failure or ("warc-truncated", "")
        self.find(code, f"{what}{'; ' + why if why else ''}", info)

    def record(self) -> bool:
        """Check the next record; return False when the data ended inside it."""
        start = self.reader.pos
        if stray := self.reader.skip_line_ends():
            where = ("after the last record" if self.reader.at_end()
                     else f"before the record at uncompressed offset {self.reader.pos}")
            self.find("warc-nonconformant", f"{stray} stray line-end byte(s) at uncompressed "
                      f"offset {start}, {where}")
            if self.reader.at_end():
                return False
            start = self.reader.pos
        raw, complete = self.reader.read_header(_HEADER_LIMIT)
        if not complete and len(raw) <= _HEADER_LIMIT:
            self.cut_short(f"the file ends inside the WARC header that starts at "
                           f"{self.members.where(start)} ({len(raw)} bytes, no empty line "
                           "ends it)")
            return False
        first, _, rest = raw.partition(b"\n")
        first = first.removesuffix(b"\r")
        if not _VERSION.fullmatch(first) or not complete:
            found = f"found {first[:40]!r}" if complete else "its header has no end"
            self.find("warc-corrupt", f"no WARC record at uncompressed offset {start} ({found}); "
                      "skipped to the next WARC/ line")
            self.reader.rewind(len(raw) - 1)
            self.reader.skip_to_record()
            return True
        bare_lf = raw.count(b"\n") != raw.count(b"\r\n")
        header = rest.removesuffix(b"\n").removesuffix(b"\r").removesuffix(b"\n")
        if bare_lf:  # read as warcio reads it: every line end, CRLF or LF, ends a line
            header = header.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        info = self.open_record(start, header.removesuffix(b"\r"))
        if bare_lf:
            self.find("warc-nonconformant", "its WARC header lines end in LF, not CRLF", info)
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

    def read_block(self, info: RecordInfo, length: int, header: bytes) -> bool:
        """Stream the block through its digests, then check the trailer and gzip layout;
        keep the record (``header`` and block) if it is the one to keep."""
        digests = _Digests(info, self.find)
        hasher = digests.hasher
        kept: list[bytes] | None = None
        sink = hasher.update
        if info.record_id == self.keep and self.report.kept is None:
            kept = [header]

            def sink(piece: memoryview) -> None:
                hasher.update(piece)
                kept.append(bytes(piece))
        got, without_tail = self.stream_block(length, sink, hasher)
        if got < length:
            self.cut_short(f"its block has {got} of the {length} bytes of its Content-Length",
                           info)
            return False
        end = self.end_record(info, length, counted=without_tail is not None)
        if end is None:
            return False
        if end == "counted" and without_tail:
            hasher = without_tail
        if end == "trailer" and kept is not None:
            self.report.kept = b"".join(kept) + _TRAILER
        if hasher.http and length and hasher.http_unterminated:
            self.find("warc-nonconformant", f"the HTTP headers in its {length}-byte block "
                      "have no closing blank line", info)
        digests.judge(hasher)
        self.members.leave(info, self.reader.pos)
        return True

    def stream_block(self, length: int, sink: Callable[[memoryview], None],
                     hasher: BlockHasher) -> tuple[int, BlockHasher | None]:
        """Stream the block to ``sink``; return the bytes there were and, for a block ending
        in CRLF CRLF (which may be a counted trailer), a hasher of all but those four."""
        body = length - len(_TRAILER)
        # the last four bytes go apart only when they may be CRLF CRLF (buffered: look)
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
        return got, without_tail

    def end_record(self, info: RecordInfo, length: int, counted: bool) -> str | None:
        """Read and judge what follows the block: "trailer" (CRLF CRLF), "counted" (the block
        ended with the trailer), "short" (one CRLF), "lost" (Content-Length wrong; skipped to
        the next record), or None when the file ends first. ``counted``: the block ends in
        CRLF CRLF."""
        trailer = self.reader.read(len(_TRAILER))
        if trailer == _TRAILER:
            info.complete = True
            return "trailer"
        if counted and trailer in (b"", b"WARC"):
            self.reader.rewind(len(trailer))
            info.complete = True
            self.find("warc-nonconformant", f"its Content-Length ({length}) counts the CRLF "
                      "CRLF record trailer (its digests are checked without it)", info)
            return "counted"
        short = next((end for end in _SHORT_TRAILERS
                      if trailer.startswith(end) and b"WARC".startswith(trailer[len(end):])),
                     None)
        if short is not None:  # the next record follows, or the file ends: nothing is lost
            self.reader.rewind(len(trailer) - len(short))
            info.complete = True
            self.find("warc-nonconformant", f"its record trailer is {_SHORT_TRAILERS[short]}, "
                      "not CRLF CRLF", info)
            return "short"
        if len(trailer) < len(_TRAILER):
            self.cut_short("the file ends before its CRLF CRLF record trailer", info)
            return None
        self.find("warc-truncated", f"no CRLF CRLF after its {length}-byte block (found "
                  f"{trailer!r}): its Content-Length does not match its data; skipped to "
                  "the next WARC/ line", info)
        self.reader.rewind(len(trailer))
        self.reader.skip_to_record()
        return "lost"


class _Digests:
    """The digests one record claims, and the judging of what its block hashed to."""

    def __init__(self, info: RecordInfo, find: Callable[..., None]) -> None:
        self.info = info
        self.find = find
        self.block = self.parse("block", info.block_digest)
        self.payload = (None if info.record_type == "revisit"
                        else self.parse("payload", info.payload_digest))
        content_type = (info.content_type or "").replace(" ", "").lower()
        http = info.record_type in _HTTP_TYPES and content_type.startswith("application/http")
        self.hasher = BlockHasher({self.block.algorithm} if self.block else set(),
                                  self.payload.algorithm if self.payload else None, http)

    def parse(self, kind: str, value: str | None) -> Digest | None:
        """The record's block or payload digest, or None (with a finding if it is unusable)."""
        if value is None:
            return None
        try:
            return Digest.parse(value)
        except UnsupportedDigestError as exc:
            self.set_check(kind, "unsupported")
            self.find("warc-unverified", f"{kind} digest not verified: {exc}", self.info)
        except MalformedDigestError as exc:
            self.set_check(kind, "mismatch")
            self.find("warc-digest-mismatch", f"{kind} digest unreadable: {exc}", self.info)
        return None

    def set_check(self, kind: str, check: Check) -> None:
        """Record a check result for the block or the payload."""
        if kind == "block":
            self.info.block_check = check
        else:
            self.info.payload_check = check

    def judge(self, hasher: BlockHasher) -> None:
        """Compare each digest with what ``hasher`` computed; say which convention a payload
        follows."""
        info, block, payload = self.info, self.block, self.payload
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

    def where(self, start: int) -> str:
        """Where uncompressed offset ``start`` is, for a message: its gzip member's file
        offset too, for a .warc.gz."""
        if not self.source.gzipped:
            return f"offset {start}"
        member = self.member
        for candidate in self.source.members:
            if candidate[0] <= start:
                member = candidate
        return f"offset {member[1]} (uncompressed offset {start})"

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
