"""WARC digests: parse ``WARC-*-Digest`` values in any encoding, and hash a block as it streams.

A payload digest is compared under every convention in use: over the de-chunked HTTP body (the
WARC standard), over the transfer-encoded bytes (warcio, FastWARC), and, as ClueWeb09 wrote it,
over the whole block.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
from dataclasses import dataclass
from typing import Literal, Protocol

Convention = Literal["dechunked", "raw", "both", "block"]

_SIZES = {"sha1": 20, "sha256": 32, "sha512": 64, "md5": 16}  # digest bytes per algorithm
_HEAD_LIMIT = 1 << 20  # an HTTP header section longer than this is treated as unterminated
_LINE_LIMIT = 4096  # longest chunk-size or trailer line accepted when de-chunking
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_BASE32 = re.compile(r"[A-Z2-7]+")
# RFC 4648 base32 digits to Python's int() base-32 digits: decodes in C, not base64's Python loop
_BASE32_TO_INT = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                               "0123456789abcdefghijklmnopqrstuv")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_TRANSFER_ENCODING = re.compile(rb"(?im)^transfer-encoding[ \t]*:(.*)$")


class UnsupportedDigestError(ValueError):
    """A digest whose algorithm this checker cannot compute: a reason to warn, not to fail."""


class MalformedDigestError(ValueError):
    """A digest value that no supported encoding decodes to its algorithm's length."""


class _Hash(Protocol):
    def update(self, data: memoryview, /) -> None: ...
    def digest(self) -> bytes: ...
    def copy(self) -> _Hash: ...


def _decode(text: str, size: int) -> tuple[str, bytes] | None:
    """Read ``text`` as a ``size``-byte digest in base16, base32 or base64 (standard or urlsafe)."""
    if not text.isascii():  # no encoding has other characters (and b64decode raises on them)
        return None
    if len(text) == 2 * size:
        try:
            return ("base16-upper" if text.isupper() else "base16"), bytes.fromhex(text)
        except ValueError:
            pass
    unpadded = text.rstrip("=").upper()
    spare_bits = 5 * len(unpadded) - 8 * size
    if 0 <= spare_bits < 5 and _BASE32.fullmatch(unpadded):
        value = int(unpadded.translate(_BASE32_TO_INT), 32) >> spare_bits
        return "base32", value.to_bytes(size, "big")
    unpadded = text.rstrip("=")
    standard = unpadded.replace("-", "+").replace("_", "/")
    try:
        value = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except binascii.Error:
        return None
    if len(value) != size:
        return None
    return ("base64url" if standard != unpadded else "base64"), value


_ENCODERS = {
    "base16": lambda raw: raw.hex(),
    "base16-upper": lambda raw: raw.hex().upper(),
    "base32": lambda raw: base64.b32encode(raw).decode(),
    "base64": lambda raw: base64.b64encode(raw).decode(),
    "base64url": lambda raw: base64.urlsafe_b64encode(raw).decode(),
}


