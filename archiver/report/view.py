"""What the HTML report shows of each source, gathered from its manifest, its verify report
and its text; plain data for the template, so no template reaches into the collection."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from archiver import __version__
from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.findings import RULES, Finding
from archiver.manifest import Extracted, HistoryEntry, Manifest, ManifestError, load_manifest
from archiver.report.alignment import SideBySide, side_by_side
from archiver.report.custody import CustodyView, custody_view
from archiver.report.formats import name_of, summary
from archiver.report.shown import Shown, browser_shots
from archiver.sources import is_integrity
from archiver.verify import DocumentReport, VerifyResult

_STATUS_ORDER = {"errors": 0, "warnings": 1, "ok": 2}  # problems first, as in the text report
_HISTORY_FIELDS = ("at", "action", "path", "previous_path", "sha256_before", "sha256_after",
                   "reason", "tool", "changes", "by", "chain_sha256")


@dataclass(frozen=True)
class FindingView:
    """A finding with its citable anchor and what its code means."""

    anchor: str
    number: int
    finding: Finding
    label: str  # error, warning or accepted
    doc: str  # what the code means and what to do: at the code's first finding, else ""
    fix: str


@dataclass(frozen=True)
class TextLine:
    """A line of the stored text, with the anchors of the findings on it."""

    number: int
    text: str
    findings: list[FindingView]


@dataclass
class SourceView:
    """Everything the report says of one source."""

    id: str
    anchor: str
    name: str
    status: str
    report: DocumentReport
    manifest: Manifest | None
    findings: list[FindingView]
    file_findings: list[FindingView]  # findings on no line: the file or source as a whole
    lines: list[TextLine] = field(default_factory=list)
    comparison: SideBySide | None = None
    not_compared: str | None = None  # why there is no side-by-side view
    custody: CustodyView = field(default_factory=lambda: custody_view(None))
    withdrawal: HistoryEntry | None = None  # the entry that withdrew the source, if one did
    history: list[dict[str, Any]] = field(default_factory=list)
    shows: list[str] = field(default_factory=list)
    does_not_show: list[str] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)  # browser captures' screenshot and text

    @property
    def fidelity_score(self) -> float | None:
        """The share of the original article's words faithfully present, if compared."""
        return self.report.fidelity_score


@dataclass(frozen=True)
class ReportView:
    """The whole report: where and when it was made, the counts and every source."""

    version: str
    root: str
    generated: str
    summary: dict[str, Any]
    sources: list[SourceView]
    collection_findings: list[FindingView]


def _anchor(source_id: str) -> str:
    return f"src-{source_id}"


def _findings(anchor: str, findings: list[Finding]) -> list[FindingView]:
    """Numbered findings; what a code means is said at its first finding only."""
    seen: set[str] = set()
    out = []
    for n, f in enumerate(findings, 1):
        first = f.code not in seen
        seen.add(f.code)
        out.append(FindingView(f"{anchor}-f{n}", n, f,
                               "accepted" if not f.counts else f.severity.value,
                               RULES[f.code].meaning if first else "",
                               RULES[f.code].fix if first else ""))
    return out


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested manifest data as dotted keys and plain values, to show whatever is stored."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}


def _history(manifest: Manifest) -> list[dict[str, Any]]:
    """Each history entry: the fields the template lays out, the rest under ``other``."""
    out = []
    for entry in manifest.model_dump(mode="json", exclude_none=True)["history"]:
        shown = {k: entry.get(k) for k in _HISTORY_FIELDS}
        shown["other"] = _flatten({k: v for k, v in entry.items() if k not in _HISTORY_FIELDS})
        out.append(shown)
    return out


