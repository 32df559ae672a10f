"""Fail-closed WARC integrity check: framing, gzip members, digests and mandatory headers.

Every record is read to its end in fixed blocks (constant memory), so a file cut short, a
Content-Length that lies, or a gzip member that stops early cannot pass as intact.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from io import BufferedReader
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

Verdict = Literal["intact", "damaged", "non-conformant"]
Check = Literal["verified", "mismatch", "absent", "unsupported", "not-checked", "revisit"]

_BLOCK = 1 << 20  # read and inflate in 1 MiB blocks
_FEED = 1 << 16  # compressed bytes per inflate call: bounds zlib's copy of unused_data per member
_HEADER_LIMIT = 1 << 20  # a WARC header longer than this is corrupt
_GZIP_MAGIC = b"\x1f\x8b"
_TRAILER = b"\r\n\r\n"
_VERSION = re.compile(rb"WARC/(0\.17|0\.18|1\.0|1\.1)")
_MANDATORY = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
_TARGETED = frozenset({"response", "request", "revisit", "resource"})
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


def check_warc(path: Path, *, sha256: bool = False, keep: str | None = None) -> WarcReport:
    """Check every record of the WARC (plain or gzip) at ``path`` and report what is wrong.

    With ``sha256`` the file's sha256 and size are computed from the same read (all of the
    file, even past damage), so fixity need not read the file a second time. With ``keep``
    (a WARC-Record-ID) that record's bytes are kept in ``report.kept``, so that a caller
    need not inflate it again. Damage is reported as findings; only a path that cannot be
    read raises ArchiverError.
    """
    report = WarcReport(path=path)
    try:
        with open(path, "rb") as raw:
            fh = _HashingFile(raw) if sha256 else raw
            _Walker(report, fh, keep).run()
            if isinstance(fh, _HashingFile):
                report.sha256, report.size = fh.finish()
    except OSError as exc:
        raise ArchiverError(path, exc.strerror or str(exc)) from exc
    return report


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
    report = check_warc(path, sha256=True, keep=keep)
    if report.sha256 == expected_sha256:
        cache.put(_CACHE_KIND, expected_sha256, report.to_json())
    return report


class _HashingFile:
    """A binary file whose bytes are hashed as they are read."""

    def __init__(self, fh: BufferedReader) -> None:
        self._fh = fh
        self._digest = hashlib.sha256()
        self._size = 0

    def peek(self, size: int) -> bytes:
        """Bytes ahead, not consumed (so not hashed yet)."""
        return self._fh.peek(size)

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes, hashed."""
        data = self._fh.read(size)
        self._digest.update(data)
        self._size += len(data)
        return data

    def finish(self) -> tuple[str, int]:
        """Read what the walk left (after damage) and return (sha256 hex, size) of the file."""
        while self.read(_BLOCK):
            pass
        return self._digest.hexdigest(), self._size


_File = BufferedReader | _HashingFile


class _Source:
    """The WARC's uncompressed bytes in blocks, noting where each gzip member starts."""

    def __init__(self, fh: _File) -> None:
        self.gzipped = fh.peek(2)[:2] == _GZIP_MAGIC
        # (uncompressed offset, file offset) of each member start not yet passed by the walker
        self.members: deque[tuple[int, int]] = deque()
        # why the data ended early: (finding code, reason), or None for a clean end
        self.failure: tuple[str, str] | None = None
        self.chunks: Iterator[bytes] = (
            self._inflate(fh) if self.gzipped else iter(partial(fh.read, _BLOCK), b""))

    def _inflate(self, fh: _File) -> Iterator[bytes]:
        """Inflate member after member, so member boundaries and damage are both seen."""
        offset = 0  # file offset of the first byte of ``data``
        produced = 0
        data = fh.read(_FEED)
        while data:
            member = offset
            self.members.append((produced, member))
            inflater = isal_zlib.decompressobj(wbits=31)  # ISA-L: twice zlib's speed
            while not inflater.eof:
                if not data and not (data := fh.read(_FEED)):
                    self.failure = ("warc-truncated", f"the gzip member at offset {member} is "
                                    f"cut short: the file ends at {offset}")
                    return
                try:
                    out = inflater.decompress(data, _BLOCK)
                except isal_zlib.error as exc:
                    self.failure = ("warc-corrupt", f"the gzip member at offset {member} cannot "
                                    f"be inflated ({exc}); the rest of the file was not read")
                    return
                rest = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
                offset += len(data) - len(rest)
                data = rest
                if out:
                    produced += len(out)
                    yield out
            data = data or fh.read(_FEED)


