"""The HTML report as a folder, for a collection of any size: an index page (the counts,
every source problems first, a filter) and one self-contained page per source.

Each source's page is made and written by a worker process (the pool ``verify`` uses) and
forgotten: only one short index row per source comes back, so memory does not grow with
the sources' texts, comparisons or pages. The folder is written beside its destination and
moved into place when complete: a report that was cut short never looks like one.
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from archiver import __version__
from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.findings import Finding
from archiver.report.custody import CustodyView, custody_view
from archiver.report.formats import summary
from archiver.report.html import render_html, render_index
from archiver.report.view import ReportView, problems_first, source_view, stamp_time
from archiver.verify import DocumentReport, VerifyResult
from archiver.workers import default_jobs, process_pool

INDEX = "index.html"
PAGES = "sources"  # the folder of the sources' pages, sources/ID.html
_SOURCES_PER_WORKER = 8  # as verify: below this a pool costs more than it saves
_BATCH = 16  # sources a worker is handed at a time
_AHEAD = 4  # batches handed out per worker before their rows are taken


@dataclass(frozen=True)
class IndexRow:
    """What the index says of one source, and where its page is."""

    id: str
    page: str  # relative to the index
    name: str
    status: str
    withdrawn: bool
    custody: str
    fidelity: float | None
    open_findings: int
    codes: tuple[str, ...]  # the codes of its open findings, for the filter


@dataclass(frozen=True)
class IndexView:
    """The index page: where and when, the counts, the rows and the collection's findings."""

    version: str
    root: str
    generated: str
    summary: dict[str, Any]
    rows: list[IndexRow]
    collection_findings: list[Finding]


def page_name(source_id: str) -> str:
    """The path of a source's page inside the report folder (ids are file-name safe)."""
    return f"{PAGES}/{source_id}.html"


def _write_page(task: tuple[Path, Path, str, DocumentReport, CustodyView]) -> IndexRow:
    """Make one source's page (a report of that one source) and write it; return its row."""
    root, folder, generated, report, custody = task
    view = source_view(Collection(root), report, custody)
    one = VerifyResult([report], [])
    html = render_html(ReportView(__version__, str(root), generated, summary(one), [view], []))
    name = page_name(report.id)
    (folder / name).write_text(html, encoding="utf-8")
    open_ = [f for f in report.findings if f.counts]
    return IndexRow(report.id, name, view.name or "", report.status,
                    view.withdrawal is not None, view.custody.status, view.fidelity_score,
                    len(open_), tuple(sorted({f.code for f in open_})))


def _task(root: Path, folder: Path, generated: str, report: DocumentReport
          ) -> tuple[Path, Path, str, DocumentReport, CustodyView]:
    # the custody view, not the seal it was checked against (its keys do not pickle)
    return root, folder, generated, replace(report, custody=None), custody_view(report.custody)


def _write_pages(tasks: list[tuple[Path, Path, str, DocumentReport, CustodyView]]
                 ) -> list[IndexRow]:
    return [_write_page(task) for task in tasks]


def _rows(root: Path, folder: Path, generated: str, reports: list[DocumentReport],
          jobs: int) -> Iterator[IndexRow]:
    """The pages written, their rows in the order of ``reports``. Work is handed to the
    workers a batch at a time, a few batches ahead of the rows taken, so what waits in
    memory does not grow with the collection."""
    batches = ([_task(root, folder, generated, r) for r in reports[i:i + _BATCH]]
               for i in range(0, len(reports), _BATCH))
    if jobs == 1 or len(reports) < 2:
        for batch in batches:
            yield from _write_pages(batch)
        return
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    with process_pool(jobs) as pool:
        pending: deque[Future[list[IndexRow]]] = deque()
        try:
            for batch in batches:
                pending.append(pool.submit(_write_pages, batch))
                if len(pending) >= _AHEAD * jobs:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        except BrokenProcessPool:  # killed (out of memory, say): one line, not a traceback
            raise ArchiverError(root, "a worker process died while writing the report; run "
                                      "again, or with --jobs 1 to find the source") from None


_MARK = b'<meta name="generator" content="archiver '  # in the head of every index it writes


def _earlier_report(folder: Path) -> bool:
    """Whether ``folder`` holds an archiver report folder and nothing else (a site's own
    index.html, or any other file, is never replaced)."""
    if {p.name for p in folder.iterdir()} != {INDEX, PAGES}:
        return False
    with (folder / INDEX).open("rb") as fh:
        return _MARK in fh.read(2048)


def _check_destination(folder: Path) -> None:
    """A report folder is written where nothing is, or over an earlier report folder only."""
    if not folder.exists():
        return
    if not folder.is_dir() or (any(folder.iterdir()) and not _earlier_report(folder)):
        raise ArchiverError(folder, "cannot write the report folder there: it exists and is "
                                    "not an earlier report (name a new folder)")


def write_report_folder(collection: Collection, result: VerifyResult, generated: datetime,
                        folder: Path, *, jobs: int | None = None) -> int:
    """Write the report of ``result`` as ``folder``/index.html and one page per source, in
    ``jobs`` processes (default: as verify); replaces an earlier report folder there only
    once the new one is complete. Returns the number of pages written."""
    _check_destination(folder)
    parent = folder.absolute().parent
    if not parent.is_dir():
        raise ArchiverError(folder, "cannot write the report folder there: no such directory")
    staging = parent / f".{folder.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        (staging / PAGES).mkdir(parents=True)
        ordered = sorted(result.documents, key=problems_first)
        count = len(ordered)
        jobs = jobs or min(default_jobs(), count // _SOURCES_PER_WORKER)
        when = stamp_time(generated)
        rows = list(_rows(collection.root, staging, when, ordered, max(1, jobs)))
        index = IndexView(__version__, str(collection.root), when, summary(result), rows,
                          list(result.collection_findings))
        with (staging / INDEX).open("w", encoding="utf-8") as out:
            for chunk in render_index(index):
                out.write(chunk)
        _swap(staging, folder)
    except OSError as exc:
        raise ArchiverError(folder, f"cannot write the report folder: {exc.strerror or exc}"
                            ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return count


def _swap(staging: Path, folder: Path) -> None:
    """Put the complete report folder in place of ``folder`` (an earlier report, if any)."""
    if not folder.exists():
        staging.rename(folder)
        return
    old = folder.absolute().parent / f".{folder.name}.old-{os.getpid()}"
    folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
