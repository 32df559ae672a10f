"""Compose every check over a collection; yields one report per source and prints nothing."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.cache import Cache, user_environment
from archiver.collection import Collection, UnsafePathError
from archiver.custody.check import SourceCustody, check_custody
from archiver.errors import ArchiverError
from archiver.fidelity import damage
from archiver.fidelity.originals import (
    cached_results,
    check_captures,
    check_text_fidelity,
    original_capture,
)
from archiver.fileio import TEMP_PREFIX, sha256_bytes, sha256_file
from archiver.findings import Finding, Severity
from archiver.history import check_history
from archiver.manifest import Acceptance, ManifestError, read_manifest
from archiver.warc.check import WarcReport, check_capture_warc, check_warc_cached
from archiver.workers import default_jobs, process_pool

if TYPE_CHECKING:
    from archiver.custody.trust import Trust


@dataclass
class FileVerdict:
    """The fixity verdict of one file, for the audit log."""

    path: str
    sha256: str
    ok: bool


@dataclass
class DocumentReport:
    """Everything found for one source."""

    id: str
    findings: list[Finding] = field(default_factory=list)
    title: str | None = None  # the manifest's title and URL, when known, to name the source
    url: str | None = None
    files: list[FileVerdict] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)
    fidelity_score: float | None = None
    manifest_valid: bool = True
    withdrawn: str | None = None  # why, when the source left the active collection
    custody: SourceCustody | None = None

    @property
    def status(self) -> str:
        """``errors``, ``warnings`` or ``ok``, counting only findings not accepted."""
        open_ = [f for f in self.findings if f.counts]
        if any(f.severity is Severity.ERROR for f in open_):
            return "errors"
        return "warnings" if open_ else "ok"


@dataclass
class VerifyResult:
    """The whole run: per-source reports plus findings about the collection as a whole."""

    documents: list[DocumentReport]
    collection_findings: list[Finding]

    def all_findings(self) -> Iterator[Finding]:
        """Every finding of the run."""
        for doc in self.documents:
            yield from doc.findings
        yield from self.collection_findings

    def counts(self) -> Counter[str]:
        """Counts of open errors, open warnings and accepted findings."""
        counts: Counter[str] = Counter()
        for f in self.all_findings():
            counts["accepted" if not f.counts else f.severity.value] += 1
        return counts

    def failed(self, *, strict: bool = False) -> bool:
        """Whether the run fails: any open error, or with ``strict`` any open warning."""
        counts = self.counts()
        return bool(counts["error"] or (strict and counts["warning"]))


def _check_file(collection: Collection, entry_path: str, sha256: str, size: int,
                report: DocumentReport, warcs: dict[str, WarcReport] | None = None,
                use_cache: bool = False, keep: str | None = None) -> Path | None:
    """Fixity of one file; return its absolute path if it exists and is safe to read.

    A WARC (``warcs`` given) is checked whole on the way, keeping record ``keep``."""
    try:
        path = collection.resolve(entry_path)
    except UnsafePathError as exc:
        report.findings.append(Finding("path-unsafe", exc.reason, path=entry_path))
        return None
    if not path.is_file():
        report.findings.append(Finding("file-missing", "named in the manifest but not found",
                                       path=entry_path))
        report.files.append(FileVerdict(entry_path, sha256, ok=False))
        return None
    if warcs is not None:  # a capture's WARC: its integrity check hashes it on the way
        warc = warcs[entry_path] = (
            check_warc_cached(path, sha256, Cache.of(collection.root), keep=keep)
            if use_cache else check_capture_warc(path, sha256=True, keep=keep))
        assert warc.sha256 is not None and warc.size is not None
        found, found_size = warc.sha256, warc.size
    else:
        found, found_size = sha256_file(path)
    ok = found == sha256 and found_size == size
    if not ok:
        report.findings.append(Finding(
            "hash-mismatch",
            f"expected {size} bytes sha256 {sha256[:16]}…, found {found_size} bytes "
            f"sha256 {found[:16]}…",
            path=entry_path,
        ))
    report.files.append(FileVerdict(entry_path, sha256, ok=ok))
    return path


def _read_text(path: Path, relpath: str, cache: Cache | None
               ) -> tuple[str | None, list[Finding]]:
    """The text (None if it is not UTF-8) and its damage findings, saved in ``cache``."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Finding("text-undecodable", f"not valid UTF-8 at byte {exc.start}",
                              path=relpath)]
    return text, damage.scan_cached(text, relpath, cache)


def _apply_acceptances(findings: list[Finding], accepted: list[Acceptance],
                       lines: dict[str, list[str]]) -> list[Finding]:
    """Mark findings that a person accepted, while the accepted line is unchanged."""
    if not accepted:
        return findings
    out = []
    for f in findings:
        match = next((a for a in accepted if acceptance_applies(a, f, lines)), None)
        out.append(replace(f, accepted=match.reason, accepted_by=match.accepted_by) if match
                   else f)
    return out


