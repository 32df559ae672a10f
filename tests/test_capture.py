"""Capturing into a collection: WARC, text and manifest, or nothing at all."""

from __future__ import annotations

import io
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.pages import (
    CaptureOptions,
    CaptureOutcome,
    capture_existing,
    capture_urls,
    pending_ids,
    source_id_for,
)
from archiver.cli import main
from archiver.collection import LOCK_FILE, Collection
from archiver.errors import ArchiverError, CaptureError
from archiver.fileio import sha256_bytes, sha256_file
from archiver.manifest import (
    Claim,
    FileRole,
    Manifest,
    Metadata,
    Status,
    load_manifest,
)
from archiver.sources import add_source
from archiver.verify import verify

OPTIONS = CaptureOptions(allow_private=True, timeout=5)
ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="windows-1252">
<title>Caf\u00e9 owners \u201cwelcome\u201d the ruling</title>
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2020-03-12">
</head><body><nav><a href="/">Home</a></nav>
<article><h1>Caf\u00e9 owners \u201cwelcome\u201d the ruling</h1>
<p>The owners of the na\u00efve little caf\u00e9 said the ruling was \u201ca relief\u201d for
everyone who works there, according to <a href="https://example.org/report">the report</a>.</p>
<p>The court found that the city had no grounds to close the caf\u00e9 for the season, and
ordered it to pay the costs of the case within thirty days of the judgment.</p>
</article></body></html>"""


def run(collection: Collection, *urls: str, options: CaptureOptions = OPTIONS
        ) -> list[CaptureOutcome]:
    return list(capture_urls(collection, urls, options))


def files(collection: Collection) -> list[str]:
    """Every file in the collection, temp files included (not the lock every writer takes)."""
    return sorted(p.relative_to(collection.root).as_posix()
                  for p in collection.root.rglob("*") if p.is_file() and p.name != LOCK_FILE)


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    return Collection.init(tmp_path / "collection")


def test_new_source_from_a_redirected_windows_1252_page(collection, http_site):
    http_site.add("/cap/article", ARTICLE.encode("cp1252"), chunked=True, gzip=True,
                  content_type="text/html; charset=windows-1252")
    url = http_site.redirect("/cap/old-article", "/cap/article", status=301)

    [outcome] = run(collection, url)

    assert outcome.ok, outcome.message
    assert outcome.warnings == ()
    source_id = source_id_for(url)
    assert outcome.source_id == source_id
    manifest = load_manifest(collection.manifest_path(source_id))
    capture = manifest.captures[0]
    assert re.fullmatch(rf"corpus/{source_id}/{source_id}-\d{{14}}-[0-9a-f]{{8}}\.warc\.gz",
                        capture.warc_path)
    assert (capture.requested_url, capture.final_url) == (url, http_site.url("/cap/article"))
    assert (capture.http_status, capture.ip_address) == (200, "127.0.0.1")
    assert capture.content_type == "text/html; charset=windows-1252"
    assert [(r.url, r.http_status, r.location) for r in capture.redirects] == [
        (url, 301, http_site.url("/cap/article"))]
    warc_path = collection.resolve(capture.warc_path)
    assert sha256_file(warc_path) == (capture.warc_sha256, manifest.file(capture.warc_path).size)
    with open(warc_path, "rb") as stream:
        records = {r.rec_headers.get_header("WARC-Record-ID"): r.rec_headers
                   for r in ArchiveIterator(stream)}
    response = records[capture.response_record_id]
    assert response.get_header("WARC-Payload-Digest") == capture.payload_digest
    assert response.get_header("WARC-Target-URI") == capture.final_url
    assert records[capture.request_record_id].get_header("WARC-Concurrent-To") == \
        capture.response_record_id
    assert manifest.file(capture.warc_path).media_type == "application/warc"

    # The text, decoded from windows-1252, with its link.
    assert outcome.text_path == manifest.text.path == f"corpus/{source_id}.txt"
    text = collection.resolve(manifest.text.path).read_text("utf-8")
    assert "na\u00efve little caf\u00e9 said the ruling was \u201ca relief\u201d" in text
    assert "[the report](https://example.org/report)" in text
    assert manifest.text.origin.capture_id == capture.id
    assert manifest.text.origin.extractor.name == "trafilatura"
    assert manifest.file(manifest.text.path).media_type == "text/markdown; charset=utf-8"
    [captured, entry] = manifest.history
    assert (captured.action, captured.path, captured.sha256_after) == (
        "captured", capture.warc_path, capture.warc_sha256)
    assert (entry.action, entry.path, entry.sha256_before) == ("extracted", manifest.text.path,
                                                               None)
    assert entry.sha256_after == sha256_bytes(text.encode("utf-8"))

    # What the page says is marked extracted; the URL is the one captured.
    meta = manifest.metadata
    assert (meta.title.value, meta.title.status) == (
        "Caf\u00e9 owners \u201cwelcome\u201d the ruling", Status.EXTRACTED)
    assert (meta.authors.value, meta.authors.status) == (["Jane Doe"], Status.EXTRACTED)
    assert (str(meta.published.value), meta.published.status) == ("2020-03-12", Status.EXTRACTED)
    assert (meta.language.value, meta.language.status) == ("en", Status.EXTRACTED)
    assert (meta.url.value, meta.url.status) == (url, Status.CONFIRMED)
    assert manifest.capture_pending is None
    assert not verify(collection, jobs=1).failed()


def test_http_error_is_archived_as_evidence_without_text(collection, http_site):
    url = http_site.add("/cap/gone", "<html><body><p>Not here</p></body></html>", status=404)
    [outcome] = run(collection, url)
    assert outcome.ok
    assert [w.code for w in outcome.warnings] == ["capture-http-error"]
    manifest = load_manifest(collection.manifest_path(outcome.source_id))
    assert manifest.captures[0].http_status == 404
    assert manifest.text is None and outcome.text_path is None
    assert files(collection) == [manifest.captures[0].warc_path, f"manifests/{manifest.id}.json"]


def test_non_html_is_archived_without_text(collection, http_site):
    url = http_site.add("/cap/paper.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
                        content_type="application/pdf")
    [outcome] = run(collection, url)
    assert outcome.ok
    [warning] = outcome.warnings
    assert (warning.code, warning.message) == ("text-not-extracted",
                                               "not HTML (application/pdf): archived, no text")
    manifest = load_manifest(collection.manifest_path(outcome.source_id))
    assert manifest.text is None
    assert manifest.captures[0].content_type == "application/pdf"
    assert [f.role for f in manifest.files] == [FileRole.WARC]


def test_page_without_article_text_gets_no_text(collection, http_site):
    url = http_site.add("/cap/empty", "<html><head><title>Empty</title></head><body></body></html>")
    [outcome] = run(collection, url)
    assert outcome.ok
    assert [(w.code, w.message) for w in outcome.warnings] == [
        ("text-not-extracted", "no article text found in the page")]
    assert load_manifest(collection.manifest_path(outcome.source_id)).text is None


@pytest.mark.parametrize(("case", "cause"), [
    ("refused", "cannot connect to 127.0.0.1"),
    ("timeout", "timed out"),
    ("oversize", "exceeds --max-bytes 50000"),
    ("private", r"refused address 127\.0\.0\.1 \(loopback\)"),
])
def test_failed_capture_writes_nothing(collection, http_site, closed_port, case, cause):
    url, options = {
        "refused": (f"http://127.0.0.1:{closed_port}/a", OPTIONS),
        "timeout": (http_site.add("/cap/slow", "<p>late</p>", delay=1.0),
                    CaptureOptions(allow_private=True, timeout=0.2)),
        "oversize": (http_site.add("/cap/huge", "<p>" + "x" * 200_000 + "</p>"),
                     CaptureOptions(allow_private=True, max_bytes=50_000)),
        "private": (http_site.add("/cap/private", "<p>private</p>"), CaptureOptions()),
    }[case]
    [outcome] = run(collection, url, options=options)
    assert not outcome.ok
    assert isinstance(outcome.error, CaptureError)
    assert outcome.error.path == url
    assert re.search(cause, outcome.message)
    assert files(collection) == []


def test_failed_write_after_the_warc_removes_the_warc(collection, http_site):
    url = http_site.add("/cap/unwritable", ARTICLE)
    text_path = collection.resolve(f"corpus/{source_id_for(url)}.txt")
    text_path.mkdir()  # the text cannot be written, after the WARC was
    [outcome] = run(collection, url)
    assert isinstance(outcome.error, ArchiverError)
    assert outcome.message.startswith(f"{text_path}: cannot write: ")
    assert files(collection) == []


def test_killed_capture_leaves_nothing(collection, http_site):
    url = http_site.add("/cap/killed", ARTICLE, delay=5.0)
    code = ("import sys; from pathlib import Path; from archiver.capture.pages import *; "
            "from archiver.collection import Collection; "
            "list(capture_urls(Collection(Path(sys.argv[1])), [sys.argv[2]], "
            "CaptureOptions(allow_private=True)))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    child = subprocess.Popen([sys.executable, "-c", code, str(collection.root), url], env=env)
    deadline = time.monotonic() + 30
    while "/cap/killed" not in dict(http_site.requests) and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert "/cap/killed" in dict(http_site.requests)
    assert files(collection) == []
    assert not verify(collection, jobs=1).failed()


def test_capturing_the_same_url_again_is_refused(collection, http_site):
    url = http_site.add("/cap/twice", ARTICLE)
    [first] = run(collection, url)
    [second] = run(collection, url)
    assert first.ok
    assert isinstance(second.error, CaptureError)
    assert second.message == (f"{url}: source {first.source_id} already exists; "
                              f"add a capture with --id {first.source_id}")


def test_many_urls_one_request_at_a_time_per_host(collection, http_site):
    urls = [http_site.add(f"/cap/many/{i}", ARTICLE, delay=0.02) for i in range(5)]
    outcomes = list(capture_urls(collection, urls + urls[:1],  # a repeat is captured once
                                 CaptureOptions(allow_private=True, timeout=5, jobs=3)))
    assert sorted(o.url for o in outcomes) == sorted(urls)
    assert all(o.ok for o in outcomes)
    assert len({o.source_id for o in outcomes}) == 5
    spans = http_site.times("/cap/many/")
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(spans))
    assert not verify(collection, jobs=1).failed()


def test_captures_in_worker_processes_record_what_one_alone_records(collection, http_site,
                                                                     tmp_path):
    urls = [http_site.add(f"/cap/workers/{i}", ARTICLE) for i in range(4)]
    together = run(collection, *urls, options=CaptureOptions(allow_private=True, timeout=5,
                                                             jobs=4, per_host=4))
    alone = Collection.init(tmp_path / "alone")
    [single] = run(alone, urls[2])
    [same] = [o for o in together if o.url == urls[2]]
    assert all(o.ok and o.text_path for o in together)
    assert (collection.resolve(same.text_path).read_bytes()
            == alone.resolve(single.text_path).read_bytes())
    first, second = (load_manifest(c.manifest_path(o.source_id))
                     for c, o in ((collection, same), (alone, single)))
    for name in ("title", "authors", "published", "language"):
        assert getattr(first.metadata, name).value == getattr(second.metadata, name).value
    assert first.metadata.publisher.value is second.metadata.publisher.value is None  # unnamed
    assert first.metadata.title.value == "Caf\u00e9 owners \u201cwelcome\u201d the ruling"
    assert first.text.origin.extractor == second.text.origin.extractor


@pytest.mark.parametrize(("head", "publisher"), [
    ("", None),  # the page names no publisher: the host name is not one
    ('<meta property="og:site_name" content="The Harbour Gazette">', "The Harbour Gazette"),
    ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": '
     '"NewsArticle", "headline": "Ruling", "publisher": {"@type": "Organization", '
     '"name": "Gazette Media Group"}}</script>', "Gazette Media Group"),
])
def test_the_publisher_is_what_the_page_names(collection, http_site, head, publisher):
    url = http_site.add(f"/cap/publisher/{len(head)}", ARTICLE.replace("</head>", head + "</head>"))
    [outcome] = run(collection, url)
    claim = load_manifest(collection.manifest_path(outcome.source_id)).metadata.publisher
    assert claim.value == publisher


def test_errors_keep_their_kind_across_processes():
    error = pickle.loads(pickle.dumps(CaptureError("http://example.org/", "timed out")))
    assert type(error) is CaptureError
    assert (error.path, error.reason, error.exit_code) == ("http://example.org/", "timed out", 1)


def pending_source(collection: Collection, source_id: str, url: str | None) -> Manifest:
    """A source as it is received (through the tool): a text, no capture yet."""
    received = collection.root.parent / f"{source_id}-received.txt"
    received.write_bytes(b"A received text.\n")
    metadata = Metadata(url=Claim(value=url, status=Status.INFERRED, note="a guess")
                        if url else Claim(status=Status.UNKNOWN))
    return add_source(collection, received, source_id, metadata, received_from="a colleague")


def test_existing_source_gets_captures_and_keeps_its_text(collection, http_site):
    url = http_site.add("/cap/existing", ARTICLE)
    before = pending_source(collection, "seed", url)
    text_bytes = collection.resolve("corpus/seed.txt").read_bytes()
    assert pending_ids(collection) == ["seed"]

    [first] = capture_existing(collection, pending_ids(collection), OPTIONS)
    [second] = capture_existing(collection, ["seed"], OPTIONS)

    assert first.ok and second.ok, (first.message, second.message)
    assert first.text_path is None and first.warnings == ()
    after = load_manifest(collection.manifest_path("seed"))
    assert after.capture_pending is None
    assert pending_ids(collection) == []
    assert after.text == before.text and after.metadata == before.metadata
    assert [(e.action, e.path) for e in after.history] == [("received", "corpus/seed.txt")] + [
        ("captured", c.warc_path) for c in after.captures]
    assert collection.resolve("corpus/seed.txt").read_bytes() == text_bytes
    first_warc, second_warc = (c.warc_path for c in after.captures)
    assert first_warc != second_warc  # a WARC is never overwritten or appended to
    assert sha256_file(collection.resolve(first_warc))[0] == after.captures[0].warc_sha256
    assert [c.final_url for c in after.captures] == [url, url]
    assert not verify(collection, jobs=1).failed()


def test_existing_source_without_url_cannot_be_captured(collection):
    pending_source(collection, "nourl", None)
    [outcome] = capture_existing(collection, ["nourl"], OPTIONS)
    assert outcome.message == "nourl: no URL to capture (metadata.url is unknown)"
    assert load_manifest(collection.manifest_path("nourl")).capture_pending is not None


@pytest.mark.parametrize(("options", "message"), [
    ({"jobs": 0}, "--jobs: must be at least 1, not 0"),
    ({"per_host": 0}, "--per-host: must be at least 1, not 0"),
    ({"delay": -1}, "--delay: must be at least 0, not -1"),
    ({"timeout": 0}, "--timeout: must be at least 0.001, not 0"),
    ({"max_bytes": 0}, "--max-bytes: must be at least 1, not 0"),
    ({"max_redirects": -1}, "--max-redirects: must be at least 0, not -1"),
    ({"timeout": float("nan")}, "--timeout: must be a finite number, not nan"),
    ({"timeout": float("inf")}, "--timeout: must be a finite number, not inf"),
    ({"delay": float("nan")}, "--delay: must be a finite number, not nan"),
])
def test_options_out_of_range_are_refused(options, message):
    with pytest.raises(ArchiverError) as info:
        CaptureOptions(**options)
    assert str(info.value) == message


def test_source_id_is_the_host_and_a_hash_of_the_url():
    url = "https://www.Example.org/news/2020/item?id=1"
    assert source_id_for(url) == "example-org-" + sha256_bytes(url.encode())[:12]
    assert source_id_for(url) != source_id_for(url + "2")


def test_warcinfo_records_the_options(collection, http_site):
    url = http_site.add("/cap/info", ARTICLE)
    options = CaptureOptions(allow_private=True, timeout=7, max_bytes=123_456, max_redirects=4,
                             user_agent="archiver/0.1.0 (test)")
    [outcome] = run(collection, url, options=options)
    data = collection.resolve(outcome.capture.warc_path).read_bytes()
    info = next(iter(ArchiveIterator(io.BytesIO(data)))).content_stream().read().decode()
    for field in ("http-header-user-agent: archiver/0.1.0 (test)", "capture-timeout: 7",
                  "capture-max-bytes: 123456", "capture-max-redirects: 4",
                  "capture-allow-private: yes"):
        assert field + "\r\n" in info
    assert dict(http_site.requests)["/cap/info"]["User-Agent"] == "archiver/0.1.0 (test)"


@pytest.mark.parametrize(("argv", "message"), [
    (["http://[::1"], "archiver: http://[::1: not a valid URL: Invalid IPv6 URL"),
    (["http://127.0.0.1:99999/"], "archiver: http://127.0.0.1:99999/: not a valid URL: "
                                  "Port out of range 0-65535"),
    (["http://u:secret@127.0.0.1/"], "archiver: http://127.0.0.1/: URL contains credentials "
                                     "(user:password@): refused, nothing was sent or stored"),
    (["--timeout", "nan", "http://127.0.0.1/"], "archiver: --timeout: must be a finite number, "
                                               "not nan"),
    (["--timeout", "inf", "http://127.0.0.1/"], "archiver: --timeout: must be a finite number, "
                                               "not inf"),
    (["--delay", "nan", "http://127.0.0.1/"], "archiver: --delay: must be a finite number, "
                                             "not nan"),
])
def test_unusable_urls_and_options_are_one_line_exit_2(collection, capsys, argv, message):
    code = main(["capture", "--root", str(collection.root), "--allow-private", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [message]
    assert files(collection) == []
