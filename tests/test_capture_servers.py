"""Capture against real servers (the stdlib's, nginx) and raw sockets: each capture is read
back from its WARC with warcio and compared with the bytes the server sent."""

from __future__ import annotations

import gzip
import io
import re
import socket
import time
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard
from servers import PAGES
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader

from archiver.capture.pages import CaptureOptions, CaptureOutcome, capture_urls
from archiver.collection import LOCK_FILE, Collection
from archiver.manifest import load_manifest
from archiver.warc.coding import ACCEPT_ENCODING
from archiver.warc.records import read_response

OPTIONS = CaptureOptions(allow_private=True, timeout=10)


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    return Collection.init(tmp_path / "collection")


def run(collection: Collection, *urls: str, options: CaptureOptions = OPTIONS
        ) -> list[CaptureOutcome]:
    return list(capture_urls(collection, urls, options))


def captured(collection: Collection, url: str, options: CaptureOptions = OPTIONS
             ) -> CaptureOutcome:
    [outcome] = run(collection, url, options=options)
    assert outcome.ok, outcome.message
    return outcome


def warc_exchange(collection: Collection, outcome: CaptureOutcome) -> tuple[bytes, bytes, str]:
    """(request block, response block, response record ID) of the final exchange, read
    back from the WARC by warcio."""
    assert outcome.capture is not None
    path = collection.resolve(outcome.capture.warc_path)
    with open(path, "rb") as stream:  # every digest checked, as any reader would
        for record in ArchiveIterator(stream, check_digests="raise"):
            record.raw_stream.read()
    blocks = {}
    with open(path, "rb") as stream:  # the blocks, HTTP headers included, byte for byte
        for record in ArchiveIterator(stream, no_record_parse=True):
            blocks[record.rec_headers.get_header("WARC-Record-ID")] = record.raw_stream.read()
    capture = outcome.capture
    return (blocks[capture.request_record_id], blocks[capture.response_record_id],
            capture.response_record_id)


def payload(response: bytes) -> tuple[bytes, bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    return head, body


def no_files(collection: Collection) -> bool:
    # the lock file is the only one a failed capture may leave: capture takes the lock
    return not [p for p in collection.root.rglob("*") if p.is_file() and p.name != LOCK_FILE]


# --- the stdlib's HTTP/1.0 server: it closes the connection after every response ---

@pytest.mark.parametrize("jobs", [1, 4])
def test_stdlib_http10_server_real_pages_every_byte(collection, stdlib_site, jobs):
    urls = [f"{stdlib_site.base}/{name}" for name in PAGES]
    outcomes = run(collection, *urls, options=CaptureOptions(allow_private=True, timeout=10,
                                                             jobs=jobs))
    assert [o.message for o in outcomes if not o.ok] == []
    for outcome in outcomes:
        _, response, _ = warc_exchange(collection, outcome)
        head, body = payload(response)
        assert head.startswith(b"HTTP/1.0 200 OK\r\n")
        assert body == (stdlib_site.root / outcome.url.rsplit("/", 1)[1]).read_bytes()
        assert outcome.text_path is not None


# --- raw sockets: framings nobody well-behaved sends, and limits ---

CHUNKED_WITH_TRAILERS = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                         b"Transfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                         b"10;ext=1\r\n<html><body><p>T\r\n"
                         b"1a\r\nrailers come after it.</p>\r\n"
                         b"0\r\nX-Checksum: 1234\r\n\r\n")
FRAMINGS = {
    "close-delimited-1.1": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                           b"\r\n<html><body><p>No length: the end is the close.</p>",
    "close-delimited-1.0": b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
                           b"<html><body><p>HTTP/1.0, no length.</p>",
    "chunked-trailers": CHUNKED_WITH_TRAILERS,
    "no-content": b"HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n",
    "not-modified": b"HTTP/1.1 304 Not Modified\r\nContent-Encoding: br\r\nETag: \"x\"\r\n\r\n",
    "many-long-headers": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         + b"".join(b"X-Header-%d: %s\r\n" % (i, b"v" * 8000) for i in range(90))
                         + b"Content-Length: 5\r\n\r\nhello",
}


@pytest.mark.parametrize("name", FRAMINGS)
def test_odd_framings_are_archived_byte_for_byte(collection, raw_server, name):
    url = raw_server.add(f"/framing/{name}", FRAMINGS[name])
    outcome = captured(collection, url)
    _, response, record_id = warc_exchange(collection, outcome)
    assert response == FRAMINGS[name]
    assert outcome.capture is not None
    assert outcome.capture.http_status == int(FRAMINGS[name].split(b" ", 2)[1])
    archived = read_response(collection.resolve(outcome.capture.warc_path), record_id)
    if name == "chunked-trailers":
        assert archived.body == b"<html><body><p>Trailers come after it.</p>"
    else:
        assert archived.body == payload(FRAMINGS[name])[1]


