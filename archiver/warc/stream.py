"""A WARC's bytes as a stream of records: gzip members inflated one by one, buffered reads.

The framing half of check-warc: where members start, why the data ended early, and reads by
delimiter or length that never load a record whole.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from typing import Protocol

from isal import isal_zlib

BLOCK = 1 << 20  # read and inflate in 1 MiB blocks
_FEED = 1 << 16  # compressed bytes per inflate call: bounds zlib's copy of unused_data per member
GZIP_MAGIC = b"\x1f\x8b"
_GZIP_HEADER = 10  # fixed part of a gzip member header (RFC 1952 section 2.3)
_RESERVED_FLAGS = 0xE0  # FLG bits 5-7: "reserved", a decoder must fail if any is set
# the end of a header section: its first empty line, ended by CRLF or by a bare LF, as warcio
# reads it (the standard's CRLF CRLF is one of the two)
_BLANK_LINE = re.compile(rb"\n\r?\n")


class Readable(Protocol):
    """A binary file: a real file or a member of a zip."""

    def peek(self, size: int = ..., /) -> bytes: ...
    def read(self, size: int = ..., /) -> bytes: ...


class HashingFile:
    """A binary file whose bytes are hashed as they are read."""

    def __init__(self, fh: Readable, algorithm: str = "sha256") -> None:
        self._fh = fh
        self._digest = hashlib.new(algorithm)
        self._size = 0

    def peek(self, size: int = 1, /) -> bytes:
        """Bytes ahead, not consumed (so not hashed yet)."""
        return self._fh.peek(size)

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes, hashed."""
        data = self._fh.read(size)
        self._digest.update(data)
        self._size += len(data)
        return data

    def finish(self) -> tuple[str, int]:
        """Read what the walk left (after damage) and return (hex digest, size) of the file."""
        while self.read(BLOCK):
            pass
        return self._digest.hexdigest(), self._size


Note = Callable[[str, str], None]  # (finding code, message) about the stream, not a record


class Source:
    """The WARC's uncompressed bytes in blocks, noting where each gzip member starts."""

    def __init__(self, fh: Readable, note: Note) -> None:
        self.gzipped = fh.peek(2)[:2] == GZIP_MAGIC
        self._note = note
        # (uncompressed offset, file offset) of each member start not yet passed by the walker
        self.members: deque[tuple[int, int]] = deque()
        # why the data ended early: (finding code, reason), or None for a clean end
        self.failure: tuple[str, str] | None = None
        self.chunks: Iterator[bytes] = (
            self._inflate(fh) if self.gzipped else iter(partial(fh.read, BLOCK), b""))

    def _inflate(self, fh: Readable) -> Iterator[bytes]:
        """Inflate member after member, so member boundaries and damage are both seen."""
        offset = 0  # file offset of the first byte of ``data``
        produced = 0
        data = fh.read(_FEED)
        while data:
            member = offset
            self.members.append((produced, member))
            while len(data) < _GZIP_HEADER and (more := fh.read(_FEED)):
                data += more
            if len(data) > 3 and data[3] & _RESERVED_FLAGS:
                # ISA-L inflates it anyway; zlib and RFC 1952 decoders refuse it
                self._note("warc-nonconformant", f"the gzip member at offset {member} sets "
                           f"reserved header flag bits ({data[3]:#04x}), which RFC 1952 "
                           "decoders must refuse")
            inflater = isal_zlib.decompressobj(wbits=31)  # ISA-L: twice zlib's speed
            while not inflater.eof:
                if not data and not (data := fh.read(_FEED)):
                    self.failure = ("warc-truncated", f"the gzip member at offset {member} is "
                                    f"cut short: the file ends at {offset}")
                    return
                try:
                    out = inflater.decompress(data, BLOCK)
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


class Reader:
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

    def read_header(self, limit: int) -> tuple[bytes, bool]:
        """Bytes through the first empty line (LF or CRLF ended) and True; or what is left and
        False at the end or past ``limit``."""
        scanned = 0
        while (found := _BLANK_LINE.search(self._buf, self._at + scanned)) is None:
            left = len(self._buf) - self._at
            if left > limit or not self._fill():
                return self._advance(left), False
            scanned = max(0, left - 2)
        return self._advance(found.end() - self._at), True

    def skip_line_ends(self) -> int:
        """Skip CR and LF bytes (stray blank lines between records); return how many."""
        skipped = 0
        while not self.at_end():
            i = self._at
            while i < len(self._buf) and self._buf[i] in b"\r\n":
                i += 1
            skipped += i - self._at
            self._advance(i - self._at)
            if i < len(self._buf):
                break
        return skipped

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of the data)."""
        while len(self._buf) - self._at < n and self._fill():
            pass
        return self._advance(n)

    def buffered(self, offset: int, n: int) -> bytes | None:
        """The ``n`` bytes ``offset`` bytes ahead if they are buffered already, else None."""
        start = self._at + offset
        return self._buf[start:start + n] if start + n <= len(self._buf) else None

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
