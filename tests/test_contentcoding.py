"""Content codings decoded by archiver itself, against the libraries' own encoders."""

from __future__ import annotations

import gzip
import io
import zlib

import brotli
import pytest
import zstandard

from archiver.warc.coding import ACCEPT_ENCODING, DECODERS, DecodingError, dechunk, decode

BODY = ("<p>" + "Caf\u00e9 words, and more words. " * 3000 + "</p>").encode()


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


ENCODED = {
    "gzip": gzip.compress(BODY),
    "deflate": zlib.compress(BODY),
    "raw-deflate": raw_deflate(BODY),
    "br": brotli.compress(BODY),
    "zstd": zstandard.ZstdCompressor().compress(BODY),
}


def blocks(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("name", ENCODED)
def test_each_coding_decodes_in_small_blocks(name):
    coding = "deflate" if name == "raw-deflate" else name
    assert decode(blocks(ENCODED[name]), coding, len(BODY)) == BODY


def test_advertised_codings_are_exactly_the_decodable_ones():
    advertised = {c.strip() for c in ACCEPT_ENCODING.split(",")}
    assert advertised == {c for c in DECODERS if not c.startswith("x-")}


def test_stacked_codings_are_undone_last_applied_first():
    data = brotli.compress(gzip.compress(BODY))
    assert decode([data], "gzip, br", len(BODY)) == BODY


def test_gzip_with_several_members():
    data = gzip.compress(BODY[:5000]) + gzip.compress(BODY[5000:])
    assert decode(blocks(data), "gzip", len(BODY)) == BODY


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_a_compression_bomb_stops_at_the_limit(coding):
    zeros = b"\0" * 50_000_000
    data = {"gzip": gzip.compress, "br": brotli.compress,
            "zstd": zstandard.ZstdCompressor().compress}[coding](zeros)
    assert len(data) < 100_000
    with pytest.raises(DecodingError, match="decoded response body exceeds 1000000 bytes"):
        decode([data], coding, 1_000_000)


@pytest.mark.parametrize(("coding", "data", "message"), [
    ("gzip", b"not gzip at all", "gzip data does not decode"),
    ("gzip", ENCODED["gzip"][:-12], "cut short"),
    ("br", b"\xff\xff\xff\xff", "br data does not decode"),
    ("br", ENCODED["br"][:-3], "cut short"),
    ("zstd", b"\x28\xb5\x2f\xfd garbage", "zstd data does not decode"),
    ("compress", b"\x1f\x9d\x90", "unsupported content encoding 'compress'"),
])
def test_undecodable_bodies_are_refused(coding, data, message):
    with pytest.raises(DecodingError, match=message):
        decode([data], coding, 1 << 30)


def test_an_empty_body_needs_no_decoding():
    assert decode([b""], "gzip", 10) == b""
    assert decode([b"as is"], "identity", 10) == b"as is"


def test_dechunk_skips_extensions_and_trailers():
    wire = b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n"
    assert b"".join(dechunk(io.BytesIO(wire))) == b"hello world"


@pytest.mark.parametrize(("wire", "message"), [
    (b"zz\r\nhello\r\n0\r\n\r\n", "bad chunk size line"),
    (b"5\r\nhel", "cut short"),
    (b"5\r\nhelloXX\r\n0\r\n\r\n", "not followed by a line end"),
    (b"5\r\nhello\r\n0\r\n", "ends without its last line"),
])
def test_dechunk_refuses_bad_framing(wire, message):
    with pytest.raises(DecodingError, match=message):
        b"".join(dechunk(io.BytesIO(wire)))
