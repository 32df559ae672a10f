"""``archiver capture --browser``: capture pages in one headless Chromium, a tab per job.

Each page is loaded and recorded (capture.browser), serialised and read back
(capture.browserwarc), then staged like an HTTP capture: the WARC, the text extracted from
the rendered DOM, then the manifest that commits them; a page that fails leaves nothing.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from archiver.capture.browser import BrowserOptions, Chromium, PageCapture
from archiver.capture.browserwarc import BrowserWarc, build_browser_warc
from archiver.capture.cdp import find_browser
from archiver.capture.netpolicy import check_url
from archiver.capture.pages import (
    WARC_MEDIA_TYPE,
    CaptureOutcome,
    _Commit,
    _write_errors,
    add_capture,
    add_text,
    capture_url,
    committer,
    new_urls,
    run_tasks,
    source_id_for,
    taken,
)
from archiver.collection import DEFAULT_WAIT, Collection, Staging
from archiver.fidelity.extract import Extraction, extract
from archiver.fileio import sha256_bytes
from archiver.findings import Finding
from archiver.history import ARCHIVER, record
from archiver.manifest import (
    Capture,
    Claim,
    FileEntry,
    FileRole,
    Manifest,
    Metadata,
    Status,
    now,
)
from archiver.warc.records import sha256_digest


@dataclass(frozen=True)
class BrowserRun:
    """The options of a browser capture run: the browser, how many tabs, and each page's."""

    page: BrowserOptions
    jobs: int = 1
    browser_path: str | None = None


def capture_urls_browser(collection: Collection, urls: Iterable[str], run: BrowserRun,
                         new_id: str | None = None, *, by: str | None = None,
                         wait: float = DEFAULT_WAIT, chromium: Chromium | None = None
                         ) -> Iterator[CaptureOutcome]:
    """Capture each URL in the browser as a new source (as ``capture_urls`` does over HTTP),
    yielding outcomes as they finish. ``chromium``: a browser already started with
    ``run.page`` (ended when the run ends), else one is started."""
    unique = new_urls(collection, urls, new_id)
    executable = find_browser(run.browser_path)  # before the lock: a missing browser is usage
    tasks = [(url, new_id, _new_source(collection, url, new_id, by)) for url in unique]
    return _run(collection, tasks, run, chromium or executable, wait)


def capture_existing_browser(collection: Collection, ids: Iterable[str], run: BrowserRun, *,
                             by: str | None = None, wait: float = DEFAULT_WAIT,
                             chromium: Chromium | None = None) -> Iterator[CaptureOutcome]:
    """Add a browser capture of its URL to each existing source, its text left as it is."""
    executable = find_browser(run.browser_path)
    tasks = [(None, sid, _existing_source(collection, sid, by)) for sid in dict.fromkeys(ids)]
    return _run(collection, tasks, run, chromium or executable, wait)


_Task = Callable[[Chromium, _Commit], CaptureOutcome]


def _run(collection: Collection, tasks: list[tuple[str | None, str | None, _Task]],
         run: BrowserRun, browser: Chromium | str, wait: float) -> Iterator[CaptureOutcome]:
    """Run ``tasks`` in tabs of one browser (``browser``, or one started from that
    executable); as the HTTP capture does, each page loads without the collection's lock and
    takes it only to commit (``committer``)."""
    commit = committer(collection, wait)
    with browser if isinstance(browser, Chromium) else Chromium(browser, run.page) as chromium:
        chromium.expect(len(tasks))
        if tasks:  # a browser that cannot start is one error, not one per page
            chromium.browser()
        # on Ctrl-C the browser ends first, so that every tab's wait ends at once
        yield from run_tasks(run.jobs, [(url, sid, functools.partial(task, chromium, commit))
                                        for url, sid, task in tasks], chromium.close)


@dataclass(frozen=True)
class _Stored:
    file: FileEntry
    capture: Capture
    data: bytes
    extraction: Extraction | None


