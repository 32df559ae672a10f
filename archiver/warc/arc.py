"""ARC file check (the Internet Archive's format before WARC): framing, gzip members, headers.

Read here with check-warc's own stream (``warcstream``) rather than warcio's ARC reader,
because warcio reads a length of ``-1`` or ``abc`` as 0 and a record cut short as whole: it
parses what a checker must flag. ARC records carry no digests, so their content is unverified.
"""

from __future__ import annotations

import re

from archiver.warc.stream import Readable
from archiver.warc.verdict import RecordInfo, WarcReport
from archiver.warc.walk import RecordWalk

_LINE_LIMIT = 1 << 16  # an ARC header line longer than this is corrupt
_DATE = re.compile(r"\d{14}")  # YYYYMMDDhhmmss
# fields after the URL on a header line: version 1 has IP, date, type, length; version 2
# adds result code, checksum, location, offset and filename before the length
_FIELDS_AFTER_URL = {"1": 4, "2": 9}


class _ArcWalker(RecordWalk):
    """Reads ARC records one after another, each a header line, a block and a newline."""

    def __init__(self, report: WarcReport, fh: Readable) -> None:
        super().__init__(report, fh)
        self.version = "1"

    def ends(self) -> None:
        if self.report.records:
            self.find("warc-unverified", f"content of {len(self.report.records)} ARC records "
                      "not verified: ARC records carry no digests")

    def record(self) -> bool:
        """Check the next record; return False when the data ended inside it."""
        start = self.reader.pos
        raw, complete = self.reader.read_until(b"\n", _LINE_LIMIT)
        if not raw.strip(b"\r\n"):  # blank lines between records are tolerated
            return complete
        if not complete:
            code, why = self.source.failure or ("warc-truncated", "")
            self.find(code, f"the file ends inside an ARC header line at uncompressed offset "
                      f"{start}{'; ' + why if why else ''}")
            return False
        parts = raw.decode("utf-8", "replace").rstrip("\r\n").split(" ")
        first = not self.report.records
        # the filedesc line comes before the version it declares; its name has no spaces
        after = (9 if len(parts) >= 10 else 4) if first else _FIELDS_AFTER_URL.get(
            self.version, 4)
        url = " ".join(parts[:-after]) if len(parts) > after else ""
        length = parts[-1]
        info = RecordInfo(
            offset=self.members.enter(start), stream_offset=start,
            record_type="filedesc" if first else "response", record_id=None,
            target_uri=url or None, content_type=parts[-after + 2] if url else None,
            payload_digest=None, block_digest=None,
            content_length=int(length) if length.isascii() and length.isdigit() else None,
            block_check="absent", payload_check="absent")
        self.report.records.append(info)
        if not url or info.content_length is None:
            self.find("warc-corrupt", f"not an ARC header line at uncompressed offset {start} "
                      f"({raw[:60]!r}): no URL or no byte count; the rest of the file was not "
                      "read", info)
            return False
        if not _DATE.fullmatch(parts[-after + 1]):
            self.find("warc-nonconformant", f"archive date {parts[-after + 1][:30]!r} is not "
                      "of the form YYYYMMDDhhmmss", info)
        got = 0
        if first:  # the version block starts with the version digit
            head = self.reader.read(min(1, info.content_length))
            self.version, got = head.decode("ascii", "replace"), len(head)
        got += self.reader.stream(info.content_length - got, _discard)
        if got < info.content_length:
            code, why = self.source.failure or ("warc-truncated", "")
            self.find(code, f"its block has {got} of the {info.content_length} bytes of its "
                      f"length field{'; ' + why if why else ''}", info)
            return False
        info.complete = True
        self.members.leave(info, self.reader.pos)
        return True


def _discard(piece: memoryview) -> None:
    """A sink for blocks that are framed but not hashed (ARC has no digests)."""


def check_arc(report: WarcReport, fh: Readable) -> None:
    """Check every record of the ARC (plain or gzip) read from ``fh``, adding to ``report``."""
    _ArcWalker(report, fh).run()
