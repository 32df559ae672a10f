"""Capture pages: archive each exchange as a new WARC, extract the text, record the provenance.

Files are staged (collection.staging): the WARC (temp file, fsync, hard link that never
replaces), then the text, then the manifest that names them and commits the run, so a capture
killed at any moment leaves only temp-file warnings, and a failed one leaves nothing.
"""

from __future__ import annotations

import contextlib
import functools
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archiver.capture.fetch import Fetch, Fetcher, FetchOptions, HostThrottle, require_at_least
from archiver.capture.memento import fetch_memento
from archiver.capture.netpolicy import check_url
from archiver.collection import DEFAULT_WAIT, Collection, Staging
from archiver.errors import ArchiverError, CaptureError
from archiver.fidelity.extract import Extraction, PageMetadata, extract
from archiver.fileio import sha256_bytes
from archiver.findings import Finding
from archiver.history import ARCHIVER, record, require_active, require_intact
from archiver.manifest import (
    Capture,
    Claim,
    Exchange,
    Extracted,
    FileEntry,
    FileRole,
    Manifest,
    Memento,
    Metadata,
    Status,
    TextRecord,
    load_manifest,
    now,
)
from archiver.warc.records import (
    ArchivedResponse,
    CaptureWarc,
    WarcError,
    build_capture,
    check_capture,
)
from archiver.workers import default_jobs, process_pool

WARC_MEDIA_TYPE = "application/warc"
TEXT_MEDIA_TYPE = "text/markdown; charset=utf-8"
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class CaptureOptions(FetchOptions):
    """The options of ``archiver capture``: how to fetch, plus how many at once."""

    jobs: int = 1
    per_host: int = 1  # requests at a time to one host
    delay: float = 0.0  # seconds between requests to one host
    from_archive: str | None = None  # a Memento TimeGate prefix: fetch the archived original
    at: datetime | None = None  # the moment asked of the TimeGate (default: the latest)

    def __post_init__(self) -> None:
        super().__post_init__()
        require_at_least(("--jobs", self.jobs, 1), ("--per-host", self.per_host, 1),
                         ("--delay", self.delay, 0))
        if self.at is not None and self.from_archive is None:
            raise ArchiverError("--at", "asks a web archive for a moment: give --from-archive")
        if self.at is not None and self.at.tzinfo is None:
            raise ArchiverError("--at", "give the time with its zone (2024-05-01T12:00:00Z)")


@dataclass(frozen=True)
class CaptureOutcome:
    """What became of one URL or source: the capture recorded, or the error that stopped it."""

    url: str | None
    source_id: str | None = None
    capture: Capture | None = None
    text_path: str | None = None
    warnings: tuple[Finding, ...] = ()
    error: ArchiverError | None = None

    @property
    def ok(self) -> bool:
        """Whether the capture was recorded."""
        return self.error is None

    @property
    def message(self) -> str:
        """One line saying what happened."""
        if self.error is not None:
            return str(self.error)
        assert self.capture is not None
        capture = self.capture
        done = f"{self.source_id}: captured {capture.described} (HTTP {capture.http_status})"
        return done + (f", text {self.text_path}" if self.text_path else "")


def source_id_for(url: str) -> str:
    """The id a new source captured from ``url`` gets: its host and a hash of the URL."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    slug = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")[:60] or "source"
    return f"{slug}-{sha256_bytes(url.encode('utf-8'))[:12]}"


def pending_ids(collection: Collection) -> list[str]:
    """Every source whose capture is pending (what ``capture --pending`` captures); withdrawn
    sources are left out."""
    pending = []
    for sid in collection.ids():
        manifest = load_manifest(collection.manifest_path(sid))
        if manifest.capture_pending is not None and manifest.withdrawal is None:
            pending.append(sid)
    return pending


def capture_urls(collection: Collection, urls: Iterable[str], options: CaptureOptions,
                 new_id: str | None = None, *, by: str | None = None,
                 wait: float = DEFAULT_WAIT) -> Iterator[CaptureOutcome]:
    """Capture each URL as a new source, yielding outcomes as they finish (duplicates once).

    ``new_id`` names the new source of a single URL; an id that is taken or reserved is
    refused here, before anything is fetched. ``by`` is who captures (default: the login
    user), for the history. Takes the collection's write lock (waiting at most ``wait``
    seconds) before fetching anything and again for each commit, where an id another run
    committed meanwhile is refused: two runs never both take one URL's id."""
    unique = new_urls(collection, urls, new_id)
    tasks = [(url, new_id, _new_source_task(collection, url, options, new_id, by))
             for url in unique]
    return _run(collection, tasks, options, wait)


