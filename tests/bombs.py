"""A compression bomb in a WARC: a response whose gzip ``Content-Encoding`` body of a few MB
inflates to a GB, written by warcio (not by archiver), for the tests and benchmarks/bench_bomb."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

URL = "https://bomb.example.org/page"


def gzip_bomb(inflated: int) -> bytes:
    """A gzip stream of an HTML page that inflates to ``inflated`` bytes (spaces, mostly)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [squeeze.compress(b"<html><head><title>bomb</title></head><body><p>")]
    block = b" " * (1 << 20)
    for _ in range(inflated >> 20):
        parts.append(squeeze.compress(block))
    parts.append(squeeze.compress(b"</p></body></html>"))
    parts.append(squeeze.flush())
    return b"".join(parts)


def write_bomb(path: Path, inflated: int = 1 << 30) -> Path:
    """Write a WARC at ``path`` holding one response for URL whose body is ``gzip_bomb``."""
    body = gzip_bomb(inflated)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                          ("Content-Encoding", "gzip"),
                                          ("Content-Length", str(len(body)))],
                               protocol="HTTP/1.1")
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=False)  # a plain WARC, of about 1 MB per GB inflated
        writer.write_record(writer.create_warc_record(
            URL, "response", payload=io.BytesIO(body), http_headers=headers))
    return path
