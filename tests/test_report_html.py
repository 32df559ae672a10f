"""`archiver report`: the HTML report opened in a real browser (headless Chromium), for this
repository's collection and for one captured from real pages on 127.0.0.1, damaged,
repaired and reviewed with the tool. Screenshots and PDFs go to the test artifacts."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from browser import Browser, browser  # noqa: F401 (the fixture)
from conftest import Site, run
from servers import PAGES, FileSite
from tsaserver import Tsa

from archiver.cli import main

REPOSITORY = Path(__file__).resolve().parents[1]
ARTICLE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Harbour stays open, court rules</title></head><body><article>
<h1>Harbour stays open, court rules</h1>
<p>The court ruled on Monday that the harbour stays open. The mayor said it was
“a victory for every family that fishes here” and thanked the judges.</p>
<p>The ruling follows <a href="https://example.org/appeal">the appeal of the fishers</a>
filed in the spring, after the city had ordered the quay closed for the whole winter.</p>
</article></body></html>"""
# A hostile page: its text holds markup that must reach the report as text, never as markup.
HOSTILE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>&lt;script&gt;window.pwned=3&lt;/script&gt; Hostile page</title></head><body><article>
<h1>&lt;script&gt;window.pwned=3&lt;/script&gt; Hostile page</h1>
<p>This paragraph of the page says
&lt;script&gt;window.pwned=1;document.title="pwned"&lt;/script&gt; and then
&lt;img src="http://127.0.0.1:9/x.png" onerror="window.pwned=2"&gt; in its words.</p>
<p>A second paragraph, long enough for the extractor to keep the article as the article it is.</p>
</article></body></html>"""
INJECTED = '<script>window.pwned=1;document.title="pwned"</script>'


def verify_json(root: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    main(["verify", "--root", str(root), "--format", "json", "--jobs", "1"])
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory, http_site: Site,
             stdlib_site: FileSite) -> Path:
    """Three real pages captured from the stdlib's server, a hostile page, and a source
    received damaged (a lost link, a misquote, an added line), captured, repaired and with
    its added line accepted by a reviewer."""
    root = tmp_path_factory.mktemp("report") / "col"
    assert main(["init", "--root", str(root)]) == 0
    reals = [f"{stdlib_site.base}/{name}" for name in PAGES[:3]]
    assert main(["capture", *reals, "--root", str(root), "--allow-private", "--jobs", "2"]) == 0
    assert main(["capture", http_site.add("/report/hostile", HOSTILE), "--new-id", "hostile",
                 "--root", str(root), "--allow-private"]) == 0
    url = http_site.add("/report/harbour", ARTICLE)
    assert main(["capture", url, "--new-id", "harbour", "--root", str(root),
                 "--allow-private"]) == 0
    text = (root / "corpus/harbour.txt").read_text(encoding="utf-8")
    damaged = (text.replace("(https://example.org/appeal)", "(#)")
               .replace("every family", "every single family")
               + "\nSubscribe to our newsletter for more news from the coast.\n")
    assert damaged != text and "(#)" in damaged
    received = root.parent / "received.txt"
    received.write_text(damaged, encoding="utf-8")
    assert main(["add", str(received), "--id", "received", "--url", url, "--root", str(root),
                 "--title", "Harbour stays open (as received)", "--received-from",
                 "a fisher's union"]) == 0
    assert main(["capture", "--id", "received", "--root", str(root), "--allow-private"]) == 0
    assert main(["repair", "received", "--apply", "--root", str(root)]) == 0
    assert main(["accept", "received", "text-added", "--root", str(root), "--reason",
                 "the union's own note, kept as received", "--by", "editor"]) == 0
    return root


def report(root: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, stdout, err = run(capsys, "report", "--root", str(root), "--output", str(out),
                            "--jobs", "1")
    assert code == 0, err
    assert stdout == "" and err.startswith("wrote the report of ")
    return out


def assert_clean_visit(b: Browser, page: Path) -> None:
    """The page loads with no console message, no error, and asks for nothing but itself."""
    visit = b.open(page.as_uri())
    assert visit.errors == []
    assert visit.console == []
    assert visit.requests == [page.as_uri()]


def assert_sources_and_findings_visible(b: Browser, result: dict) -> None:
    """Each source's title and each of its findings are in the page and on screen."""
    for doc in result["documents"]:
        anchor = f"src-{doc['id']}"
        heading = b.evaluate(f"document.querySelector('#{css(anchor)} h2').innerText")
        assert doc["id"] in heading and (doc["title"] or "") in heading
        for n, finding in enumerate(doc["findings"], 1):
            shown = b.evaluate(f"""(() => {{ const e = document.getElementById('{anchor}-f{n}');
                return e && e.getBoundingClientRect().height > 0 ? e.innerText : null; }})()""")
            assert shown is not None, f"{anchor}-f{n}"
            assert finding["code"] in shown and finding["message"] in shown


def css(anchor: str) -> str:
    """An id as a CSS selector (ids may hold dots)."""
    return re.sub(r"([^\w-])", r"\\\\\1", anchor)