def new_urls(collection: Collection, urls: Iterable[str], new_id: str | None) -> list[str]:
    """The URLs to capture as new sources, each once; ``new_id`` (the id of the new source of
    a single URL) refused, before anything is fetched, if it is taken or reserved."""
    unique = list(dict.fromkeys(urls))
    if new_id is not None:
        if len(unique) != 1:
            raise ArchiverError(new_id, "--new-id names one new source: give exactly one URL")
        if collection.new_manifest_path(new_id).exists():
            raise ArchiverError(new_id, f"source {new_id!r} exists already; add a capture to "
                                        f"it with --id {new_id}")
    return unique


def capture_existing(collection: Collection, ids: Iterable[str], options: CaptureOptions,
                     *, by: str | None = None,
                     wait: float = DEFAULT_WAIT) -> Iterator[CaptureOutcome]:
    """Add a capture of its ``metadata.url`` to each source, leaving its text as it is;
    refuses a withdrawn source; takes the write lock as ``capture_urls`` does."""
    tasks = [(None, sid, _existing_source_task(collection, sid, options, by))
             for sid in dict.fromkeys(ids)]
    return _run(collection, tasks, options, wait)


def _run(collection: Collection, tasks: list[tuple[str | None, str | None, _Task]],
         options: CaptureOptions, wait: float) -> Iterator[CaptureOutcome]:
    """Run ``tasks`` ``options.jobs`` at a time. Nothing is fetched while another run holds the
    collection's lock (the lock is taken once first, which also rolls back killed runs); then
    each capture downloads without it, so ``verify`` and other commands are not kept waiting
    by the network, and takes it only to commit (where a taken id is refused)."""
    commit = committer(collection, wait)
    yield from _outcomes([(url, sid, functools.partial(task, commit=commit))
                          for url, sid, task in tasks], options)


def committer(collection: Collection, wait: float) -> _Commit:
    """Take the collection's write lock once, now (nothing is fetched while another run
    holds it; killed runs are rolled back), and return what each capture holds while it
    commits: the lock again, this process's commits one at a time. A caller that holds the
    write lock already covers its threads' commits."""
    held = collection.held()
    if held == "read":
        raise ArchiverError(collection.root, "cannot capture while this run holds the read lock")
    with collection.writing(wait=wait):
        pass
    serial = threading.Lock()

    @contextmanager
    def commit() -> Iterator[None]:
        with serial, (contextlib.nullcontext() if held == "write"
                      else collection.writing(wait=wait)):
            yield

    return commit


def _outcomes(tasks: list[tuple[str | None, str | None, _Task]],
              options: CaptureOptions) -> Iterator[CaptureOutcome]:
    throttle = HostThrottle(options.per_host, options.delay)
    pool_size = max(options.jobs, options.per_host)
    with (_archiver(min(options.jobs, len(tasks), default_jobs())) as archive,
          Fetcher(options, throttle=throttle, pool_size=pool_size) as fetcher):
        # on Ctrl-C, downloads in flight stop within a fraction of a second
        yield from run_tasks(options.jobs, [(url, sid, functools.partial(task, fetcher, archive))
                                            for url, sid, task in tasks], fetcher.cancel)