def _store(source_id: str, chromium: Chromium, url: str, *, extract_text: bool) -> _Stored:
    """Load ``url``, serialise it as a new WARC of ``source_id`` and extract the text of its
    rendered DOM (if asked and the page is not an error); write nothing."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        started: dict[str, Future[Extraction]] = {}

        def on_dom(dom: str, served_from: str) -> None:  # extracted during the screenshots
            started[served_from] = pool.submit(extract, dom.encode("utf-8"), served_from,
                                               charset="utf-8")

        page = chromium.capture(url, on_dom if extract_text else None)
        return _stored(source_id, page, url, chromium.options, extract_text, started)


def _stored(source_id: str, page: PageCapture, url: str, options: BrowserOptions,
            extract_text: bool, started: dict[str, Future[Extraction]]) -> _Stored:
    """``page`` serialised, with its text: the extraction ``started`` from the URL the WARC
    names as the page's, else one made now."""
    captured_at = now()
    capture_id = f"{captured_at:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
    relpath = f"corpus/{source_id}/{source_id}-{capture_id}.warc.gz"
    warc: BrowserWarc = build_browser_warc(page, relpath.rsplit("/", 1)[1], options, {})
    final, request_id, response_id = warc.main[-1]
    content_type = next((v for k, v in final.response_headers if k.lower() == "content-type"),
                        None)
    capture = Capture(
        id=capture_id, requested_url=url, final_url=final.url, warc_path=relpath,
        warc_sha256=sha256_bytes(warc.data), request_record_id=request_id,
        response_record_id=response_id, captured_at=captured_at, http_status=final.status,
        content_type=content_type, payload_digest=sha256_digest(final.body or b""),
        ip_address=final.ip_address, tool=ARCHIVER, redirects=warc.redirects,
        method="browser", browser=warc.browser)
    file = FileEntry(path=relpath, sha256=capture.warc_sha256, size=len(warc.data),
                     media_type=WARC_MEDIA_TYPE, role=FileRole.WARC)
    extraction = None
    if extract_text and final.status < 400:
        extraction = (started[final.url].result() if final.url in started
                      else extract(page.dom.encode("utf-8"), final.url, charset="utf-8"))
    return _Stored(file, capture, warc.data, extraction)


def _new_source(collection: Collection, url: str, new_id: str | None, by: str | None
                ) -> _Task:
    def task(chromium: Chromium, commit: _Commit) -> CaptureOutcome:
        check_url(url)
        source_id = new_id or source_id_for(url)
        manifest_path = collection.manifest_path(source_id)
        if manifest_path.exists():  # checked again on commit: another run may take it
            raise taken(url, source_id)
        stored = _store(source_id, chromium, url, extract_text=True)
        manifest = Manifest(
            id=source_id,
            metadata=Metadata(url=Claim(value=url, status=Status.CONFIRMED,
                                        note="the URL it was captured from")),
            files=[stored.file], captures=[stored.capture])
        with commit(), _write_errors(manifest_path):
            if manifest_path.exists():
                raise taken(url, source_id)
            with collection.staging() as staged:
                staged.write(stored.file.path, (stored.data,))
                _history(manifest, stored, by)
                text = add_text(staged, manifest, stored.capture, stored.extraction, by)
                staged.commit(manifest)
        return CaptureOutcome(url, source_id, stored.capture, text, _warnings(stored))
    return task


def _existing_source(collection: Collection, source_id: str, by: str | None) -> _Task:
    def task(chromium: Chromium, commit: _Commit) -> CaptureOutcome:
        url = capture_url(collection, source_id)
        check_url(url)
        stored = _store(source_id, chromium, url, extract_text=False)

        def write(staged: Staging, manifest: Manifest) -> None:
            staged.write(stored.file.path, (stored.data,))
            _history(manifest, stored, by)

        add_capture(collection, source_id, commit, stored.file, stored.capture, write)
        return CaptureOutcome(url, source_id, stored.capture, None, _warnings(stored, False))
    return task


def _history(manifest: Manifest, stored: _Stored, by: str | None) -> None:
    capture = stored.capture
    record(manifest, "captured", f"captured {capture.described} in a browser (HTTP "
           f"{capture.http_status})", by=by, path=stored.file.path,
           sha256_after=stored.file.sha256, at=capture.captured_at)


def _warnings(stored: _Stored, text: bool = True) -> tuple[Finding, ...]:
    status, path = stored.capture.http_status, stored.file.path
    if status >= 400:
        return (Finding("capture-http-error", f"HTTP {status}: archived as evidence, no text",
                        path),)
    if text and (stored.extraction is None or not stored.extraction.text):
        return (Finding("text-not-extracted", "no article text found in the rendered page",
                        path),)
    return ()
