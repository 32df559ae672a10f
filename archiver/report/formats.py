"""Render a verify result as text, JSON, GitHub annotations or JUnit XML; no decisions here."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any
from xml.etree import ElementTree as ET

from rich.console import Console
from rich.markup import escape

from archiver.findings import Finding, Severity
from archiver.report.visible import visible
from archiver.verify import DocumentReport, VerifyResult
from archiver.warc.check import WarcReport

_STYLE = {"error": "bold red", "warning": "yellow", "accepted": "dim", "ok": "green",
          "errors": "bold red", "warnings": "yellow"}


def _label(f: Finding) -> str:
    return "accepted" if not f.counts else f.severity.value


def _where(f: Finding) -> str:
    if f.path is None:
        return ""
    return f"{f.path}:{f.line}" if f.line is not None else f.path


def finding_dict(f: Finding) -> dict[str, Any]:
    """The JSON form of a finding."""
    out: dict[str, Any] = {"code": f.code, "severity": f.severity.value, "message": f.message,
                           "path": f.path, "line": f.line}
    if f.accepted is not None:
        out["accepted"] = f.accepted
        out["accepted_by"] = f.accepted_by
    return out


def acceptance_note(f: Finding) -> str:
    """``accepted by NAME: REASON`` (or without the name when none was recorded)."""
    who = f" by {f.accepted_by}" if f.accepted_by else ""
    return f"accepted{who}: {f.accepted}"


def summary(result: VerifyResult) -> dict[str, Any]:
    """Counts for the run."""
    counts = result.counts()
    statuses = Counter(d.status for d in result.documents)
    by_code = Counter(f.code for f in result.all_findings() if f.counts)
    return {
        "documents": len(result.documents),
        "documents_ok": statuses["ok"],
        "documents_with_warnings": statuses["warnings"],
        "documents_with_errors": statuses["errors"],
        "errors": counts["error"],
        "warnings": counts["warning"],
        "accepted": counts["accepted"],
        "by_code": dict(sorted(by_code.items())),
    }


def _document_dict(d: DocumentReport) -> dict[str, Any]:
    out: dict[str, Any] = {"id": d.id, "title": d.title, "url": d.url, "status": d.status,
                           "findings": [finding_dict(f) for f in d.findings]}
    if d.fidelity_score is not None:
        out["fidelity_score"] = round(d.fidelity_score, 4)
    if d.withdrawn is not None:
        out["withdrawn"] = d.withdrawn
    if d.custody is not None:
        out["custody"] = d.custody.as_dict()
    return out


def render_json(result: VerifyResult, out: IO[str]) -> None:
    """One JSON document: summary, per-source findings, collection-wide findings."""
    doc = {
        "summary": summary(result),
        "documents": [_document_dict(d) for d in result.documents],
        "collection": {"findings": [finding_dict(f) for f in result.collection_findings]},
    }
    _write_json(doc, out)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _write_json(doc: object, out: IO[str]) -> None:
    """``doc`` as JSON, non-ASCII as itself; a lone surrogate (a name or text that was not
    UTF-8) as its ``\\uXXXX`` escape, so the output is always UTF-8 that parses."""
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    out.write(_SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text))
    out.write("\n")


def _annotation_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def render_github(result: VerifyResult, out: IO[str]) -> None:
    """GitHub workflow commands: one annotation per finding, at its file and line."""
    level = {Severity.ERROR: "error", Severity.WARNING: "warning"}
    for f in result.all_findings():
        kind = level[f.severity] if f.counts else "notice"
        props = [f"title={_annotation_escape(f.code, prop=True)}"]
        if f.path:
            props.insert(0, f"file={_annotation_escape(visible(f.path), prop=True)}")
            if f.line is not None:
                props.insert(1, f"line={f.line}")
        suffix = f" ({acceptance_note(f)})" if f.accepted is not None else ""
        message = _annotation_escape(visible(f.message + suffix))
        out.write(f"::{kind} {','.join(props)}::{message}\n")


def render_junit(result: VerifyResult, out: IO[str]) -> None:
    """JUnit XML: one test case per source (plus one for the collection as a whole)."""
    cases: list[tuple[str, list[Finding]]] = [(d.id, d.findings) for d in result.documents]
    cases.append(("(collection)", result.collection_findings))
    suite = ET.Element("testsuite", name="archiver verify", tests=str(len(cases)))
    failures = 0
    for name, findings in cases:
        case = ET.SubElement(suite, "testcase", classname="archiver.verify",
                             name=visible(name))
        errors = [f for f in findings if f.counts and f.severity is Severity.ERROR]
        if errors:
            failures += 1
            failure = ET.SubElement(case, "failure", type=errors[0].code,
                                    message=f"{len(errors)} error finding(s)")
            failure.text = "\n".join(visible(f"{_where(f)} {f.code}: {f.message}")
                                     for f in errors)
        others = [f for f in findings if f not in errors]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(
                visible(f"{_where(f)} {_label(f)} {f.code}: {f.message}"
                        + (f" ({acceptance_note(f)})" if f.accepted is not None else ""))
                for f in others)
    suite.set("failures", str(failures))
    out.write(ET.tostring(suite, encoding="unicode", xml_declaration=True))
    out.write("\n")


def name_of(d: DocumentReport) -> str:
    """How a reader knows the source besides its id: its title, else its URL, else nothing."""
    return d.title or d.url or ""


@dataclass(frozen=True)
class FindingGroup:
    """Findings of one code on one file of one source, with the lines of each message: the
    same finding at six lines is one entry, not six."""

    code: str
    label: str  # error, warning or accepted
    path: str | None
    messages: dict[str, list[int]]  # message -> its lines (empty: the file as a whole)
    accepted: dict[str, str]  # message -> who accepted it and why, for accepted findings
    count: int


_RANK = {"error": 0, "warning": 1, "accepted": 2}
_STATUS_RANK = {"errors": 0, "warnings": 1, "ok": 2}


def group_findings(findings: list[Finding]) -> list[FindingGroup]:
    """Findings grouped by label, code and file: open errors first, then open warnings,
    then accepted ones; each message once, with its lines."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((_label(f), f.code, f.path or ""), []).append(f)
    out = []
    for (label, code, path), members in sorted(
            groups.items(), key=lambda item: (_RANK[item[0][0]], item[0][1], item[0][2])):
        messages: dict[str, list[int]] = {}
        for f in sorted(members, key=lambda f: f.line or 0):
            lines = messages.setdefault(f.message, [])
            if f.line is not None:
                lines.append(f.line)
        accepted = {f.message: acceptance_note(f) for f in members if f.accepted is not None}
        out.append(FindingGroup(code, label, path or None, messages, accepted, len(members)))
    return out