def run_tasks(workers: int, calls: list[tuple[str | None, str | None, Callable[[], Any]]],
              stop: Callable[[], None]) -> Iterator[CaptureOutcome]:
    """Run each (url, source id, call) in ``workers`` threads, yielding outcomes as they
    finish (an ArchiverError as the outcome's error). On the way out, Ctrl-C or a caller that
    stops early included, ``stop`` ends the work in flight at once; a commit in progress
    ends whole."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(call): (url, sid) for url, sid, call in calls}
        try:
            for future in as_completed(futures):
                url, sid = futures[future]
                try:
                    yield future.result()
                except ArchiverError as exc:
                    yield CaptureOutcome(url=url, source_id=sid, error=exc)
        finally:
            stop()
            pool.shutdown(cancel_futures=True)


@dataclass(frozen=True)
class _Archived:
    """A fetch serialised as a WARC, its final response read back from it, and (when asked
    for and the page is HTML) the text extracted from that response."""

    warc: CaptureWarc
    response: ArchivedResponse
    extraction: Extraction | None


# (fetch, WARC file name, warcinfo fields, max body, extract?) -> _Archived
_Archive = Callable[[Fetch, str, Mapping[str, str], int, bool], _Archived]
_Commit = Callable[[], AbstractContextManager[None]]  # holds the lock while a capture commits
_Task = Callable[..., CaptureOutcome]  # (fetcher, archive, *, commit) -> outcome


@contextmanager
def _archiver(workers: int) -> Iterator[_Archive]:
    """Archiving and extraction are CPU-bound and hold the GIL: with more than one capture at
    a time they run in ``workers`` processes, while this one's threads fetch and write."""
    if workers < 2:
        yield _archive
        return
    with process_pool(workers) as pool:
        def archive(fetched: Fetch, *args: Any) -> _Archived:
            try:
                return pool.submit(_archive, fetched, *args).result()
            except BrokenProcessPool:
                raise CaptureError(fetched.requested_url,
                                   "a worker process died while archiving it") from None
        yield archive


def _archive(fetched: Fetch, filename: str, info: Mapping[str, str], max_body: int,
             extract_text: bool) -> _Archived:
    warc = build_capture(fetched, filename, info)
    try:
        response = check_capture(warc, fetched, max_body=max_body)
    except WarcError as exc:
        raise CaptureError(fetched.requested_url, exc.reason) from None
    extractable = extract_text and response.status < 400 and response.is_html
    extraction = (extract(response.body, fetched.page_url, charset=response.charset)
                  if extractable else None)
    return _Archived(warc, response, extraction)


def _new_source_task(collection: Collection, url: str, options: CaptureOptions,
                     new_id: str | None, by: str | None) -> _Task:
    def task(fetcher: Fetcher, archive: _Archive, *, commit: _Commit) -> CaptureOutcome:
        check_url(url)
        source_id = new_id or source_id_for(url)
        manifest_path = collection.manifest_path(source_id)
        if manifest_path.exists():  # checked again on commit: another run may take it
            raise taken(url, source_id)
        stored = _prepare(source_id, *_fetch(fetcher, url, options), options, archive,
                          extract_text=True)
        warnings = _text_warnings(stored)
        manifest = Manifest(
            id=source_id,
            metadata=Metadata(url=Claim(value=url, status=Status.CONFIRMED,
                                        note="the URL it was captured from")),
            files=[stored.file],
            captures=[stored.capture],
        )
        with commit(), _write_errors(manifest_path):
            if manifest_path.exists():
                raise taken(url, source_id)
            with collection.staging() as staged:
                _write(staged, stored, manifest, by)
                text = add_text(staged, manifest, stored.capture, stored.extraction, by)
                staged.commit(manifest)
        return CaptureOutcome(url, source_id, stored.capture, text, warnings)
    return task


def taken(url: str, source_id: str) -> CaptureError:
    return CaptureError(url, f"source {source_id} already exists; add a capture with --id "
                             f"{source_id}")


def _existing_source_task(collection: Collection, source_id: str,
                          options: CaptureOptions, by: str | None) -> _Task:
    def task(fetcher: Fetcher, archive: _Archive, *, commit: _Commit) -> CaptureOutcome:
        url = capture_url(collection, source_id)
        stored = _prepare(source_id, *_fetch(fetcher, url, options), options, archive,
                          extract_text=False)
        add_capture(collection, source_id, commit, stored.file, stored.capture,
                    lambda staged, manifest: _write(staged, stored, manifest, by))
        return CaptureOutcome(url, source_id, stored.capture, None, _http_warnings(stored))
    return task