def test_keep_alive_connection_is_reused(collection, raw_server):
    def keep_alive(conn: socket.socket) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
                     b"\r\nkept")
        return True

    urls = [raw_server.add(f"/keep/{i}", keep_alive) for i in range(3)]
    before = raw_server.connections
    outcomes = run(collection, *urls, options=CaptureOptions(allow_private=True, timeout=10,
                                                             jobs=1))
    assert all(o.ok for o in outcomes)
    assert raw_server.connections - before == 1
    for outcome in outcomes:
        assert payload(warc_exchange(collection, outcome)[1])[1] == b"kept"


def trickle(conn: socket.socket) -> bool:
    """A byte every 50 ms of a body that would take 50 seconds."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        conn.sendall(b"x")
        time.sleep(0.05)
    return False


def endless_chunks(conn: socket.socket) -> bool:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (10_000, b"y" * 10_000)
    while True:
        conn.sendall(chunk)


BOMB = gzip.compress(b"\0" * 20_000_000)
REFUSED = {
    "trickle": (trickle, r"timed out: the exchange took more than --timeout 0\.5 seconds"),
    "endless-chunked": (endless_chunks, "response exceeds --max-bytes 200000"),
    "oversize-length": (b"HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n" + b"z" * 300_000,
                        "response exceeds --max-bytes 200000"),
    "garbage-status": (b"SPAM SPAM SPAM\r\n\r\n", "connection failed: .*SPAM"),
    "binary-status": (b"\x00\xff\x1b[31m\nHTTP\r\n\r\n", "connection failed: "),
    "empty-answer": (b"", "connection failed: .*closed connection without response"),
    "huge-header": (b"HTTP/1.1 200 OK\r\nX-Big: " + b"h" * 70_000 + b"\r\n\r\n",
                    "connection failed: .*line"),
    "too-many-headers": (b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 150 + b"\r\n",
                         "connection failed: .*more than 100 headers"),
    "short-body": (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
                   "connection failed: .*IncompleteRead"),
    "bad-chunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
                  "connection failed: "),
    "bad-gzip": (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n\r\n"
                 b"notgzip!", "cannot decode the response body: gzip data does not decode"),
    "gzip-bomb": (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(BOMB), BOMB), "decoded response body exceeds 200000 bytes"),
    "unknown-coding": (b"HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\nContent-Length: 3\r\n"
                       b"\r\nabc", "unsupported content encoding 'compress'"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_what_cannot_be_archived_faithfully_is_one_line_and_nothing_written(
        collection, raw_server, name):
    answer, cause = REFUSED[name]
    url = raw_server.add(f"/refused/{name}", answer)
    [outcome] = run(collection, url, options=CaptureOptions(allow_private=True, timeout=0.5,
                                                            max_bytes=200_000))
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error.path == url
    assert outcome.error.exit_code == 1
    assert "\n" not in outcome.message and "Traceback" not in outcome.message
    assert len(outcome.message) < 400
    assert re.search(cause, outcome.message), outcome.message
    assert no_files(collection)


# --- content codings, from the test site: the WARC keeps them, extraction decodes them ---

ARTICLE = ("<!DOCTYPE html><html><head><meta charset=\"windows-1252\"><title>Caf\u00e9</title>"
           "</head><body><article><h1>Caf\u00e9 owners \u201cwelcome\u201d the ruling</h1>"
           + "<p>The owners of the na\u00efve caf\u00e9 said the ruling was \u201ca relief\u201d "
             "for everyone who works there, according to the court's report.</p>" * 8
           + "</article></body></html>").encode("cp1252")


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


CODINGS = {
    "gzip": ("gzip", gzip.compress),
    "deflate": ("deflate", zlib.compress),
    "raw-deflate": ("deflate", raw_deflate),
    "br": ("br", brotli.compress),
    "zstd": ("zstd", zstandard.ZstdCompressor().compress),
}


@pytest.mark.parametrize("name", CODINGS)
def test_content_codings_are_kept_as_sent_and_decoded_for_the_text(collection, http_site,
                                                                   name):
    coding, encode = CODINGS[name]
    sent = encode(ARTICLE)
    # a charset declared only in <meta>: the Content-Type has none
    url = http_site.add(f"/coding/{name}", sent, content_type="text/html",
                        headers={"Content-Encoding": coding})
    outcome = captured(collection, url)
    request, response, record_id = warc_exchange(collection, outcome)
    assert f"\r\nAccept-Encoding: {ACCEPT_ENCODING}\r\n".encode() in request
    head, body = payload(response)
    assert f"\r\nContent-Encoding: {coding}\r\n".encode() in head + b"\r\n"
    assert body == sent
    assert outcome.capture is not None
    archived = read_response(collection.resolve(outcome.capture.warc_path), record_id)
    assert archived.body == ARTICLE
    assert outcome.text_path is not None
    text = collection.resolve(outcome.text_path).read_text("utf-8")
    assert "Caf\u00e9 owners \u201cwelcome\u201d the ruling" in text


# --- credentials in a URL: refused, never sent, never stored ---

def test_url_with_credentials_is_refused_and_never_sent(collection, http_site):
    http_site.add("/secret/page", "<p>behind a password</p>")
    url = http_site.base.replace("http://", "http://alice:hunter2@") + "/secret/page"
    [outcome] = run(collection, url)
    assert not outcome.ok
    assert outcome.error is not None and outcome.error.exit_code == 2
    assert outcome.message == (f"{http_site.url('/secret/page')}: URL contains credentials "
                               "(user:password@): refused, nothing was sent or stored")
    assert "hunter2" not in outcome.message and "alice" not in outcome.message
    assert "/secret/page" not in [path for path, _ in http_site.requests]
    assert no_files(collection)


def test_redirect_to_a_url_with_credentials_is_refused(collection, http_site):
    target = http_site.base.replace("http://", "http://bob:pw@") + "/secret/other"
    url = http_site.redirect("/secret/redirect", target)
    [outcome] = run(collection, url)
    assert not outcome.ok
    assert "URL contains credentials" in outcome.message and ":pw@" not in outcome.message
    assert "/secret/other" not in [path for path, _ in http_site.requests]
    assert no_files(collection)


# --- nginx, a production server, with gzip and brotli ---

def plain_fetch(port: int, request: bytes) -> bytes:
    """The answer to ``request`` (its headers as they are, but HTTP/1.0 and Connection: close)
    over a plain socket: the same encoded bytes, unchunked, ending with the connection."""
    line, _, rest = request.partition(b"\r\n")
    rest = rest.replace(b"Connection: keep-alive", b"Connection: close")
    assert b"Connection: close" in rest
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(line.replace(b"HTTP/1.1", b"HTTP/1.0") + b"\r\n" + rest)
        answer = bytearray()
        while data := sock.recv(65536):
            answer += data
    return bytes(answer)


def dechunked(head: bytes, body: bytes) -> bytes:
    """The body with chunked framing removed by warcio's reader, if it is chunked."""
    if b"\r\ntransfer-encoding: chunked" not in head.lower():
        return body
    reader = ChunkedDataReader(io.BytesIO(body), raise_exceptions=True)
    return reader.read()


