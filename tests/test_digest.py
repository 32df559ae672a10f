"""WARC digests (archiver/warc/digest.py): every encoding read, every payload convention hashed.

A chunked HTTP payload must hash the same however the block is cut into pieces as it streams,
its framing (sizes, extensions, trailers) must never reach the de-chunked digest, and framing
that breaks the coding must leave only the transfer-encoded ("raw") convention.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from archiver.warc.digest import BlockHasher, Digest, MalformedDigestError, UnsupportedDigestError

BODY = b"The council published its decision on Monday, after a long debate. " * 5
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunked(body: bytes, sizes: list[int], *, ext: bytes = b"", trailer: bytes = b"",
            eol: bytes = b"\r\n", upper: bool = False) -> bytes:
    """``body`` in chunks of ``sizes`` (the rest in one more), then the last chunk."""
    out, pos = b"", 0
    for size in [*sizes, len(body)]:
        piece = body[pos:pos + size]
        if not piece:
            break
        digits = f"{len(piece):X}" if upper else f"{len(piece):x}"
        out += digits.encode() + ext + eol + piece + eol
        pos += len(piece)
    return out + b"0" + ext + eol + trailer + eol


def hashed(block: bytes, step: int, *, http: bool = True) -> BlockHasher:
    hasher = BlockHasher({"sha256"}, "sha256", http)
    view = memoryview(block)
    for start in range(0, len(block), step):
        hasher.update(view[start:start + step])
    return hasher


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 255, 256, 257, 100_000])
def test_chunked_payload_hashes_the_same_however_the_block_streams(step: int) -> None:
    payload = chunked(BODY, [1, 16, 100])
    hasher = hashed(HEAD + payload, step)
    assert hasher.payload_digests() == {"dechunked": sha(BODY), "raw": sha(payload)}
    assert hasher.block_digest("sha256") == sha(HEAD + payload)
    assert not hasher.http_unterminated


@pytest.mark.parametrize("framing", [
    {"ext": b";name=value"},  # chunk extensions are framing, not payload
    {"ext": b";a=1;b=\"2\""},  # any number of them
    {"ext": b";note=" + b"x" * 1000},  # and long ones, over one read of the line
    {"trailer": b"Expires: never\r\nX-Trailer: 1\r\n"},  # so are trailer fields
    {"eol": b"\n"},  # bare LF line ends, as some servers send
    {"upper": True},  # chunk sizes in upper-case hex
])
def test_chunk_framing_never_reaches_the_dechunked_digest(framing: dict) -> None:
    payload = chunked(BODY, [10, 300], **framing)
    for step in (1, 5, 4096):
        assert hashed(HEAD + payload, step).payload_digests()["dechunked"] == sha(BODY)


def test_a_chunk_line_of_the_longest_length_accepted_is_read() -> None:
    # 4096 bytes (_LINE_LIMIT) before its LF; far longer ones are refused (above: 5000)
    line = b"a;" + b"x" * 4093 + b"\r"
    payload = line + b"\n" + BODY[:10] + b"\r\n0\r\n\r\n"
    assert hashed(HEAD + payload, 1 << 16).payload_digests()["dechunked"] == sha(BODY[:10])


def test_bytes_after_the_end_of_the_coding_do_not_break_it() -> None:
    # the raw digest covers them; the de-chunked body ended with the last chunk
    payload = chunked(BODY, [50]) + b"junk" * 2000
    assert hashed(HEAD + payload, 1 << 16).payload_digests() == {
        "dechunked": sha(BODY), "raw": sha(payload)}


def test_a_coding_without_its_final_crlf_is_still_complete() -> None:
    payload = chunked(BODY, [50]).removesuffix(b"\r\n")
    assert hashed(HEAD + payload, 3).payload_digests()["dechunked"] == sha(BODY)


@pytest.mark.parametrize("payload", [
    b"zz\r\n" + BODY + b"\r\n0\r\n\r\n",  # a chunk size that is no hex number
    b"5\r\nabcdeXY\r\n0\r\n\r\n",  # a chunk longer than its size: no CRLF after its data
    b"5\r\nabc",  # cut short inside a chunk
    b"5\r\nabcde\r\n",  # cut short before the last chunk
    b"1" * 5000 + b"\r\nabc\r\n0\r\n\r\n",  # a chunk-size line far over any real one
    b"123456789abcdef01\r\nabc\r\n0\r\n\r\n",  # a size of more than 64 bits
    b"5\r\nabcde\r\n0\r\nX-Trailer: cut",  # a trailer that never ends
    b"5\r\nabcde\r\n0\r\nX-One: 1\r\nX-Two: cut",  # cut after its first field
])
def test_broken_chunked_framing_leaves_only_the_raw_convention(payload: bytes) -> None:
    for step in (1, 4096):
        assert hashed(HEAD + payload, step).payload_digests() == {"raw": sha(payload)}


def test_a_payload_that_is_not_chunked_has_one_digest_for_both_conventions() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY)
    assert hashed(head + BODY, 7).payload_digests() == {"both": sha(BODY)}
    # the header is read whatever its case and spacing
    head = b"HTTP/1.1 200 OK\r\ntransfer-encoding :  gzip, CHUNKED\r\n\r\n"
    payload = chunked(BODY, [9])
    assert hashed(head + payload, 7).payload_digests()["dechunked"] == sha(BODY)


def test_http_headers_that_end_in_bare_lf_are_found() -> None:
    head = b"HTTP/1.0 200 OK\nContent-Type: text/plain\n\n"
    for step in (1, 2, 3, 1000):
        assert hashed(head + BODY, step).payload_digests() == {"both": sha(BODY)}


def test_http_headers_that_never_end_leave_an_empty_payload() -> None:
    hasher = hashed(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n", 5)
    assert hasher.http_unterminated
    assert hasher.payload_digests() == {"both": sha(b"")}


def test_a_block_that_is_not_http_is_its_own_payload() -> None:
    hasher = hashed(BODY, 13, http=False)
    assert hasher.payload_digests() == {"both": sha(BODY)}
    assert not hasher.http_unterminated


def test_a_copy_goes_on_independently_from_the_same_state() -> None:
    # check.py judges a block with and without its last bytes from one copy: the copy and
    # the original must each hash exactly what each was fed, in every part of the state
    whole = HEAD + chunked(BODY, [33])
    for cut in (5, len(HEAD) - 2, len(HEAD) + 1, len(HEAD) + 40, len(whole) - 3):
        original = hashed(whole[:cut], 4)
        twin = original.copy()
        twin.update(memoryview(whole[cut:]))
        original.update(memoryview(whole[cut:-2]))  # the original loses the final CRLF
        assert twin.payload_digests() == {"dechunked": sha(BODY), "raw": sha(whole[len(HEAD):])}
        assert twin.block_digest("sha256") == sha(whole)
        assert original.payload_digests()["dechunked"] == sha(BODY)
        assert original.payload_digests()["raw"] == sha(whole[len(HEAD):-2])
        assert original.block_digest("sha256") == sha(whole[:-2])


def test_match_payload_names_the_convention_a_digest_follows() -> None:
    payload = chunked(BODY, [20])
    hasher = hashed(HEAD + payload, 64)
    assert hasher.match_payload(Digest.parse("sha256:" + sha(BODY).hex())) == "dechunked"
    assert hasher.match_payload(Digest.parse("sha256:" + sha(payload).hex())) == "raw"
    # ClueWeb09 wrote the whole block's digest as the payload's
    assert hasher.match_payload(Digest.parse("sha256:" + sha(HEAD + payload).hex())) == "block"
    assert hasher.match_payload(Digest.parse("sha256:" + sha(b"other").hex())) is None


RAW = hashlib.sha1(b"payload").digest()


@pytest.mark.parametrize(("text", "encoding"), [
    ("sha1:" + base64.b32encode(RAW).decode(), "base32"),  # warcio, Heritrix
    ("sha1:" + base64.b32encode(RAW).decode().rstrip("=").lower(), "base32"),
    ("sha1:" + RAW.hex(), "base16"),
    ("SHA-1:" + RAW.hex().upper(), "base16-upper"),
    ("sha1:" + base64.b64encode(RAW).decode(), "base64"),
    ("sha1:" + base64.b64encode(RAW).decode().rstrip("="), "base64"),
    (" sha1 : " + base64.urlsafe_b64encode(b"\xfb\xff" + RAW[2:]).decode() + " ", "base64url"),
])
def test_digest_values_in_every_encoding_in_use(text: str, encoding: str) -> None:
    digest = Digest.parse(text)
    assert (digest.algorithm, digest.encoding) == ("sha1", encoding)
    assert digest.value == (b"\xfb\xff" + RAW[2:] if encoding == "base64url" else RAW)
    # a found digest is shown as the header writes its own
    assert Digest.parse(digest.render(digest.value)).value == digest.value
    assert digest.render(digest.value).split(":", 1)[0] == text.strip().split(":")[0].strip()


def test_rendering_uses_the_headers_own_encoding() -> None:
    found = hashlib.sha1(b"found").digest()
    assert Digest.parse("sha1:" + RAW.hex()).render(found) == "sha1:" + found.hex()
    assert (Digest.parse("sha1:" + base64.b32encode(RAW).decode()).render(found)
            == "sha1:" + base64.b32encode(found).decode())
    assert (Digest.parse("sha1:" + base64.b64encode(RAW).decode()).render(found)
            == "sha1:" + base64.b64encode(found).decode())


@pytest.mark.parametrize(("algorithm", "size"), [("md5", 16), ("sha256", 32), ("sha512", 64)])
def test_each_algorithm_needs_its_own_length(algorithm: str, size: int) -> None:
    raw = hashlib.new(algorithm, b"x").digest()
    assert Digest.parse(f"{algorithm}:{raw.hex()}").value == raw
    with pytest.raises(MalformedDigestError, match=f"not a {algorithm} digest"):
        Digest.parse(f"{algorithm}:{raw[:-1].hex()}")


@pytest.mark.parametrize("text", [
    "sha1", "sha1-no-colon", "sha1:", "sha1:!!!!", "sha1:" + RAW.hex() + "00",
    "sha1:" + "é" * 40, "sha1:" + "g" * 40, "sha1:" + base64.b32encode(RAW + b"x").decode(),
])
def test_malformed_digests_are_refused(text: str) -> None:
    with pytest.raises(MalformedDigestError):
        Digest.parse(text)


def test_an_unknown_algorithm_is_unsupported_not_malformed() -> None:
    with pytest.raises(UnsupportedDigestError, match="'blake3' is not supported"):
        Digest.parse("blake3:" + "0" * 64)