def line_digest(lines: list[str], line: int | None) -> str | None:
    """The sha256 of line ``line`` (1-based) of a text, or None if it has no such line."""
    if line is None or not 1 <= line <= len(lines):
        return None
    return sha256_bytes(lines[line - 1].encode("utf-8"))


def acceptance_applies(acceptance: Acceptance, finding: Finding,
                       lines: dict[str, list[str]]) -> bool:
    """Whether ``acceptance`` covers ``finding``: same code, path and line, line unchanged."""
    if (acceptance.code, acceptance.path, acceptance.line) != (
        finding.code, finding.path, finding.line
    ):
        return False
    if acceptance.line is None:
        return True
    return line_digest(lines.get(finding.path or "", []), finding.line) == acceptance.line_sha256


def check_source(collection: Collection, source_id: str, *, use_cache: bool = True,
                 content: bool = True) -> DocumentReport:
    """Run every check on one source; fidelity results may come from the cache.

    A withdrawn source keeps its custody checks (fixity, WARC integrity, captures, history);
    its text is no longer judged for fidelity or damage, nor its capture awaited. Without
    ``content``, only integrity is checked (what ``seal`` needs): not the text's fidelity or
    damage."""
    report = DocumentReport(source_id)
    manifest_rel = f"manifests/{source_id}.json"
    try:
        manifest, data = read_manifest(collection.manifest_path(source_id))
    except ManifestError as exc:
        code = "path-unsafe" if exc.unsafe else "manifest-invalid"
        report.findings.append(Finding(code, exc.reason, path=manifest_rel))
        report.manifest_valid = False
        return report
    if manifest.id != source_id:
        report.findings.append(Finding(
            "manifest-invalid", f"id: {manifest.id!r} does not match the file name",
            path=manifest_rel))
    report.title, report.url = manifest.metadata.title.value, manifest.metadata.url.value
    report.claimed = [f.path for f in manifest.files]
    report.findings += check_history(manifest, data, manifest_rel)
    if (withdrawal := manifest.withdrawal) is not None:
        report.withdrawn = withdrawal.reason
    warc_paths = {c.warc_path for c in manifest.captures}
    # the response a text is compared with: kept as its WARC is checked, not read twice
    original = original_capture(manifest) if manifest.text is not None else None
    keep = {original.warc_path: original.response_record_id} if original else {}
    warcs: dict[str, WarcReport] = {}
    present = {e.path: _check_file(collection, e.path, e.sha256, e.size, report,
                                   warcs if e.path in warc_paths else None, use_cache,
                                   keep.get(e.path))
               for e in manifest.files}
    report.findings += check_captures(manifest, present, warcs)
    texts: dict[str, list[str]] = {}
    active = report.withdrawn is None
    if (active and content and manifest.text is not None
            and (text_path := present.get(manifest.text.path))):
        rel = manifest.text.path
        text, findings = _read_text(text_path, rel,
                                    Cache.of(collection.root) if use_cache else None)
        report.findings += findings
        if text is not None:
            texts[rel] = text.split("\n")
            intact = {f.path for f in report.files if f.ok}
            fidelity = check_text_fidelity(collection, manifest, text, present,
                                           use_cache=use_cache and set(present) <= intact,
                                           warcs=warcs)
            report.findings += fidelity.findings
            report.fidelity_score = fidelity.score
    if active and manifest.text is None and manifest.captures:
        report.findings.append(Finding("text-not-extracted",
                                       "no text could be extracted from its captures",
                                       path=manifest_rel))
    if active and not manifest.captures:
        reason = manifest.capture_pending.reason if manifest.capture_pending else ""
        report.findings.append(Finding("capture-pending", f"no archived original: {reason}",
                                       path=manifest_rel))
    report.findings = _apply_acceptances(report.findings, manifest.active_acceptances(), texts)
    report.findings.sort(key=lambda f: (f.path or "", f.line or 0, f.code))
    return report


def _collection_findings(collection: Collection, reports: Iterable[DocumentReport]
                         ) -> list[Finding]:
    """Findings that belong to no one source: stray files, files claimed twice."""
    owners: dict[str, list[str]] = {}
    invalid_prefixes: list[str] = []
    for report in reports:
        if not report.manifest_valid:
            # Its files are unknown: do not call them unreferenced.
            invalid_prefixes += [f"corpus/{report.id}.", f"corpus/{report.id}/"]
        for path in report.claimed:
            owners.setdefault(path, []).append(report.id)
    findings = [
        Finding("file-claimed-twice", f"claimed by {', '.join(ids)}", path=path)
        for path, ids in sorted(owners.items()) if len(ids) > 1
    ]
    staged, planted = collection.journals()
    refused = dict(planted)
    for path in collection.corpus_files():
        if path in owners or path.startswith(tuple(invalid_prefixes)):
            continue
        if path in refused:
            findings.append(Finding("journal-invalid", f"{refused[path]}; a roll-back removes "
                                    "nothing it lists", path=path))
        elif Path(path).name.startswith(TEMP_PREFIX):
            findings.append(Finding("temp-file", "left by an interrupted write", path=path))
        elif path in staged:
            findings.append(Finding("temp-file", f"written by an interrupted run ({staged[path]}) "
                                    "and never recorded", path=path))
        else:
            findings.append(Finding("file-unreferenced", "no manifest names this file",
                                    path=path))
    return findings