@pytest.mark.parametrize(("prefix", "coding", "decoder"), [
    ("/", "br", brotli.decompress),
    ("/close/", "br", brotli.decompress),
    ("/gzip/", "gzip", gzip.decompress),
    ("/plain/", None, bytes),
])
def test_nginx_pages_as_served(collection, nginx, prefix, coding, decoder):
    urls = [f"{nginx.base}{prefix}{name}" for name in PAGES]
    outcomes = run(collection, *urls, options=CaptureOptions(allow_private=True, timeout=10,
                                                             jobs=2))
    assert [o.message for o in outcomes if not o.ok] == []
    for outcome in outcomes:
        request, response, record_id = warc_exchange(collection, outcome)
        head, body = payload(response)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nServer: nginx" in head
        if coding is None:
            assert b"content-encoding" not in head.lower()
        else:
            assert f"\r\nContent-Encoding: {coding}".encode() in head
        if prefix == "/close/":
            assert b"\r\nConnection: close" in head
        served = (nginx.root / outcome.url.rsplit("/", 1)[1]).read_bytes()
        as_sent = dechunked(head, body)
        assert decoder(as_sent) == served
        assert payload(plain_fetch(nginx.port, request))[1] == as_sent
        assert outcome.capture is not None
        archived = read_response(collection.resolve(outcome.capture.warc_path), record_id)
        assert archived.body == served
        manifest = load_manifest(collection.manifest_path(outcome.source_id or ""))
        assert manifest.captures[0].payload_digest is not None
