"""`archiver report --output DIR`: the report as a folder (an index with a filter, a page per
source), opened in a real browser (headless Chromium): on the report tests' captured
collection, and on 2,000 sources captured from the test server."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from browser import Browser, browser  # noqa: F401 (the fixture)
from conftest import Site, run
from test_report_html import assert_clean_visit, captured, css  # noqa: F401 (the fixture)

from archiver.cli import main
from archiver.report.folder import INDEX, page_name

WORDS = ("harbour", "court", "ruling", "fishers", "quay", "winter", "mayor", "appeal", "judges",
         "council", "river", "bridge", "market", "school", "budget", "election", "museum")


def folder_report(root: Path, out: Path, capsys: pytest.CaptureFixture[str],
                  *extra: str) -> Path:
    code, stdout, err = run(capsys, "report", "--root", str(root), "--output", str(out),
                            *extra)
    assert code == 0, err
    assert stdout == "" and err.startswith("wrote the report of ")
    return out


def index_rows(b: Browser) -> list[dict]:
    """Each row of the index as shown: its id, status, whether it is shown, and its link."""
    return b.evaluate("[...document.querySelectorAll('table.index tbody tr')].map(r => ({"
                      "id: r.cells[0].innerText, status: r.dataset.status, shown: !r.hidden,"
                      "href: r.querySelector('a').getAttribute('href')}))")


def filter_by(b: Browser, words: str, status: str = "") -> list[str]:
    """Type ``words`` into the index's filter, choose ``status``; the ids left shown."""
    b.evaluate(f"""(() => {{ const w = document.getElementById('filter-words');
        w.value = {words!r}; w.dispatchEvent(new Event('input'));
        const s = document.getElementById('filter-status');
        s.value = {status!r}; s.dispatchEvent(new Event('change')); }})()""")
    return [r["id"] for r in index_rows(b) if r["shown"]]


def test_folder_report_of_a_captured_collection(browser: Browser, captured: Path,  # noqa: F811
                                                tmp_path: Path, capsys) -> None:
    out = folder_report(captured, tmp_path / "report", capsys, "--jobs", "2")
    index = out / INDEX
    html = index.read_text(encoding="utf-8")
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "script-src 'sha256-" in policy and "unsafe-inline'; img" in policy
    assert "script-src 'unsafe" not in policy  # the filter runs by its hash, nothing else
    assert_clean_visit(browser, index)
    rows = index_rows(browser)
    statuses = [r["status"] for r in rows]
    assert statuses == sorted(statuses, key=["errors", "warnings", "ok"].index)  # problems first
    assert {r["id"] for r in rows} == {p.stem for p in (captured / "manifests").glob("*.json")}
    assert all(r["shown"] for r in rows)
    assert browser.evaluate("document.getElementById('filter').hidden") is False
    # the filter: by a finding code, by status, by words of the title
    assert filter_by(browser, "quote-altered") == ["received"]
    assert set(filter_by(browser, "", "ok")) == {r["id"] for r in rows if r["status"] == "ok"}
    assert filter_by(browser, "harbour stays open received") == ["received"]
    assert browser.evaluate("document.getElementById('filter-count').value") \
        == f"1 of {len(rows)} sources shown"
    assert filter_by(browser, "no-such-words-anywhere") == []
    # printed, the filter is gone and every row prints (the script's hiding is screen only)
    filter_by(browser, "")
    browser.screenshot("report-folder-index.png")
    browser.call("Emulation.setEmulatedMedia", media="print")
    assert browser.evaluate("getComputedStyle(document.getElementById('filter')).display") \
        == "none"
    browser.call("Emulation.setEmulatedMedia", media="")
    # each source's page: complete, self-contained, no script, with its findings
    for row in rows:
        page = out / row["href"]
        assert row["href"] == page_name(row["id"])
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text and "script-src" not in text
        assert_clean_visit(browser, page)
        heading = browser.evaluate(f"document.querySelector('#src-{css(row['id'])} h2')"
                                   ".innerText")
        assert row["id"] in heading
    browser.open((out / page_name("received")).as_uri())
    section = "document.getElementById('src-received')"
    assert "every single family" in browser.evaluate(
        f"{section}.querySelector('tr.misquote').innerText")
    assert "the union's own note" in browser.evaluate(
        f"{section}.querySelector('table.accepted').innerText")
    browser.pdf("report-folder-received.pdf")