def _plain_language(view: SourceView) -> None:
    """What this evidence shows, and what it does not, in words a reviewer can quote."""
    d, m = view.report, view.manifest
    shows, lacks = view.shows, view.does_not_show
    if m is None:
        shows.append("Nothing: the manifest that records this source cannot be read.")
        lacks.append("Anything about the source until its manifest is restored from a backup.")
        return
    if (w := view.withdrawal) is not None:
        shows.append(f"This source was withdrawn on {w.at:%Y-%m-%d at %H:%M:%S} UTC"
                     + (f" by {w.by}" if w.by else "") + f": {w.reason}. Its files are kept and "
                     "their custody is still checked; its text is no longer judged for fidelity "
                     "or damage.")
    changed = [v.path for v in d.files if not v.ok]
    if d.files and not changed and not any(f.code == "path-unsafe" for f in d.findings):
        files = "The file" if len(d.files) == 1 else f"Each of the {len(d.files)} files"
        shows.append(f"{files} listed below has today exactly the size and sha256 recorded "
                     "for it: nothing has changed since it was recorded.")
    elif changed:
        shows.append(f"{len(changed)} file(s) are missing or differ from what was recorded "
                     f"({', '.join(changed)}): they are not the evidence that was recorded.")
    damaged = {f.path for f in d.findings if f.counts and is_integrity(f.code)}
    for c in m.captures:
        hops = f", after {len(c.redirects)} redirect(s) from {c.requested_url}" \
            if c.redirects else ""
        ip = f" at {c.ip_address}" if c.ip_address else ""
        held = ("But its WARC file is damaged, missing or not what was recorded (see the "
                "findings): it is no longer evidence of what was sent."
                if c.warc_path in damaged else "The WARC file holds the bytes it sent.")
        shows.append(f"On {c.captured_at:%Y-%m-%d at %H:%M:%S} UTC, {c.tool.name} "
                     f"{c.tool.version} requested {c.final_url}{hops}; the server{ip} answered "
                     f"HTTP {c.http_status}. {held}")
    if m.text is not None:
        origin = m.text.origin
        if isinstance(origin, Extracted):
            shows.append(f"The stored text was extracted from capture {origin.capture_id} by "
                         f"{origin.extractor.name} {origin.extractor.version}.")
        else:
            shows.append(f"The stored text was received from {origin.received_from}"
                         + (f" on {origin.received_at}" if origin.received_at else "")
                         + ", not made by this tool.")
    if view.fidelity_score is not None:
        misquotes = sum(1 for f in d.findings if f.code == "quote-altered" and f.counts)
        quotes = ("no quotation in it differs from the archived page" if not misquotes else
                  f"{misquotes} quotation(s) in it are not verbatim on the archived page "
                  "(misquotes, marked below)")
        shows.append(f"The stored text has {view.fidelity_score:.0%} of the archived article's "
                     f"words as the page has them, and {quotes}.")
    repaired = sum(len(h["changes"] or []) for h in view.history if h["action"] == "repaired")
    if repaired:
        shows.append(f"{repaired} line(s) were repaired from the archived page; each change is "
                     "listed below with the line before and after and the record it came from.")
    accepted = [f for f in d.findings if not f.counts]
    if accepted:
        shows.append(f"{len(accepted)} finding(s) were reviewed by a person and accepted, "
                     "each with the reason given.")
    lacks.append("That what the source says is true: only what was published, and how "
                 "faithfully the stored text keeps it.")
    if m.captures:
        lacks.append("That other readers, at other times or places, were sent the same page: "
                     "a capture is one answer to one request at one time.")
    else:
        lacks.append("That the text is what was published: there is no archived original to "
                     "compare it with.")
    doubtful = [name for name, claim in m.metadata if getattr(claim, "status", None)
                in ("inferred", "unknown")]
    if doubtful:
        lacks.append(f"Who published it and when, beyond the evidence given: these details are "
                     f"inferred or unknown: {', '.join(doubtful)}.")
    shows += view.custody.shows
    lacks += view.custody.does_not_show


def source_view(collection: Collection, report: DocumentReport,
                custody: CustodyView | None = None,
                replay_diffs: Mapping[str, bytes] | None = None) -> SourceView:
    """What the report shows of one source, from its verify report and its files; its
    ``custody`` view when already made (a worker gets the view, not the seal's keys); where
    its browser captures' replays differ (``replay_diffs``, by capture id)."""
    anchor = _anchor(report.id)
    findings = _findings(anchor, report.findings)
    try:
        manifest: Manifest | None = load_manifest(collection.manifest_path(report.id))
    except (ManifestError, ArchiverError):
        manifest = None
    view = SourceView(report.id, anchor, name_of(report), report.status, report, manifest,
                      findings, [v for v in findings if v.finding.line is None],
                      custody=custody or custody_view(report.custody))
    if manifest is not None:
        view.withdrawal = manifest.withdrawal
        view.history = _history(manifest)
        view.shown = browser_shots(collection, manifest, replay_diffs)
        if manifest.text is not None:
            _text(collection, manifest, view)
    _plain_language(view)
    return view


def _text(collection: Collection, manifest: Manifest, view: SourceView) -> None:
    """The stored text's lines with their findings, and the side-by-side comparison."""
    assert manifest.text is not None
    path = manifest.text.path
    try:
        text = collection.resolve(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError, ArchiverError) as exc:
        view.not_compared = f"the stored text cannot be read: {exc}"
        return
    at: dict[int, list[FindingView]] = {}
    for v in view.findings:
        if v.finding.path == path and v.finding.line is not None:
            at.setdefault(v.finding.line, []).append(v)
    view.lines = [TextLine(n, line, at.get(n, []))
                  for n, line in enumerate(text.split("\n"), 1)]
    if not manifest.captures:
        view.not_compared = "there is no archived original to compare the text with"
        return
    try:
        view.comparison = side_by_side(collection, manifest, text)
    except ArchiverError as exc:
        view.not_compared = str(exc)
        return
    for row in view.comparison.rows:
        on = [v for n in row.lines for v in at.get(n, [])]
        row.findings = [v.anchor for v in on]
        row.misquote = any(v.finding.code == "quote-altered" for v in on)


def problems_first(report: DocumentReport) -> tuple[int, str]:
    """The order of sources in a report: errors, then warnings, then ok; by id within each."""
    return _STATUS_ORDER[report.status], report.id


def stamp_time(generated: datetime) -> str:
    """When a report was made, as every page of it says."""
    return f"{generated:%Y-%m-%d %H:%M:%S} UTC"


def build_report(collection: Collection, result: VerifyResult, generated: datetime,
                 replay_diffs: Mapping[str, bytes] | None = None) -> ReportView:
    """The report of a verify run over ``collection``, made at ``generated``; with
    ``replay_diffs`` (``report --replay``), where each replay's screenshot differs."""
    ordered = sorted(result.documents, key=problems_first)
    return ReportView(__version__, str(collection.root), stamp_time(generated),
                      summary(result),
                      [source_view(collection, d, replay_diffs=replay_diffs) for d in ordered],
                      _findings("collection", result.collection_findings))