def test_report_of_this_repository(browser: Browser, tmp_path: Path, capsys) -> None:  # noqa: F811
    page = report(REPOSITORY, tmp_path / "report.html", capsys)
    assert_clean_visit(browser, page)
    result = verify_json(REPOSITORY, capsys)
    assert len(result["documents"]) == 5
    assert_sources_and_findings_visible(browser, result)
    text = browser.evaluate("document.body.innerText")
    assert f"collection {REPOSITORY}" in text and "archiver 0.1.0" in text
    assert text.count("Not sealed") == 5 and text.count("What it does not show") == 5
    browser.screenshot("report-repository.png")
    browser.pdf("report-repository.pdf")


def test_report_of_a_captured_collection(browser: Browser, captured: Path, tmp_path: Path,  # noqa: F811
                                         capsys) -> None:
    page = report(captured, tmp_path / "report.html", capsys)
    assert_clean_visit(browser, page)
    result = verify_json(captured, capsys)
    assert len(result["documents"]) == 6
    assert_sources_and_findings_visible(browser, result)
    section = "document.getElementById('src-received')"
    # the misquote is marked in the side-by-side view, its changed word highlighted
    misquote = browser.evaluate(f"{section}.querySelector('tr.misquote').innerText")
    assert "MISQUOTE" in misquote and "single" in misquote
    assert browser.evaluate(f"{section}.querySelector('tr.misquote mark').innerText") == "single"
    # the repair: the line before and after, and the WARC record it came from
    change = browser.evaluate(f"{section}.querySelector('table.changes tbody tr').innerText")
    assert "[the appeal of the fishers](#)" in change
    assert "[the appeal of the fishers](https://example.org/appeal)" in change
    assert re.search(r"corpus/received/received-\S+\.warc\.gz#<urn:uuid:", change)
    # the accepted finding: who accepted it and why
    accepted = browser.evaluate(f"{section}.querySelector('table.accepted').innerText")
    assert "text-added" in accepted and "editor" in accepted
    assert "the union's own note, kept as received" in accepted
    shows = browser.evaluate(f"{section}.querySelector('.plain').innerText")
    assert "received from a fisher's union" in shows and "not sealed" in shows
    # a real page's capture: URL, time, IP, status, tool and record ids are all shown
    real = next(d for d in result["documents"] if d["id"].startswith("127-0-0-1-"))
    capture = browser.evaluate(
        f"document.querySelector('#src-{real['id']} table.capture').innerText")
    for label in ("URL requested", "final URL", "time (UTC)", "server IP\t127.0.0.1",
                  "HTTP status\t200", "tool\tarchiver", "request record\t<urn:uuid:",
                  "response record\t<urn:uuid:"):
        assert label in capture
    browser.screenshot("report-captured.png")
    # printed, each source starts a new page
    browser.call("Emulation.setEmulatedMedia", media="print")
    assert browser.evaluate(
        "getComputedStyle(document.querySelector('section.source')).breakBefore") == "page"
    # and the version, collection and time are on every sheet: one fixed line repeats
    stamp = "getComputedStyle(document.querySelector('.print-stamp'))"
    assert browser.evaluate(f"[{stamp}.display, {stamp}.position]") == ["block", "fixed"]
    assert re.fullmatch(rf"archiver 0\.1\.0 · collection {re.escape(str(captured))} · "
                        r"generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC",
                        browser.evaluate("document.querySelector('.print-stamp').innerText"))
    browser.call("Emulation.setEmulatedMedia", media="")
    browser.pdf("report-captured.pdf")


