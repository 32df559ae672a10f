"""A collection made the way users make one, to export: real pages captured from servers on
127.0.0.1 (a redirect, a 404 and a 500 among them) and a text added by hand; and pywb, the
Webrecorder replay server, started on 127.0.0.1 over an exported WACZ."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import REAL_PAGES

from archiver.capture.pages import CaptureOptions, capture_urls
from archiver.cli import main
from archiver.collection import LOCK_FILE, Collection

BIN = Path(sys.executable).parent  # the console scripts of the test extra (py-wacz, bagit)
ARTICLE = "aljazeera.com-7916ecca.html"
HAND_TEXT = "A text received from a colleague, \u201cword for word\u201d as it was sent.\n"


@dataclass(frozen=True)
class Captured:
    """The collection and what went into it."""

    collection: Collection
    redirected: str  # the source captured through a 301
    gone: str  # HTTP 404
    broken: str  # HTTP 500
    stdlib: str  # a real page from the stdlib's HTTP/1.0 file server
    by_hand: str  # a text added with `archiver add`, capture pending


@pytest.fixture(scope="session")
def captured(http_site, stdlib_site, tmp_path_factory) -> Captured:
    """Capture real pages into a new collection; tests must not change it (copy it first)."""
    http_site.add("/export/article", (REAL_PAGES / ARTICLE).read_bytes(), chunked=True, gzip=True)
    urls = [http_site.redirect("/export/old", "/export/article", status=301),
            http_site.add("/export/gone", "<html><body><p>Not here</p></body></html>",
                          status=404),
            http_site.add("/export/broken", "<html><body><p>Failed</p></body></html>",
                          status=500),
            f"{stdlib_site.base}/theguardian.com-5fa3154e.html"]
    collection = Collection.init(tmp_path_factory.mktemp("export") / "collection")
    outcomes = list(capture_urls(collection, urls, CaptureOptions(allow_private=True,
                                                                  timeout=10)))
    assert [o.error for o in outcomes] == [None] * 4
    text = collection.root.parent / "received.txt"
    text.write_text(HAND_TEXT, encoding="utf-8")
    assert main(["add", str(text), "--id", "by-hand", "--url", "https://example.org/sent",
                 "--title", "Sent by hand", "--root", str(collection.root)]) == 0
    ids = [o.source_id for o in outcomes]
    return Captured(collection, *ids, "by-hand")  # type: ignore[arg-type]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the collection and its bytes (not the lock, which every run opens)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.name != LOCK_FILE}