@dataclass(frozen=True, slots=True)
class Digest:
    """One ``algorithm:value`` digest header, decoded to raw bytes."""

    text: str
    label: str
    algorithm: str
    value: bytes
    encoding: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse a header value; raise UnsupportedDigestError or MalformedDigestError."""
        label, sep, encoded = text.strip().partition(":")
        if not sep:
            raise MalformedDigestError(f"{text!r} is not of the form algorithm:value")
        algorithm = label.strip().lower().replace("-", "")
        if algorithm not in _SIZES:
            raise UnsupportedDigestError(f"digest algorithm {label!r} is not supported")
        decoded = _decode(encoded.strip(), _SIZES[algorithm])
        if decoded is None:
            raise MalformedDigestError(
                f"{encoded.strip()!r} is not a {algorithm} digest in base16, base32 or base64")
        return cls(text.strip(), label.strip(), algorithm, decoded[1], decoded[0])

    def render(self, found: bytes) -> str:
        """Show a computed digest the way this header writes its own, for expected-vs-found."""
        return f"{self.label}:{_ENCODERS[self.encoding](found)}"


def _header_end(head: bytearray, start: int) -> int | None:
    """End of the HTTP header section: after its first empty line, whether that line and the
    one before end in CRLF or in a bare LF (``\\n\\n``, ``\\n\\r\\n``), as warcio and HTTP
    readers find it."""
    found = _BLANK_LINE.search(head, start)
    return found.end() if found else None


def _is_chunked(head: bytes) -> bool:
    """Whether the HTTP headers declare ``Transfer-Encoding: chunked``."""
    return any(b"chunked" in m.group(1).lower() for m in _TRANSFER_ENCODING.finditer(head))


class _Dechunker:
    """Streams the body of a chunked transfer coding, without its framing, to ``sink``."""

    def __init__(self, sink: _Hash) -> None:
        self._sink = sink
        self._state = "size"  # size -> data -> data-end -> size ... -> trailer -> done | failed
        self._left = 0
        self._line = bytearray()

    @property
    def complete(self) -> bool:
        """Whether the coding ended properly (the final CRLF after a last chunk may be absent)."""
        return self._state == "done" or (self._state == "trailer" and not self._line)

    def feed(self, data: memoryview) -> None:
        """Consume the next piece of the transfer-encoded body."""
        pos, end = 0, len(data)
        while pos < end and self._state not in ("done", "failed"):
            if self._state == "data":
                take = min(self._left, end - pos)
                self._sink.update(data[pos:pos + take])
                pos += take
                self._left -= take
                if not self._left:
                    self._state = "data-end"
                continue
            piece = bytes(data[pos:min(end, pos + 256)])
            newline = piece.find(b"\n")
            if newline < 0:
                self._line += piece
                pos += len(piece)
                if len(self._line) > _LINE_LIMIT:
                    self._state = "failed"
                continue
            self._line += piece[:newline]
            pos += newline + 1
            line = bytes(self._line).removesuffix(b"\r")
            self._line.clear()
            self._on_line(line)

    def copy(self, sink: _Hash) -> _Dechunker:
        """The same state, feeding ``sink`` from now on."""
        twin = copy.copy(self)
        twin._sink = sink
        twin._line = bytearray(self._line)
        return twin

    def _on_line(self, line: bytes) -> None:
        if self._state == "size":
            size = line.split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size):
                self._state = "failed"
            else:
                self._left = int(size, 16)
                self._state = "data" if self._left else "trailer"
        elif self._state == "data-end":
            self._state = "size" if not line else "failed"
        elif not line:  # trailer: an empty line ends it
            self._state = "done"


class BlockHasher:
    """Hashes one record block as it streams past: the block itself and, for an HTTP block,
    the payload both raw (transfer-encoded) and de-chunked."""

    def __init__(self, block_algorithms: set[str], payload_algorithm: str | None,
                 http: bool) -> None:
        wanted = block_algorithms | ({payload_algorithm} if payload_algorithm else set())
        self._block = {a: hashlib.new(a) for a in wanted}
        self._algorithm = payload_algorithm
        self._raw: _Hash | None = None
        self._dechunked: _Hash | None = None
        self._dechunker: _Dechunker | None = None
        self._head: bytearray | None = bytearray() if http else None
        self._located = not http  # whether the payload start is known
        self.http = http

    @property
    def http_unterminated(self) -> bool:
        """An HTTP block whose header section never ended (no blank line within the block)."""
        return not self._located

    def copy(self) -> BlockHasher:
        """An independent hasher in the same state: to judge a block both with and without
        its last bytes."""
        twin = copy.copy(self)
        twin._block = {a: h.copy() for a, h in self._block.items()}
        twin._raw = self._raw.copy() if self._raw else None
        twin._dechunked = self._dechunked.copy() if self._dechunked else None
        if self._dechunker and twin._dechunked:
            twin._dechunker = self._dechunker.copy(twin._dechunked)
        twin._head = bytearray(self._head) if self._head is not None else None
        return twin

    def update(self, data: memoryview) -> None:
        """Consume the next piece of the block."""
        for h in self._block.values():
            h.update(data)
        if self._head is not None:
            rest = self._scan_head(data)
            if rest is None:
                return
            data = rest
        if self._raw:
            self._raw.update(data)
        if self._dechunker:
            self._dechunker.feed(data)

    def _scan_head(self, data: memoryview) -> memoryview | None:
        """Collect HTTP headers until their end; return the payload part of ``data`` after it."""
        assert self._head is not None
        before = len(self._head)
        self._head += data[:_HEAD_LIMIT - before + 4]
        end = _header_end(self._head, max(0, before - 3))
        if end is None:
            if len(self._head) > _HEAD_LIMIT:
                self._head = None  # give up: the payload cannot be located
            return None
        self._located = True
        if self._algorithm:
            self._raw = hashlib.new(self._algorithm)
            if _is_chunked(bytes(self._head[:end])):
                self._dechunked = hashlib.new(self._algorithm)
                self._dechunker = _Dechunker(self._dechunked)
        self._head = None
        return data[end - before:]

    def block_digest(self, algorithm: str) -> bytes:
        """The digest of the whole block."""
        return self._block[algorithm].digest()

    def payload_digests(self) -> dict[Convention, bytes]:
        """The payload's digest (in the payload digest's algorithm) under each convention that
        applies: none if the HTTP payload could not be located."""
        assert self._algorithm is not None
        if not self.http:
            return {"both": self.block_digest(self._algorithm)}
        if self._raw is None:
            # headers that never end leave an empty payload; headers too long to scan, none
            return {"both": hashlib.new(self._algorithm).digest()} if self._head is not None else {}
        if self._dechunker is None:
            return {"both": self._raw.digest()}
        if self._dechunker.complete and self._dechunked:
            return {"dechunked": self._dechunked.digest(), "raw": self._raw.digest()}
        return {"raw": self._raw.digest()}

    def match_payload(self, digest: Digest) -> Convention | None:
        """Which convention the payload digest follows, or None if it matches none."""
        for convention, value in self.payload_digests().items():
            if value == digest.value:
                return convention
        if self.block_digest(digest.algorithm) == digest.value:
            return "block"
        return None
