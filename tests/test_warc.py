"""Capture WARCs: conformant, one gzip member per record, read back and decoded."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver import __version__
from archiver.capture.fetch import Fetch, Fetcher, FetchOptions
from archiver.warc.records import (
    CaptureWarc,
    WarcError,
    build_capture,
    check_capture,
    read_response,
)

PAGE = ("<html><head><title>Caf\u00e9</title></head><body><p>\u201cQuoted\u201d "
        "na\u00efve caf\u00e9 " + "text " * 400 + "</p></body></html>")


@pytest.fixture(scope="module")
def fetched(http_site) -> Fetch:
    """A redirect to a windows-1252 page sent chunked and gzipped."""
    http_site.add("/warc/page", PAGE.encode("cp1252"), chunked=True, gzip=True,
                  content_type="text/html; charset=windows-1252")
    url = http_site.redirect("/warc/start", "/warc/page")
    with Fetcher(FetchOptions(allow_private=True, timeout=5)) as fetcher:
        return fetcher.fetch(url)


@pytest.fixture(scope="module")
def warc(fetched) -> CaptureWarc:
    return build_capture(fetched, "test.warc.gz", {"http-header-user-agent": "archiver/test"})


def members(data: bytes) -> list[bytes]:
    """The decompressed gzip members of ``data``, in order."""
    out = []
    while data:
        unpacker = zlib.decompressobj(31)
        out.append(unpacker.decompress(data))
        data = unpacker.unused_data
    return out


def pack(member: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress(member) + packer.flush()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("command", [["warcio", "check", "-v"], ["fastwarc", "check", "-p"]])
def test_peer_tools_accept_the_warc(warc, tmp_path, command):
    # warcio and fastwarc are dependencies: their commands sit beside this interpreter
    beside = Path(sys.executable).parent / command[0]
    tool = str(beside) if beside.exists() else shutil.which(command[0])
    assert tool is not None, f"{command[0]} is not installed"
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(warc.data)
    result = subprocess.run([tool, *command[1:], str(path)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    if command[0] == "warcio":
        assert result.stdout.count("digest pass") == 5  # warcinfo and two exchanges


def test_records_in_order_with_links_and_digests(warc, fetched):
    records = []
    for record in ArchiveIterator(io.BytesIO(warc.data), check_digests="raise"):
        records.append((record.rec_type, record.rec_headers, record.content_stream().read()))
    assert [kind for kind, _, _ in records] == ["warcinfo", "request", "response",
                                                "request", "response"]
    info = records[0][2].decode()
    assert f"software: archiver/{__version__}\r\n" in info
    assert "format: WARC File Format 1.1\r\n" in info
    assert "http-header-user-agent: archiver/test\r\n" in info
    for (_, request, _), (_, response, _), exchange, ids in zip(
            records[1::2], records[2::2], fetched.exchanges, warc.exchanges, strict=True):
        assert request.get_header("WARC-Concurrent-To") == response.get_header("WARC-Record-ID")
        assert response.get_header("WARC-Record-ID") == ids.response_id
        assert request.get_header("WARC-Record-ID") == ids.request_id
        for headers in (request, response):
            assert headers.get_header("WARC-Target-URI") == exchange.url
            assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
            assert headers.get_header("WARC-Warcinfo-ID") == warc.warcinfo_id
            assert headers.get_header("WARC-Block-Digest").startswith("sha256:")
            assert headers.get_header("WARC-Date").endswith("Z")
        assert response.get_header("WARC-Payload-Digest") == ids.payload_digest
    # The payload digest covers the bytes as sent: chunk framing and gzip included.
    raw_payload = fetched.final.response.partition(b"\r\n\r\n")[2]
    assert warc.exchanges[-1].payload_digest == digest(raw_payload)


def test_each_record_is_its_own_gzip_member(warc):
    parts = members(warc.data)
    assert len(parts) == 5
    assert all(part.startswith(b"WARC/1.1\r\n") and part.endswith(b"\r\n\r\n") for part in parts)


def test_read_back_decodes_transfer_and_content_encoding(warc, fetched):
    response = check_capture(warc, fetched, max_body=10_000_000)
    assert response.record_id == warc.exchanges[-1].response_id
    assert response.target_uri == fetched.final.url
    assert response.status == 200
    assert response.body == PAGE.encode("cp1252")
    assert response.charset == "windows-1252"
    assert response.media_type == "text/html"
    assert response.is_html
    assert response.header("content-encoding") == "gzip"


def test_read_back_refuses_a_flipped_byte(warc, fetched):
    parts = members(warc.data)
    damaged = bytearray(parts[4])
    # The record ends with the last gzip bytes, "\r\n0\r\n\r\n" and "\r\n\r\n".
    damaged[-20] ^= 0x01
    data = b"".join(pack(p) for p in parts[:4]) + pack(bytes(damaged))
    with pytest.raises(WarcError, match=r"does not read back: .*digest failed"):
        check_capture(dataclasses.replace(warc, data=data), fetched, max_body=10_000_000)


def test_read_back_refuses_a_missing_response(warc, fetched):
    data = b"".join(pack(p) for p in members(warc.data)[:4])
    with pytest.raises(WarcError, match=r"expected \['warcinfo', 'request"):
        check_capture(dataclasses.replace(warc, data=data), fetched, max_body=10_000_000)


def test_read_back_refuses_a_body_over_the_limit(warc, fetched):
    with pytest.raises(WarcError, match="exceeds 100 bytes"):
        check_capture(warc, fetched, max_body=100)


def test_read_response_by_record_id(warc, tmp_path: Path):
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(warc.data)
    redirect = read_response(path, warc.exchanges[0].response_id)
    assert redirect.status == 302
    assert redirect.header("Location") == "/warc/page"
    assert redirect.body == b""
    final = read_response(path, warc.exchanges[1].response_id)
    assert final.body == PAGE.encode("cp1252")
    with pytest.raises(WarcError, match="no response record <urn:uuid:nope>"):
        read_response(path, "<urn:uuid:nope>")
    with pytest.raises(WarcError, match="no response record"):  # a request is not a response
        read_response(path, warc.exchanges[1].request_id)


def test_read_response_refuses_a_truncated_record(warc, tmp_path: Path):
    parts = members(warc.data)
    path = tmp_path / "truncated.warc.gz"
    path.write_bytes(b"".join(pack(p) for p in parts[:4]) + pack(parts[4][:-100]))
    with pytest.raises(WarcError, match=r"is truncated \(\d+ bytes missing\)"):
        read_response(path, warc.exchanges[1].response_id)


def test_read_response_refuses_a_wrong_digest(warc, tmp_path: Path):
    parts = members(warc.data)
    damaged = bytearray(parts[4])
    damaged[-20] ^= 0x01
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(b"".join(pack(p) for p in parts[:4]) + pack(bytes(damaged)))
    with pytest.raises(WarcError, match=r"cannot read WARC: .*digest failed") as info:
        read_response(path, warc.exchanges[1].response_id)
    assert "\n" not in str(info.value)