def _check_one(args: tuple[Path, str, bool, bool, dict[str, str]]) -> DocumentReport:
    os.environ.update(args[4])  # the run's own cache and secret (cache.user_environment)
    return check_source(Collection(args[0]), args[1], use_cache=args[2], content=args[3])


# By default, a worker per this many sources at most: a pool takes 25 ms to start and feed,
# as long as a warm run of a few sources takes in all (benchmarks/bench_speed.py).
_SOURCES_PER_WORKER = 8


def preload_fidelity(collection: Collection, sources: int, use_cache: bool) -> bool:
    """Import what checks a text's fidelity (trafilatura, lxml, rapidfuzz: a third of a second
    of CPU) and its damage (ftfy: a twentieth) in this process, before the workers fork and
    share it, when the run will likely check one: the collection holds captures (a source's
    folder under corpus/) and the cache holds fewer fidelity results than ``sources``.
    Otherwise each worker imports it if it needs it. Return whether it was imported here."""
    try:
        with os.scandir(collection.corpus_dir) as entries:
            captured = any(entry.is_dir() for entry in entries)
    except OSError:
        return False
    if not captured or (use_cache and cached_results(Cache.of(collection.root)) >= sources):
        return False
    import ftfy.badness  # noqa: F401 -- as damage's mojibake check imports it

    import archiver.fidelity.compare  # noqa: F401

    return True


def _reports(collection: Collection, selected: list[str], jobs: int, use_cache: bool,
             content: bool = True) -> Iterator[DocumentReport]:
    if jobs == 1 or len(selected) < 2:
        yield from (check_source(collection, i, use_cache=use_cache, content=content)
                    for i in selected)
        return
    from concurrent.futures.process import BrokenProcessPool

    if use_cache:
        Cache.of(collection.root).prepare()
    if content:
        preload_fidelity(collection, len(selected), use_cache)
    with process_pool(jobs) as pool:
        user = user_environment()
        work = [(collection.root, i, use_cache, content, user) for i in selected]
        # small chunks: a large last chunk would leave the other workers idle at the end
        try:
            yield from pool.map(_check_one, work,
                                chunksize=max(1, len(selected) // (jobs * 64)))
        except BrokenProcessPool:  # killed (out of memory, say): one line, not a traceback
            raise ArchiverError(collection.root, "a worker process died; run again, or with "
                                                 "--jobs 1 to find the source") from None


def verify(collection: Collection, ids: list[str] | None = None, *, jobs: int | None = None,
           use_cache: bool = True, progress: Callable[[DocumentReport], None] | None = None,
           trust: Trust | None = None, content: bool = True) -> VerifyResult:
    """Check the whole collection (or only ``ids``), every source to the end.

    Sources are checked in ``jobs`` processes (default: all cores, but no more than one per
    ``_SOURCES_PER_WORKER`` sources; fewer are checked in this process); ``progress`` is called
    with each source's report as it is done; ``trust``: what the seals are checked against
    (default: the trust file). Without ``content``, the texts' fidelity and damage are not
    judged: integrity only.
    """
    known = collection.ids()
    for source_id in ids or ():
        if source_id not in known:
            raise ArchiverError(source_id, "no such source in this collection")
    selected = ids if ids else known
    documents = []
    jobs = jobs or min(default_jobs(), len(selected) // _SOURCES_PER_WORKER)
    for report in _reports(collection, selected, max(1, jobs), use_cache, content):
        documents.append(report)
        if progress is not None:
            progress(report)
    # the collection's own folders, as symlinks, lead outside: whatever verify reads there
    unsafe = [Finding("path-unsafe", reason, path=f"{name}/")
              for name, reason in collection.unsafe_folders()]
    custody = check_custody(collection, selected, {d.id: {f.path for f in d.files if not f.ok}
                                                   for d in documents}, trust)
    for report in documents:
        report.custody = custody.sources[report.id]
        report.findings = sorted(report.findings + report.custody.findings,
                                 key=lambda f: (f.path or "", f.line or 0, f.code))
    if ids:  # stray files and a missing seal only a whole run judges; a bad seal taints all
        return VerifyResult(documents, unsafe + [f for f in custody.findings
                                                 if f.severity is Severity.ERROR])
    return VerifyResult(documents, unsafe + _collection_findings(collection, documents)
                        + custody.findings)