class _Reader:
    """Buffered reads over the source: headers by delimiter, blocks streamed without a copy."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""
        self._at = 0  # index in _buf of the next unread byte
        self.pos = 0  # uncompressed offset of the next unread byte

    def _fill(self) -> bool:
        chunk = next(self._chunks, None)
        if chunk is None:
            return False
        self._buf = self._buf[self._at:] + chunk
        self._at = 0
        return True

    def _advance(self, n: int) -> bytes:
        taken = self._buf[self._at:self._at + n]
        self._at += n
        self.pos += n
        return taken

    def at_end(self) -> bool:
        """Whether no byte is left."""
        return self._at >= len(self._buf) and not self._fill()

    def read_until(self, delim: bytes, limit: int) -> tuple[bytes, bool]:
        """Bytes through ``delim`` and True; or what is left and False at the end or past limit."""
        scanned = 0
        while (i := self._buf.find(delim, self._at + scanned)) < 0:
            left = len(self._buf) - self._at
            if left > limit or not self._fill():
                return self._advance(left), False
            scanned = max(0, left - len(delim) + 1)
        return self._advance(i + len(delim) - self._at), True

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of the data)."""
        while len(self._buf) - self._at < n and self._fill():
            pass
        return self._advance(n)

    def rewind(self, n: int) -> None:
        """Step back over bytes just read: valid right after ``read``/``read_until`` only."""
        self._at -= n
        self.pos -= n

    def stream(self, size: int, sink: Callable[[memoryview], None]) -> int:
        """Pass the next ``size`` bytes to ``sink`` in pieces; return how many there were."""
        done = 0
        while done < size and not self.at_end():
            take = min(size - done, len(self._buf) - self._at)
            sink(memoryview(self._buf)[self._at:self._at + take])
            self._at += take
            done += take
        self.pos += done
        return done

    def skip_to_record(self) -> None:
        """After damage, skip to the next line that starts ``WARC/``, or to the end."""
        while len(self._buf) - self._at < 5 and self._fill():
            pass
        if self._buf.startswith(b"WARC/", self._at):
            return
        while True:
            i = self._buf.find(b"\nWARC/", self._at)
            if i >= 0:
                self._advance(i + 1 - self._at)
                return
            self._advance(max(0, len(self._buf) - self._at - 5))
            if not self._fill():
                self._advance(len(self._buf) - self._at)
                return


