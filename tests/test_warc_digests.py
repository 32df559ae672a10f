"""The writer's digests: WARC tokens in base16, and the payload convention its warcinfo states."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from archiver.capture.fetch import Fetcher, FetchOptions
from archiver.warc.check import check_warc
from archiver.warc.records import PAYLOAD_DIGEST, build_capture, sha256_digest

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 2616 token, as the WARC grammar uses
PAGE = "<html><body><p>" + "chunked words " * 500 + "</p></body></html>"


def test_sha256_digest_is_a_base16_token() -> None:
    value = sha256_digest(b"abc")
    assert value == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    algorithm, _, digest = value.partition(":")
    assert TOKEN.fullmatch(algorithm) and TOKEN.fullmatch(digest)  # no "=" padding


def test_capture_digests_verify_under_the_stated_convention(http_site, tmp_path: Path) -> None:
    url = http_site.add("/digests/page", PAGE, chunked=True)
    with Fetcher(FetchOptions(allow_private=True, timeout=5)) as fetcher:
        fetch = fetcher.fetch(url)
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(build_capture(fetch, path.name, {}).data)
    plain = gzip.decompress(path.read_bytes())
    digests = re.findall(rb"WARC-(?:Block|Payload)-Digest: ([^\r]*)", plain)
    assert len(digests) == 5  # warcinfo's block; request's and response's block and payload
    assert all(re.fullmatch(rb"sha256:[0-9a-f]{64}", d) for d in digests)
    assert f"payloadDigest: {PAYLOAD_DIGEST}\r\n".encode() in plain
    report = check_warc(path)
    assert report.verdict == "intact" and not report.findings
    response = next(r for r in report.records if r.record_type == "response")
    assert response.payload_check == "verified"
    assert response.payload_convention == "raw"  # chunk framing kept, as the warcinfo says