def _shown(text: str) -> str:
    """Text from the collection as rich markup that prints as one visible line: controls
    escaped (``visible``), then markup characters."""
    return escape(visible(text))


def _lines(lines: list[int]) -> str:
    if not lines:
        return ""
    return f"line {lines[0]}: " if len(lines) == 1 else (
        "lines " + ", ".join(map(str, lines)) + ": ")


def _withdrawn(d: DocumentReport) -> str:
    return f"  [dim]withdrawn: {_shown(d.withdrawn)}[/]" if d.withdrawn is not None else ""


def _print(out: IO[str], lines: list[str]) -> None:
    """Print lines of rich markup to ``out`` at once (a print per line is 4x slower), in
    colour only on a terminal, never wrapped, and with every character as given: rich
    would otherwise turn a quoted ``:thumbs_up:`` into an emoji."""
    Console(file=out, highlight=False, soft_wrap=True, emoji=False).print("\n".join(lines))


def render_text(result: VerifyResult, out: IO[str], *, problems_only: bool = False) -> None:
    """Counts first; then the sources with open findings (errors first), each beside its
    title or URL, its findings grouped by code; the sources that are ok in one line.

    ``problems_only`` leaves out accepted findings and the sources with none open.
    Colour only when ``out`` is a terminal."""
    s = summary(result)
    lines: list[str] = []  # in rich markup, for _print
    lines.append(f"{s['documents']} sources: {s['documents_with_errors']} with errors, "
                 f"{s['documents_with_warnings']} with warnings, {s['documents_ok']} ok")
    if s["by_code"]:
        lines.append("open findings by code: " + ", ".join(
            f"{n} {c}" for c, n in sorted(s["by_code"].items(), key=lambda i: (-i[1], i[0]))))
    # custody as most sources share it (one seal vouches for many alike), said once; a source
    # whose custody differs says its own
    custody = Counter(d.custody.text for d in result.documents if d.custody is not None)
    common = custody.most_common(1)[0][0] if custody else None
    if common is not None:
        lines.append(f"custody: {_shown(common)} ({custody[common]} of {s['documents']} "
                     "sources)")
    problems = sorted((d for d in result.documents if d.status != "ok"),
                      key=lambda d: (_STATUS_RANK[d.status], d.id))
    for d in problems:
        name = name_of(d)
        lines.append("")
        lines.append(f"[bold]{_shown(d.id)}[/]  [{_STYLE[d.status]}]{d.status}[/]"
                     + (f"  {_shown(name)}" if name else "") + _withdrawn(d))
        if d.custody is not None and d.custody.text != common:
            lines.append(f"  [dim]custody:[/] {_shown(d.custody.text)}")
        _group_lines(lines, d.findings, problems_only)
    ok = [d for d in result.documents if d.status == "ok"]
    if ok and not problems_only:
        with_accepted = sum(1 for d in ok if d.findings)
        lines.append("")
        lines.append(f"[{_STYLE['ok']}]ok[/]  {len(ok)} source(s) with no open finding"
                     + (f" ({with_accepted} with accepted findings only)"
                        if with_accepted else ""))
        others = Counter(d.custody.text for d in ok
                         if d.custody is not None and d.custody.text != common)
        for text, n in sorted(others.items()):
            lines.append(f"  [dim]custody:[/] {_shown(text)} ({n} source(s))")
        for d in ok:
            if d.withdrawn is not None or d.findings:
                name = name_of(d)
                lines.append(f"  [bold]{_shown(d.id)}[/]" + (f"  {_shown(name)}" if name else "")
                             + _withdrawn(d))
                _group_lines(lines, d.findings, problems_only, indent="    ")
    if any(f.counts or not problems_only for f in result.collection_findings):
        lines.append("")
        lines.append("[bold](collection)[/]  the collection as a whole: its seals, and files "
                     "that belong to no one source")
        _group_lines(lines, result.collection_findings, problems_only)
    lines.append("")
    lines.append(f"{s['documents']} sources: {s['errors']} errors, {s['warnings']} warnings, "
                 f"{s['accepted']} accepted")
    _print(out, lines)


