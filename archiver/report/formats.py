"""Render a verify result as text, JSON, GitHub annotations or JUnit XML; no decisions here."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import IO, Any
from xml.etree import ElementTree as ET

from rich.console import Console
from rich.markup import escape

from archiver.findings import Finding, Severity
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
    return out


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
    out: dict[str, Any] = {"id": d.id, "status": d.status,
                           "findings": [finding_dict(f) for f in d.findings]}
    if d.fidelity_score is not None:
        out["fidelity_score"] = round(d.fidelity_score, 4)
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
    json.dump(doc, out, indent=2, ensure_ascii=False)
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
            props.insert(0, f"file={_annotation_escape(f.path, prop=True)}")
            if f.line is not None:
                props.insert(1, f"line={f.line}")
        suffix = f" (accepted: {f.accepted})" if f.accepted is not None else ""
        out.write(f"::{kind} {','.join(props)}::{_annotation_escape(f.message + suffix)}\n")


def render_junit(result: VerifyResult, out: IO[str]) -> None:
    """JUnit XML: one test case per source (plus one for the collection as a whole)."""
    cases: list[tuple[str, list[Finding]]] = [(d.id, d.findings) for d in result.documents]
    cases.append(("(collection)", result.collection_findings))
    suite = ET.Element("testsuite", name="archiver verify", tests=str(len(cases)))
    failures = 0
    for name, findings in cases:
        case = ET.SubElement(suite, "testcase", classname="archiver.verify", name=name)
        errors = [f for f in findings if f.counts and f.severity is Severity.ERROR]
        if errors:
            failures += 1
            failure = ET.SubElement(case, "failure", type=errors[0].code,
                                    message=f"{len(errors)} error finding(s)")
            failure.text = "\n".join(f"{_where(f)} {f.code}: {f.message}" for f in errors)
        others = [f for f in findings if f not in errors]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(
                f"{_where(f)} {_label(f)} {f.code}: {f.message}" for f in others)
    suite.set("failures", str(failures))
    out.write(ET.tostring(suite, encoding="unicode", xml_declaration=True))
    out.write("\n")


def render_text(result: VerifyResult, out: IO[str]) -> None:
    """A readable per-source summary; colour only when ``out`` is a terminal."""
    console = Console(file=out, highlight=False, soft_wrap=True)
    for d in result.documents:
        by_code = Counter(f.code for f in d.findings)
        codes = ", ".join(f"{n} {c}" for c, n in sorted(by_code.items()))
        console.print(f"[bold]{escape(d.id)}[/]  [{_STYLE[d.status]}]{d.status}[/]"
                      + (f"  ({escape(codes)})" if codes else ""))
        if d.custody is not None:
            console.print(f"  [dim]custody:[/] {escape(d.custody.text)}")
        for f in d.findings:
            _print_finding(console, f)
    if result.collection_findings:
        console.print("[bold](collection)[/]")
        for f in result.collection_findings:
            _print_finding(console, f)
    s = summary(result)
    console.print(f"{s['documents']} sources: {s['errors']} errors, {s['warnings']} warnings, "
                  f"{s['accepted']} accepted")


def _print_finding(console: Console, f: Finding) -> None:
    label = _label(f)
    accepted = f" [dim](accepted: {escape(f.accepted)})[/]" if f.accepted is not None else ""
    console.print(f"  {escape(_where(f))}  [{_STYLE[label]}]{label}[/] {f.code}: "
                  f"{escape(f.message)}{accepted}")


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
    json.dump([_warc_dict(r) for r in reports], out, indent=2, ensure_ascii=False)
    out.write("\n")


def render_warc_text(reports: list[WarcReport], out: IO[str]) -> None:
    """``check-warc`` as text: a verdict line per file, then its findings."""
    console = Console(file=out, highlight=False, soft_wrap=True)
    style = {"intact": "green", "damaged": "bold red", "non-conformant": "yellow"}
    for r in reports:
        conventions = Counter(rec.payload_convention for rec in r.records
                              if rec.payload_convention)
        tail = "; payload digests: " + ", ".join(
            f"{n} {c}" for c, n in sorted(conventions.items())) if conventions else ""
        console.print(f"[bold]{escape(str(r.path))}[/]: [{style[r.verdict]}]{r.verdict}[/] "
                      f"({len(r.records)} records{escape(tail)})")
        for f in r.findings:
            console.print(f"  [{_STYLE[f.severity.value]}]{f.severity.value}[/] {f.code}: "
                          f"{escape(f.message)}")


WARC_RENDERERS: dict[str, Callable[[list[WarcReport], IO[str]], None]] = {
    "text": render_warc_text,
    "json": render_warc_json,
}