def capture_url(collection: Collection, source_id: str) -> str:
    """The URL an existing source is captured again from; raise before anything is sent if
    the source is withdrawn, its history does not chain, or its URL is unknown."""
    url = capturable(collection.source_manifest_path(source_id)).metadata.url.value
    if not url:
        raise CaptureError(source_id, "no URL to capture (metadata.url is unknown)")
    return url


def add_capture(collection: Collection, source_id: str, commit: _Commit, file: FileEntry,
                capture: Capture, write: Callable[[Staging, Manifest], None]) -> None:
    """Commit a new capture (its WARC ``file``) of an existing source, under the collection's
    lock: the manifest is read again as it is now (another run may have written it), and
    ``write`` stages the WARC and records it in the history."""
    manifest_path = collection.source_manifest_path(source_id)
    with commit(), _write_errors(manifest_path):
        manifest = capturable(manifest_path)
        manifest.files.append(file)
        manifest.captures.append(capture)
        manifest.capture_pending = None
        with collection.staging() as staged:
            write(staged, manifest)
            staged.commit(manifest)


def capturable(manifest_path: Path) -> Manifest:
    """The source's manifest, refused if it is withdrawn or its history does not chain."""
    manifest = load_manifest(manifest_path)
    require_active(manifest)
    require_intact(manifest)
    return manifest


@contextmanager
def _write_errors(manifest_path: Path) -> Iterator[None]:
    """Report a failed write as an ArchiverError naming the file."""
    try:
        yield
    except OSError as exc:
        raise ArchiverError(exc.filename2 or exc.filename or manifest_path,
                            f"cannot write: {exc.strerror or exc}") from None


def _text_path(source_id: str) -> str:
    return f"corpus/{source_id}.txt"


@dataclass(frozen=True)
class _Stored:
    """A capture WARC ready to write: its bytes, manifest entries, final response read back,
    and the text extracted from it, if asked for and possible."""

    file: FileEntry
    capture: Capture
    response: ArchivedResponse
    extraction: Extraction | None
    data: bytes


def _fetch(fetcher: Fetcher, url: str, options: CaptureOptions
           ) -> tuple[Fetch, Memento | None]:
    """Fetch ``url`` from the web, or its archived original from ``options.from_archive``."""
    if options.from_archive is None:
        return fetcher.fetch(url), None
    return fetch_memento(fetcher, options.from_archive, url, options.at)


def _prepare(source_id: str, fetched: Fetch, memento: Memento | None, options: CaptureOptions,
             archive: _Archive, *, extract_text: bool) -> _Stored:
    """Serialise ``fetched`` as a new WARC of ``source_id``, read it back and (if
    ``extract_text``) extract its text, with ``archive``; write nothing."""
    captured_at = now()
    capture_id = f"{captured_at:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
    relpath = f"corpus/{source_id}/{source_id}-{capture_id}.warc.gz"
    archived = archive(fetched, relpath.rsplit("/", 1)[1], _warcinfo(options), options.max_bytes,
                       extract_text)
    warc, final, ids = archived.warc, fetched.final, archived.warc.exchanges[-1]
    capture = Capture(
        id=capture_id,
        requested_url=fetched.requested_url,
        final_url=final.url,
        warc_path=relpath,
        warc_sha256=sha256_bytes(warc.data),
        request_record_id=ids.request_id,
        response_record_id=ids.response_id,
        captured_at=captured_at,
        http_status=final.status,
        content_type=final.content_type,
        payload_digest=ids.payload_digest,
        ip_address=final.ip_address or None,
        tool=ARCHIVER,
        redirects=[
            Exchange(url=hop.url, http_status=hop.status, request_record_id=hop_ids.request_id,
                     response_record_id=hop_ids.response_id, location=hop.location)
            for hop, hop_ids in zip(fetched.exchanges[:-1], warc.exchanges[:-1], strict=True)
        ],
        memento=memento,
    )
    file = FileEntry(path=relpath, sha256=capture.warc_sha256, size=len(warc.data),
                     media_type=WARC_MEDIA_TYPE, role=FileRole.WARC)
    return _Stored(file, capture, archived.response, archived.extraction, warc.data)