def _parse_fields(block: bytes) -> tuple[dict[str, str], list[str]]:
    """WARC named fields by lower-case name (first occurrence wins), and unparsable lines."""
    fields: dict[str, str] = {}
    bad: list[str] = []
    last = None
    for line in block.decode("utf-8", "replace").split("\r\n"):
        if line.startswith((" ", "\t")) and last is not None:  # a folded continuation line
            fields[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        key = name.strip().lower()
        if not sep or not key:
            bad.append(line)
            continue
        last = key if key not in fields else None
        fields.setdefault(key, value.strip())
    return fields, bad


def _describe(info: RecordInfo) -> str:
    where = f"record at offset {info.offset}"
    if info.stream_offset != info.offset:
        where += f" (uncompressed offset {info.stream_offset})"
    return f"{where} {info.record_id or '(no WARC-Record-ID)'} ({info.record_type or 'no type'})"


class _Walker:
    """Reads records one after another, checking each and the gzip member layout."""

    def __init__(self, report: WarcReport, fh: _File, keep: str | None = None) -> None:
        self.report = report
        self.keep = keep
        self.source = _Source(fh)
        self.reader = _Reader(self.source.chunks)
        self.first_offsets: dict[str, int] = {}
        self.member = (0, 0)  # (uncompressed, file offset) of the member holding the record
        self.member_records = 0

    def find(self, code: str, message: str, info: RecordInfo | None = None) -> None:
        text = f"{_describe(info)}: {message}" if info else message
        self.report.findings.append(Finding(code, text, path=str(self.report.path)))

    def run(self) -> None:
        while not self.reader.at_end():
            if not self.record():
                break
        else:
            if self.source.failure:
                self.find(*self.source.failure)
        self.close_member()
        if not self.report.records and not self.report.findings:
            self.find("warc-truncated", "the file holds no WARC record")

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
        """Parse and vet a record header; log the record."""
        fields, bad = _parse_fields(header)
        rtype = fields.get("warc-type")
        length = fields.get("content-length")
        count = int(length) if length and length.isascii() and length.isdigit() else None
        info = RecordInfo(
            offset=self.enter_member(start), stream_offset=start, record_type=rtype,
            record_id=fields.get("warc-record-id"),
            target_uri=(fields["warc-target-uri"].removeprefix("<").removesuffix(">")
                        if "warc-target-uri" in fields else None),
            content_type=fields.get("content-type"),
            payload_digest=fields.get("warc-payload-digest"),
            block_digest=fields.get("warc-block-digest"),
            content_length=count)
        if info.block_digest is None:
            info.block_check = "absent"
        if rtype == "revisit":
            info.payload_check = "revisit"
        elif info.payload_digest is None:
            info.payload_check = "absent"
        self.report.records.append(info)
        required = _MANDATORY + (("WARC-Target-URI",) if rtype in _TARGETED else ())
        missing = [name for name in required if name.lower() not in fields]
        if missing:
            self.find("warc-nonconformant", f"missing mandatory {', '.join(missing)}", info)
        if length is not None and info.content_length is None:
            self.find("warc-corrupt", f"Content-Length {length!r} is not a byte count", info)
        if info.content_length is None:
            self.find("warc-corrupt", "its block cannot be located without a valid "
                      "Content-Length; skipped to the next WARC/ line", info)
        for line in bad:
            self.find("warc-corrupt", f"unparsable header line {line[:60]!r}", info)
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
        got = self.reader.stream(length, sink)
        if got < length:
            self.cut_short(f"its block has {got} of the {length} bytes of its Content-Length",
                           info)
            return False
        if http and length and hasher.http_unterminated:
            self.find("warc-corrupt", f"the HTTP headers in its {length}-byte block never end "
                      "(no blank line), so its Content-Length or its HTTP message is wrong", info)
        self.check_digests(info, block, payload, hasher)
        trailer = self.reader.read(len(_TRAILER))
        if trailer != _TRAILER:
            if len(trailer) < len(_TRAILER):
                self.cut_short("the file ends before its CRLF CRLF record trailer", info)
                return False
            self.find("warc-truncated", f"no CRLF CRLF after its {length}-byte block (found "
                      f"{trailer!r}): its Content-Length does not match its data; skipped to "
                      "the next WARC/ line", info)
            self.reader.rewind(len(trailer))
            self.reader.skip_to_record()
        else:
            info.complete = True
            if kept is not None:
                self.report.kept = b"".join(kept) + _TRAILER
        self.leave_record(info)
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

    def enter_member(self, start: int) -> int:
        """File offset to report for a record starting at ``start``; count records per member."""
        if not self.source.gzipped:
            return start
        members = self.source.members
        while members and members[0][0] <= start:
            self.close_member()
            self.member = members.popleft()
        self.member_records += 1
        return self.member[1]

    def leave_record(self, info: RecordInfo) -> None:
        """A gzip member starting inside the record just read means members and records
        do not line up."""
        members = self.source.members
        if members and members[0][0] < self.reader.pos:
            self.find("warc-corrupt", "the record is split across gzip members (one starts at "
                      f"uncompressed offset {members[0][0]}, inside it)", info)
        while members and members[0][0] < self.reader.pos:
            self.close_member()
            self.member = members.popleft()

    def close_member(self) -> None:
        """Report a gzip member that held several whole records, then forget it."""
        if self.member_records > 1:
            self.find("warc-nonconformant", f"the gzip member at offset {self.member[1]} holds "
                      f"{self.member_records} records; each record needs its own member")
        self.member_records = 0