@pytest.fixture(scope="module")
def sealed(captured: Path, tsa: Tsa, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the captured collection, sealed with the key ``alice`` and a timestamp from
    the test TSA, then the hostile page withdrawn (a change its manifest records)."""
    base = tmp_path_factory.mktemp("sealed")
    root = shutil.copytree(captured, base / "col")
    key = base / "alice.key"
    assert main(["key", "new", "alice", "--root", str(root), "--key-file", str(key)]) == 0
    assert main(["seal", "--root", str(root), "--key-file", str(key), "--tsa", tsa.url("good"),
                 "--tsa-ca", str(tsa.ca), "--message", "captures of the harbour ruling"]) == 0
    assert main(["withdraw", "hostile", "--root", str(root), "--reason",
                 "a test page, not evidence", "--by", "editor"]) == 0
    return root


def test_report_of_a_sealed_collection(browser: Browser, sealed: Path, tmp_path: Path,  # noqa: F811
                                       capsys) -> None:
    page = report(sealed, tmp_path / "report.html", capsys)
    assert_clean_visit(browser, page)
    result = verify_json(sealed, capsys)
    assert_sources_and_findings_visible(browser, result)
    custody = next(d for d in result["documents"] if d["id"] == "harbour")["custody"]
    assert custody["status"] == "sealed"
    [stamp] = custody["timestamps"]
    section = "document.getElementById('src-harbour')"
    table = browser.evaluate(f"{section}.querySelector('table.custody').innerText")
    for shown in (f"seals/{custody['seal']}/ — “captures of the harbour ruling”",
                  f"sealed at (UTC)\t{custody['sealed_at']}",
                  f"key alice, fingerprint {custody['fingerprint']}",
                  f"archiver test TSA good, genTime {stamp['gen_time']}; its root's sha256 "
                  f"{stamp['root_sha256']}", custody["text"]):
        assert shown in table, shown
    plain = browser.evaluate(f"{section}.querySelector('.plain').innerText")
    assert (f"exactly as sealed in {custody['seal']} on {custody['sealed_at']}, and the holder "
            f"of key alice ({custody['fingerprint']}) signed that seal") in plain
    assert (f"archiver test TSA good, a timestamp authority, signed that the seal existed at "
            f"{stamp['gen_time']}") in plain
    assert "That the publisher's server sent these bytes" in plain
    assert "That the signer is honest" in plain and "not sealed" not in plain
    assert browser.evaluate("document.body.innerText").count("Not sealed") == 0
    # the withdrawn source: so labelled, why and by whom, and its custody changed by that
    hostile = "document.getElementById('src-hostile')"
    assert browser.evaluate(f"{hostile}.querySelector('h2 .label.withdrawn')"
                            ".getBoundingClientRect().height") > 0
    plain = browser.evaluate(f"{hostile}.querySelector('.plain').innerText")
    assert "This source was withdrawn on " in plain
    assert " by editor: a test page, not evidence. Its files are kept" in plain
    assert f"The seal {custody['seal']} of " in plain and "differs today (manifests/hostile.json)" \
        in plain and "exactly as sealed" not in plain
    table = browser.evaluate(f"{hostile}.querySelector('table.custody').innerText")
    assert "changed" in table and "since the seal" in table and "manifests/hostile.json" in table
    row = browser.evaluate("[...document.querySelectorAll('table.index tr')]"
                           ".find(r => r.innerText.startsWith('hostile')).innerText")
    assert "withdrawn" in row and "changed" in row
    # its history: who ran each change and the hash that chains it
    history = browser.evaluate(f"[...{hostile}.querySelectorAll('.history')].map(e => "
                               "e.innerText)")
    assert history[-1].startswith("withdrawn ") and ", by editor" in history[-1]
    assert all(re.search(r"Chain: sha256 [0-9a-f]{64}", h) for h in history)
    browser.screenshot("report-sealed.png")


def test_a_hostile_page_stays_text(browser: Browser, captured: Path, tmp_path: Path,  # noqa: F811
                                   capsys) -> None:
    page = report(captured, tmp_path / "report.html", capsys)
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;window.pwned=1" in html
    assert_clean_visit(browser, page)  # nothing ran, nothing was fetched (the <img> either)
    assert browser.evaluate("typeof window.pwned") == "undefined"
    assert browser.evaluate("document.title") == f"Evidence report: {captured}"
    assert browser.evaluate("document.querySelectorAll('script, img, iframe').length") == 0
    lines = browser.evaluate("document.getElementById('src-hostile').innerText")
    assert INJECTED in lines


def test_report_of_named_sources_and_bad_output(captured: Path, tmp_path: Path,
                                                capsys) -> None:
    out = tmp_path / "one.html"
    code, _, err = run(capsys, "report", "harbour", "--root", str(captured), "--output",
                       str(out), "--jobs", "1")
    assert code == 0 and err == f"wrote the report of 1 source(s) to {out}\n"
    html = out.read_text(encoding="utf-8")
    assert 'id="src-harbour"' in html and 'id="src-received"' not in html
    code, _, err = run(capsys, "report", "--root", str(captured), "--output",
                       str(tmp_path), "--jobs", "1")  # a folder, not a file
    assert code == 2 and err.startswith("archiver: ") and "cannot write" in err
    code, _, err = run(capsys, "report", "nobody", "--root", str(captured), "--output",
                       str(out))
    assert code == 2 and err == "archiver: nobody: no such source in this collection\n"


def test_report_of_a_damaged_collection(captured: Path, tmp_path: Path, capsys) -> None:
    """A WARC with a flipped byte, a text gone, a manifest that is no JSON: the report is
    still written, says what is lost, and holds no raw control bytes of the damaged WARC."""
    root = tmp_path / "col"
    shutil.copytree(captured, root)
    manifest = json.loads((root / "manifests/harbour.json").read_text())
    warc = root / manifest["captures"][0]["warc_path"]
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0xFF
    warc.write_bytes(bytes(data))
    (root / "corpus/hostile.txt").unlink()
    (root / "manifests/broken.json").write_text("{not json")
    html = report(root, tmp_path / "report.html", capsys).read_text(encoding="utf-8")
    harbour = html[html.index('id="src-harbour"'):html.index('id="src-hostile"')]
    assert "it is no longer evidence of what was sent" in harbour
    assert "hash-mismatch" in harbour and "Not compared: " in harbour
    assert 'id="src-broken"' in html and "manifest-invalid" in html
    assert "the stored text cannot be read" in html  # hostile.txt is gone
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