def _write(staged: Staging, stored: _Stored, manifest: Manifest, by: str | None) -> None:
    """Write the capture's WARC (never replacing one) and record it in ``manifest``'s history."""
    staged.write(stored.file.path, (stored.data,))
    capture = stored.capture
    record(manifest, "captured", f"captured {capture.described} (HTTP {capture.http_status})",
           by=by, path=stored.file.path,
           sha256_after=stored.file.sha256, at=capture.captured_at)


def _warcinfo(options: CaptureOptions) -> dict[str, str]:
    """The capture options, as warcinfo fields."""
    return {
        "http-header-user-agent": options.user_agent,
        "capture-timeout": f"{options.timeout:g}",
        "capture-max-bytes": str(options.max_bytes),
        "capture-max-redirects": str(options.max_redirects),
        "capture-allow-private": "yes" if options.allow_private else "no",
        **({"capture-from-archive": options.from_archive} if options.from_archive else {}),
    }


def _http_warnings(stored: _Stored) -> tuple[Finding, ...]:
    status = stored.capture.http_status
    if status < 400:
        return ()
    return (Finding("capture-http-error", f"HTTP {status}: archived as evidence, no text",
                    stored.file.path),)


def _text_warnings(stored: _Stored) -> tuple[Finding, ...]:
    """The warnings of a new source's capture: an HTTP error, or no text extracted."""
    response = stored.response
    if warnings := _http_warnings(stored):
        return warnings
    if not response.is_html:
        kind = response.media_type or "no content type"
        return (Finding("text-not-extracted", f"not HTML ({kind}): archived, no text",
                        stored.file.path),)
    if stored.extraction is None or not stored.extraction.text:
        return (Finding("text-not-extracted", "no article text found in the page",
                        stored.file.path),)
    return ()


def add_text(staged: Staging, manifest: Manifest, capture: Capture,
             extraction: Extraction | None, by: str | None = None) -> str | None:
    """Record the page metadata and write the text of a new source's capture into
    ``manifest``; return the text's path (None when there is no text)."""
    if extraction is None:
        return None
    manifest.metadata = _metadata(manifest.metadata.url, extraction.metadata, capture)
    if not extraction.text:
        return None
    relpath = _text_path(manifest.id)
    data = extraction.text.encode("utf-8")
    staged.write(relpath, (data,))
    digest = sha256_bytes(data)
    manifest.files.append(FileEntry(path=relpath, sha256=digest, size=len(data),
                                    media_type=TEXT_MEDIA_TYPE, role=FileRole.TEXT))
    extracted_at = now()
    manifest.text = TextRecord(path=relpath, origin=Extracted(
        capture_id=capture.id, extractor=extraction.extractor, extracted_at=extracted_at))
    record(manifest, "extracted", f"extracted from capture {capture.id} of "
           f"{capture.described}", by=by, path=relpath, sha256_after=digest, at=extracted_at)
    return relpath


def _metadata(url: Claim[str], page: PageMetadata, capture: Capture) -> Metadata:
    """The metadata of a new source: its URL, and what the page says, marked 'extracted'."""
    note = f"read from capture {capture.id}"
    fields: dict[str, Any] = {"url": url}
    published = _publication_time(page.date)
    for name, value in (("title", page.title), ("authors", page.authors or None),
                        ("publisher", page.sitename), ("published", published),
                        ("language", page.language if _LANGUAGE.match(page.language or "")
                         else None)):
        if value is not None:
            fields[name] = {"value": value, "status": Status.EXTRACTED, "note": note}
    canonical = page.canonical_url
    if canonical and canonical not in (url.value, capture.page_url):
        fields["mirrors"] = [{"value": canonical, "status": Status.EXTRACTED,
                              "note": f"canonical URL declared by the page; {note}"}]
    return Metadata.model_validate(fields)


def _publication_time(value: str | None) -> datetime | date | None:
    """An ISO date or time from the page, as the manifest holds it (naive times as dates)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.date()