def test_folder_report_replaces_an_earlier_report_only(captured: Path,  # noqa: F811
                                                       tmp_path: Path, capsys) -> None:
    out = folder_report(captured, tmp_path / "report", capsys, "harbour", "--jobs", "1")
    assert sorted(p.name for p in (out / "sources").iterdir()) == ["harbour.html"]
    folder_report(captured, out, capsys, "hostile", "--jobs", "1")  # an earlier report: replaced
    assert sorted(p.name for p in (out / "sources").iterdir()) == ["hostile.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no staging folder left
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "sources"]
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("kept")
    code, _, err = run(capsys, "report", "--root", str(captured), "--output", str(other))
    assert code == 2
    assert err == (f"archiver: {other}: cannot write the report folder there: it exists and "
                   "is not an earlier report (name a new folder)\n")
    assert (other / "mine.txt").read_text() == "kept"
    site = tmp_path / "site"  # an index.html that archiver did not write: kept as well
    (site / "sources").mkdir(parents=True)
    (site / "index.html").write_text("<!DOCTYPE html><title>my site</title>")
    code, _, err = run(capsys, "report", "--root", str(captured), "--output", str(site))
    assert code == 2 and "is not an earlier report" in err
    assert (site / "index.html").read_text() == "<!DOCTYPE html><title>my site</title>"


def article(index: int) -> str:
    """A short article page of its own words, with a link."""
    rng = random.Random(index)
    paragraphs = "".join(
        f"<p>{' '.join(rng.choice(WORDS) for _ in range(40))} "
        f"<a href='https://example.org/{index}/{n}'>source {n}</a>.</p>" for n in range(3))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Article "
            f"{index}</title></head><body><article><h1>Article {index}</h1>{paragraphs}"
            "</article></body></html>")


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory, http_site: Site) -> Path:
    """2,000 sources captured from the test server; three texts changed since."""
    root = tmp_path_factory.mktemp("large") / "col"
    assert main(["init", "--root", str(root)]) == 0
    urls = [http_site.add(f"/large/{i}", article(i)) for i in range(2000)]
    assert main(["capture", *urls, "--root", str(root), "--allow-private", "--jobs", "8"]) == 0
    for text in sorted((root / "corpus").glob("*.txt"))[:3]:
        text.write_text(text.read_text(encoding="utf-8") + "\nAdded later.\n", encoding="utf-8")
    return root


def test_folder_report_of_2000_sources(browser: Browser, large: Path, tmp_path: Path,  # noqa: F811
                                       capsys) -> None:
    code, _, err = run(capsys, "report", "--root", str(large), "--output",
                       str(tmp_path / "all.html"))
    assert code == 2 and err == (f"archiver: {tmp_path / 'all.html'}: 2000 sources are too many "
                                 "for one page: name a folder (a PATH not ending in .html) to "
                                 "write an index and a page per source\n")
    assert not (tmp_path / "all.html").exists()
    out = folder_report(large, tmp_path / "report", capsys)
    assert len(list((out / "sources").iterdir())) == 2000
    assert_clean_visit(browser, out / INDEX)
    rows = index_rows(browser)
    assert len(rows) == 2000 and all(r["shown"] for r in rows)
    changed = [r["id"] for r in rows[:3]]
    assert all(r["status"] == "errors" for r in rows[:3])
    assert all(r["status"] == "ok" for r in rows[3:])
    assert filter_by(browser, "hash-mismatch") == changed
    assert filter_by(browser, "", "errors") == changed
    # by the title's words; every word must be in the row (an id's hex digits may hold "1999"
    # too, so another row or two may match: each holds both words)
    [wanted] = [m.stem for m in (large / "manifests").glob("*.json")
                if json.loads(m.read_bytes()).get("metadata", {}).get("title", {})
                .get("value") == "Article 1999"]
    shown = filter_by(browser, "article 1999")
    assert wanted in shown and all("1999" in sid for sid in shown if sid != wanted)
    assert browser.evaluate("document.getElementById('filter-count').value") \
        == f"{len(shown)} of 2000 sources shown"
    for row in (rows[0], rows[1000], rows[-1]):
        assert_clean_visit(browser, out / row["href"])
        assert row["id"] in browser.evaluate("document.querySelector('section.source h2')"
                                             ".innerText")
