"""Reports that cannot be forged: a title, text, reason or path from a hostile copy shows its
control characters escaped in the text report (no ESC, CR or newline reaches the terminal, no
line of the report starts where the collection's text says), JUnit and JSON stay well-formed
for any text, and the HTML report marks bidirectional and zero-width characters."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree as lxml_etree

from archiver.cli import main
from archiver.findings import Finding
from archiver.report.formats import RENDERERS, render_junit, render_text
from archiver.report.visible import href, marked, visible
from archiver.verify import DocumentReport, VerifyResult

TITLE = "Evil\x1b[1A\x1b[2K\r\nok  fake-source  ok\x0c\u202etxt.exe"
REASON = "fine\n  error hash-mismatch  corpus/other.txt\x1b[0m\u200b"
# what a terminal obeys or a reader cannot see: C0 but tab, C1, DEL, separators, bidi controls
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def hostile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A collection whose sources' title, text and withdrawal reason hold controls."""
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    text = tmp_path / "t.txt"
    text.write_text("A line\x0cwith a form feed \x1b[2J and\x1b]0;title\x07 text.\n", "utf-8")
    assert run(capsys, "add", str(text), "--root", str(root), "--id", "t",
               "--url", "https://example.org/a", "--title", TITLE)[0] == 0
    assert run(capsys, "add", str(text), "--root", str(root), "--id", "w",
               "--url", "https://example.org/w")[0] == 0
    assert run(capsys, "withdraw", "w", "--root", str(root), "--reason", REASON)[0] == 0
    return root


def test_the_text_report_shows_controls_escaped(hostile: Path, capsys) -> None:
    code, out, _ = run(capsys, "verify", "--root", str(hostile))
    assert code == 0 and not RAW.search(out)
    assert "Evil\\x1b[1A\\x1b[2K\\r\\nok  fake-source  ok\\x0c\\u202etxt.exe" in out
    assert "fine\\n  error hash-mismatch  corpus/other.txt\\x1b[0m" in out
    # no line starts with what the title or the reason says
    assert not [line for line in out.splitlines()
                if line.lstrip().startswith(("ok  fake", "error hash-mismatch"))]


def test_junit_and_json_of_the_hostile_collection_parse(hostile: Path, capsys) -> None:
    code, out, _ = run(capsys, "verify", "--root", str(hostile), "--format", "json")
    assert json.loads(out)["documents"][0]["title"] == TITLE  # JSON keeps the text exact
    code, out, _ = run(capsys, "verify", "--root", str(hostile), "--format", "junit")
    assert code == 0 and ET.fromstring(out).tag == "testsuite"


def test_libxml2_reads_junit_with_a_form_feed() -> None:
    """Another project's XML parser (libxml2, through lxml), strict, judges the JUnit file."""
    result = VerifyResult([DocumentReport("t", [Finding("hash-mismatch", "a\x0cb\x00c\ufffe")])],
                          [])
    out = StringIO()
    render_junit(result, out)
    suite = lxml_etree.fromstring(out.getvalue().encode("utf-8"))
    assert suite.find("testcase/failure").get("type") == "hash-mismatch"
    assert "a\\x0cb\\x00c\\ufffe" in out.getvalue()


def test_the_html_report_marks_bidi_and_zero_width(hostile: Path, tmp_path: Path,
                                                   capsys) -> None:
    page = tmp_path / "report.html"
    code, _, err = run(capsys, "report", "--root", str(hostile), "--output", str(page))
    assert code == 0, err
    html = page.read_text("utf-8")
    assert not RAW.search(html) and "\u200b" not in html
    assert '<mark class="hidden-char" title="U+202E RIGHT-TO-LEFT OVERRIDE">U+202E</mark>' in html
    assert 'title="U+200B ZERO WIDTH SPACE">U+200B</mark>' in html
    assert 'title="U+001B CONTROL">U+001B</mark>' in html


def test_marks_escape_html_and_links_go_where_they_say() -> None:
    assert str(marked("<b>\u2066x")) == (
        '&lt;b&gt;<mark class="hidden-char" title="U+2066 LEFT-TO-RIGHT ISOLATE">U+2066</mark>x')
    assert str(href("https://e.org/\u202eexe.pdf?a=1&b=\"")) == (
        "https://e.org/%E2%80%AEexe.pdf?a=1&amp;b=&#34;")


def _result(text: str) -> VerifyResult:
    finding = Finding("duplicate-line", text, path=text or None, line=3, accepted=text or None)
    return VerifyResult([DocumentReport(text or "x", [finding, Finding("quote-altered", text)],
                                        title=text, url=text, withdrawn=text)],
                        [Finding("temp-file", text, path=text)])


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_every_format_stays_well_formed_for_any_text(text: str) -> None:
    result = _result(text)
    outputs = {}
    for name, render in RENDERERS.items():
        out = StringIO()
        render(result, out)
        outputs[name] = out.getvalue()
        outputs[name].encode("utf-8")  # no lone surrogate reaches the output
    assert json.loads(outputs["json"])["documents"][0]["title"] == text
    ET.fromstring(outputs["junit"])
    assert not RAW.search(outputs["text"]) and not RAW.search(outputs["github"])
    # each finding, each source line and each GitHub annotation is one line
    assert all(line.startswith("::") for line in outputs["github"].splitlines())


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_visible_is_one_line_and_keeps_what_is_seen(text: str) -> None:
    shown = visible(text)
    assert "\n" not in shown and "\r" not in shown and not RAW.search(shown)
    assert shown == text or RAW.search(text) or re.search("[\t\n\ud800-\udfff]", text)
    assert all(c in shown for c in text if not (RAW.match(c) or c in "\t\n" or
                                                "\ud800" <= c <= "\udfff"))
    out = StringIO()
    render_text(_result(text), out)
    assert not RAW.search(out.getvalue())


def test_capture_shows_a_hostile_servers_header_escaped(http_site, tmp_path: Path,
                                                        capsys) -> None:
    """A server's Content-Type reaches the warning capture prints: escaped, on one line."""
    url = http_site.add("/hostile/type", b"%PDF-1.4 not a page",
                        content_type="application/x-evil\x1b[2J\x1b[1;1Hok")
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    code, out, err = run(capsys, "capture", url, "--root", str(root), "--allow-private")
    assert code == 0, err
    assert "\x1b" not in out + err and "application/x-evil\\x1b[2j\\x1b[1)" in err
