"""HTTP body codings: de-chunking, the content codings capture asks for, decoding them bounded.

Decoded here rather than by warcio, whose brotli path breaks with Brotli >= 1.2 (it reads the
decompressor's ``unused_data``, which no longer exists). Every decoder yields at most a block
at a time, so a compression bomb is stopped at the limit without being inflated whole.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO

import brotli
import zstandard

_BLOCK = 1 << 16
_LINE = 1 << 14  # longest chunk size or trailer line read
# What capture advertises in Accept-Encoding: exactly what decode() can undo.
ACCEPT_ENCODING = "gzip, deflate, br, zstd"
# The most a response body is decoded to when read back from a WARC (import, verify, report):
# no page whose text is worth comparing is larger, and a compression bomb stops here (a 2 MB
# gzip body can inflate to 1 GB)
MAX_DECODED = 64 << 20


class DecodingError(ValueError):
    """A body that does not decode with its declared content coding, or decodes too large."""


class BodyTooLargeError(DecodingError):
    """A body that decodes to more than the limit: decoding stopped there, unfinished."""


def _zlib(blocks: Iterable[bytes], wbits: int) -> Iterator[bytes]:
    """Inflate zlib (15), raw deflate (-15) or gzip (31) data; gzip may hold several members."""
    inflater = zlib.decompressobj(wbits)
    for block in blocks:
        data = block
        while data:
            yield inflater.decompress(data, _BLOCK)
            data = inflater.unconsumed_tail
            if inflater.eof and inflater.unused_data:
                if wbits != 31:
                    raise DecodingError("data after the end of the deflate stream")
                data, inflater = inflater.unused_data, zlib.decompressobj(wbits)
    if not inflater.eof:
        raise DecodingError("the compressed stream is cut short")


def _gzip(blocks: Iterable[bytes]) -> Iterator[bytes]:
    return _zlib(blocks, 31)


def _deflate(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """HTTP 'deflate' is meant to be zlib-wrapped, but many servers send raw deflate."""
    iterator = iter(blocks)
    first = next(iterator, b"")
    if len(first) < 2:  # a zlib header is two bytes; wait for the second
        first += next(iterator, b"")
    zlib_wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and int.from_bytes(first[:2]) % 31 == 0
    return _zlib(_prepend(first, iterator), 15 if zlib_wrapped else -15)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _brotli(blocks: Iterable[bytes]) -> Iterator[bytes]:
    decompressor = brotli.Decompressor()
    for block in blocks:
        yield decompressor.process(block, output_buffer_limit=_BLOCK)
        while not decompressor.can_accept_more_data():
            yield decompressor.process(b"", output_buffer_limit=_BLOCK)
    # output held back by the limit after the last input
    while not decompressor.is_finished() and (
            rest := decompressor.process(b"", output_buffer_limit=_BLOCK)):
        yield rest
    if not decompressor.is_finished():
        raise DecodingError("the compressed stream is cut short")


class _BlockReader:
    """A file-like view of an iterator of blocks, for zstandard's stream reader."""

    def __init__(self, blocks: Iterable[bytes]) -> None:
        self._blocks = iter(blocks)

    def read(self, size: int = -1) -> bytes:
        return next(self._blocks, b"")


def _zstd(blocks: Iterable[bytes]) -> Iterator[bytes]:
    # read_across_frames: a body may hold several frames, as gzip several members
    reader = zstandard.ZstdDecompressor().stream_reader(_BlockReader(blocks),
                                                        read_across_frames=True)
    while block := reader.read(_BLOCK):
        yield block


DECODERS: dict[str, Callable[[Iterable[bytes]], Iterator[bytes]]] = {
    "gzip": _gzip, "x-gzip": _gzip, "deflate": _deflate, "br": _brotli, "zstd": _zstd,
}


def codings(header: str | None) -> list[str]:
    """The content codings a Content-Encoding header names, in the order they were applied."""
    named = [c.strip().lower() for c in (header or "").split(",")]
    return [c for c in named if c and c != "identity"]


_CHUNK_LINE = re.compile(rb"[0-9A-Fa-f]{1,16}[ \t]*(;[^\r\n]*)?\r?\n")
_MAGIC = {"gzip": b"\x1f\x8b", "x-gzip": b"\x1f\x8b", "zstd": b"\x28\xb5\x2f\xfd"}


def looks_chunked(head: bytes) -> bool:
    """Whether a body starting with ``head`` starts as a chunked body does (a chunk size
    line); a body stored de-chunked under a stale Transfer-Encoding header does not."""
    return _CHUNK_LINE.match(head) is not None


def looks_encoded(content_encoding: str | None, head: bytes) -> bool | None:
    """Whether a body starting with ``head`` starts as its one declared content coding's
    data does (gzip and zstd have magic bytes); None when that cannot be told."""
    named = codings(content_encoding)
    if len(named) != 1 or named[0] not in _MAGIC:
        return None
    return head.startswith(_MAGIC[named[0]])


def dechunk(stream: IO[bytes]) -> Iterator[bytes]:
    """The data of a chunked body read from ``stream``, trailers skipped; raise DecodingError
    on bad framing or a body cut short."""
    while True:
        line = stream.readline(_LINE)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise DecodingError(f"bad chunk size line {line[:40]!r}") from None
        if size == 0:
            break
        while size:
            block = stream.read(min(size, _BLOCK))
            if not block:
                raise DecodingError("the chunked body is cut short")
            size -= len(block)
            yield block
        if stream.readline(_LINE).strip():
            raise DecodingError("a chunk is not followed by a line end")
    while (line := stream.readline(_LINE)).strip():  # trailer fields, up to the blank line
        pass
    if not line:
        raise DecodingError("the chunked body ends without its last line")


def decode(blocks: Iterable[bytes], content_encoding: str | None, limit: int) -> bytes:
    """The body ``blocks`` with ``content_encoding`` undone; raise DecodingError if it does not
    decode, names a coding not in DECODERS, or decodes to more than ``limit`` bytes."""
    iterator = iter(blocks)
    first = next((block for block in iterator if block), b"")
    if not first:  # no body (a 204, 304 or HEAD answer may still name its coding)
        return b""
    stream: Iterable[bytes] = _prepend(first, iterator)
    for coding in reversed(codings(content_encoding)):
        decoder = DECODERS.get(coding)
        if decoder is None:
            raise DecodingError(f"unsupported content encoding {coding!r}")
        stream = decoder(stream)
    out: list[bytes] = []
    size = 0
    try:
        for block in stream:
            size += len(block)
            if size > limit:  # stop at the limit: a bomb is never inflated whole
                raise BodyTooLargeError(f"decoded response body exceeds {limit} bytes "
                                        f"(Content-Encoding {content_encoding}); decoding "
                                        "stopped there")
            out.append(block)
    except (zlib.error, brotli.error, zstandard.ZstdError, EOFError) as exc:
        raise DecodingError(f"{content_encoding} data does not decode: {exc}") from None
    return b"".join(out)