def _group_lines(lines: list[str], findings: list[Finding], problems_only: bool,
                 indent: str = "  ") -> None:
    for group in group_findings(findings):
        if problems_only and group.label == "accepted":
            continue
        times = f" x{group.count}" if group.count > 1 else ""
        where = f"  {_shown(group.path)}" if group.path else ""
        lines.append(f"{indent}[{_STYLE[group.label]}]{group.label}[/] {group.code}{times}"
                     f"{where}")
        for message, numbers in group.messages.items():
            reason = group.accepted.get(message)
            accepted = f" [dim]({_shown(reason)})[/]" if reason is not None else ""
            lines.append(f"{indent}    {_lines(numbers)}{_shown(message)}{accepted}")


RENDERERS: dict[str, Callable[[VerifyResult, IO[str]], None]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "junit": render_junit,
}


def _warc_dict(report: WarcReport) -> dict[str, Any]:
    return {
        "path": str(report.path),
        "verdict": report.verdict,
        **({"signature": report.signature} if report.signature is not None else {}),
        "findings": [finding_dict(f) for f in report.findings],
        "records": [
            {"offset": r.offset, "type": r.record_type, "id": r.record_id,
             "target_uri": r.target_uri, "block_digest": r.block_check,
             "payload_digest": r.payload_check, "payload_convention": r.payload_convention,
             "complete": r.complete}
            for r in report.records
        ],
    }


def render_warc_json(reports: list[WarcReport], out: IO[str]) -> None:
    """``check-warc`` as JSON: per file its verdict, findings and per-record digest checks."""
    _write_json([_warc_dict(r) for r in reports], out)


# what each payload digest was found to cover (warc.verdict.RecordInfo.payload_convention)
_CONVENTIONS = {"both": "over an unchunked body (every convention agrees)",
                "raw": "over the bytes as transferred (warcio's, FastWARC's)",
                "dechunked": "over the de-chunked body (the standard's, jwarc's)",
                "block": "over the whole block (a ClueWeb09 quirk)"}


def render_warc_text(reports: list[WarcReport], out: IO[str]) -> None:
    """``check-warc`` as text: a verdict line per file, then its findings."""
    style = {"intact": "green", "damaged": "bold red", "non-conformant": "yellow"}
    lines: list[str] = []  # in rich markup, for _print
    for r in reports:
        conventions = Counter(rec.payload_convention for rec in r.records
                              if rec.payload_convention)
        tail = "; payload digests verified: " + ", ".join(
            f"{n} {_CONVENTIONS[c]}" for c, n in sorted(conventions.items())) if conventions else ""
        lines.append(f"[bold]{_shown(str(r.path))}[/]: [{style[r.verdict]}]{r.verdict}[/] "
                     f"({len(r.records)} records{_shown(tail)})")
        if r.signature is not None:
            lines.append(f"  signature: {_shown(r.signature)}")
        lines += [f"  [{_STYLE[f.severity.value]}]{f.severity.value}[/] {f.code}: "
                  f"{_shown(f.message)}" for f in r.findings]
    if lines:
        _print(out, lines)


WARC_RENDERERS: dict[str, Callable[[list[WarcReport], IO[str]], None]] = {
    "text": render_warc_text,
    "json": render_warc_json,
}
