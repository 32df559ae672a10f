"""The text report at 60 sources made by the tool: counts per status, problem sources first
beside their titles, ok ones in one line, identical findings grouped, --problems-only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Site

from archiver.cli import main
from archiver.history import current_user

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Harbour report {n}</title></head><body><article><h1>Harbour report {n}</h1>
<p>The harbour authority published its report number {n} on the state of the docks, and
said that the repairs would take until the end of the year to finish.</p>
<p>Fishing boats may use the northern quay while the southern one is closed for work.</p>
</article></body></html>"""
CAPTURED, ADDED, ALTERED = 52, 6, 2  # 60 sources: 52 ok, 6 with warnings, 2 with errors
PLACEHOLDERS = "A letter\n\nSee [the annex](#).\n\nAgain, [the annex](#).\n\nAnd [a map](#).\n"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, http_site: Site) -> Path:
    """60 sources: 54 captured from the local server (two then altered on disk), six texts
    given with `add` (never captured), one of them with an accepted finding."""
    root = tmp_path_factory.mktemp("sixty") / "col"
    assert main(["init", "--root", str(root)]) == 0
    urls = [http_site.add(f"/sixty/{n}", PAGE.format(n=n)) for n in range(CAPTURED + ALTERED)]
    assert main(["capture", *urls, "--root", str(root), "--allow-private", "--jobs", "2"]) == 0
    given = root.parent / "given"
    given.mkdir()
    for n in range(ADDED):
        text = given / f"letter-{n}.txt"
        text.write_text(PLACEHOLDERS, encoding="utf-8")
        assert main(["add", str(text), "--root", str(root), "--title", f"Letter number {n}",
                     "--url", f"https://example.org/letters/{n}"]) == 0
    assert main(["accept", "letter-0", "link-placeholder", "--line", "7", "--root", str(root),
                 "--reason", "the map was never online"]) == 0
    for manifest in sorted((root / "manifests").glob("127-*.json"))[:ALTERED]:
        text = root / json.loads(manifest.read_text())["text"]["path"]
        text.write_text(text.read_text() + "\nA sentence nobody published.\n")
    return root


def verify_text(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> list[str]:
    code = main(["verify", "--root", str(root), "--jobs", "2", *extra])
    out, _ = capsys.readouterr()
    assert code == 1
    return out.splitlines()


def test_counts_order_titles_and_grouping(root: Path, capsys) -> None:
    lines = verify_text(capsys, root)
    assert lines[0] == (f"{CAPTURED + ALTERED + ADDED} sources: {ALTERED} with errors, "
                        f"{ADDED} with warnings, {CAPTURED} ok")
    assert lines[1] == ("open findings by code: 17 link-placeholder, 6 capture-pending, "
                        "2 hash-mismatch, 2 text-added, 1 unsealed")
    # custody that all sources share is said once, not once per source
    assert lines[2] == ("custody: unsealed: the collection has no seal "
                        f"({CAPTURED + ALTERED + ADDED} of {CAPTURED + ALTERED + ADDED} sources)")
    assert sum(1 for line in lines if "custody:" in line) == 1
    heads = [line for line in lines if re.match(r"^\S+  (errors|warnings)  ", line)]
    # the sources with errors come first, then those with warnings; each beside its title
    assert [h.split("  ")[1] for h in heads] == ["errors"] * ALTERED + ["warnings"] * ADDED
    assert all(re.fullmatch(r"127-0-0-1-[0-9a-f]{12}  errors  Harbour report \d+", h)
               for h in heads[:ALTERED])
    assert heads[ALTERED:] == [f"letter-{n}  warnings  Letter number {n}" for n in range(ADDED)]
    # the same finding on two lines is one entry with both lines; each code is said once
    block = lines[lines.index("letter-1  warnings  Letter number 1"):]
    assert block[1:6] == [
        "  warning capture-pending  manifests/letter-1.json",
        "      no archived original: registered from a text; not captured yet",
        "  warning link-placeholder x3  corpus/letter-1.txt",
        "      lines 3, 5: link without a target: `[the annex](#)`",
        "      line 7: link without a target: `[a map](#)`",
    ]
    # the accepted finding is listed with its reason in its source
    first = lines[lines.index("letter-0  warnings  Letter number 0"):]
    assert first[5:7] == ["  accepted link-placeholder  corpus/letter-0.txt",
                          "      line 7: link without a target: `[a map](#)` (accepted by "
                          f"{current_user()}: the map was never online)"]
    # the ok sources in one line, none of them listed
    assert f"ok  {CAPTURED} source(s) with no open finding" in lines
    assert not any(line.startswith("127-") and "  ok" in line for line in lines)
    assert lines[-1] == (f"{CAPTURED + ALTERED + ADDED} sources: {ALTERED} errors, "
                         f"{ADDED * 3 + ADDED - 1 + ALTERED + 1} warnings, 1 accepted")
    assert len(lines) < 70


def test_a_source_with_accepted_findings_only_still_lists_them(tmp_path: Path,
                                                                capsys) -> None:
    """Accepting a source's last open finding makes it ok, and its finding stays in the
    report: with who accepted it and why, in text, JSON and JUnit."""
    root = tmp_path / "col"
    assert main(["init", "--root", str(root)]) == 0
    text = tmp_path / "memo.txt"
    text.write_text("The memo\n\nSee [the annex](#).\n", encoding="utf-8")
    assert main(["add", str(text), "--id", "memo", "--title", "A memo", "--root", str(root),
                 "--url", "https://example.org/memo"]) == 0
    for code, reason in (("link-placeholder", "the annex was never online"),
                         ("capture-pending", "the page is gone")):
        accepted = main(["accept", "memo", code, "--reason", reason, "--by", "Ana",
                         "--root", str(root)])
        if code == "capture-pending":
            assert accepted == 2  # refused: nothing was captured to review
        else:
            assert accepted == 0
    capsys.readouterr()
    main(["verify", "--root", str(root)])
    lines = capsys.readouterr().out.splitlines()
    assert "  accepted link-placeholder  corpus/memo.txt" in "\n".join(lines)
    assert ("line 3: link without a target: `[the annex](#)` (accepted by Ana: the annex was "
            "never online)") in "\n".join(lines)
    main(["verify", "--root", str(root), "--format", "json"])
    [doc] = json.loads(capsys.readouterr().out)["documents"]
    [placeholder] = [f for f in doc["findings"] if f["code"] == "link-placeholder"]
    assert (placeholder["accepted"], placeholder["accepted_by"]) == (
        "the annex was never online", "Ana")
    main(["verify", "--root", str(root), "--format", "junit"])
    assert "(accepted by Ana: the annex was never online)" in capsys.readouterr().out


def test_an_ok_source_lists_its_accepted_findings(http_site, tmp_path: Path, capsys) -> None:
    """A page that is gone is captured all the same; its accepted capture-http-error leaves
    the source ok, and the ok block still names the source, the finding, who and why."""
    root = tmp_path / "col"
    assert main(["init", "--root", str(root)]) == 0
    url = http_site.add("/report-text/gone", "<html><body><p>Not here</p></body></html>",
                        status=404)
    assert main(["capture", url, "--new-id", "gone", "--allow-private",
                 "--root", str(root)]) == 0
    assert main(["accept", "gone", "capture-http-error", "--reason", "the 404 is the evidence",
                 "--by", "Ana", "--root", str(root)]) == 0
    assert main(["accept", "gone", "text-not-extracted", "--reason", "a 404 has no text",
                 "--by", "Ana", "--root", str(root)]) == 0
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("ok  1 source(s) with no open finding (1 with accepted findings only)")
    assert lines[at + 1].startswith("  gone")
    assert lines[at + 2].startswith("    accepted capture-http-error  ")
    assert lines[at + 3].endswith("(accepted by Ana: the 404 is the evidence)")
    assert lines[at + 4:at + 6] == [
        "    accepted text-not-extracted  manifests/gone.json",
        "        no text could be extracted from its captures (accepted by Ana: a 404 has no "
        "text)"]
    assert main(["verify", "--root", str(root), "--problems-only"]) == 0
    assert "capture-http-error" not in capsys.readouterr().out


def test_problems_only(root: Path, capsys) -> None:
    everything = verify_text(capsys, root)
    lines = verify_text(capsys, root, "--problems-only")
    assert lines[:2] == everything[:2] and lines[-1] == everything[-1]
    assert not any(line.startswith("ok  ") for line in lines)
    assert not any("accepted link-placeholder" in line for line in lines)
    assert "letter-0  warnings  Letter number 0" in lines  # its placeholders are still open
    assert sum(1 for line in lines if re.match(r"^\S+  (errors|warnings)  ", line)) == 8


def test_json_names_each_source(root: Path, capsys) -> None:
    main(["verify", "--root", str(root), "--jobs", "2", "--format", "json", "letter-2"])
    [doc] = json.loads(capsys.readouterr().out)["documents"]
    assert (doc["title"], doc["url"]) == ("Letter number 2", "https://example.org/letters/2")


def test_problems_only_is_for_the_text_report(root: Path, capsys) -> None:
    assert main(["verify", "--root", str(root), "--format", "json", "--problems-only"]) == 2
    assert capsys.readouterr().err == ("archiver: --problems-only shapes the text report; "
                                       "the other formats list every finding\n")


def test_status_words_are_explained_in_help(capsys) -> None:
    assert main(["verify", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("errors ", "warnings ", "ok ", "accepted "):
        assert f"\n  {word}" in out


def test_the_report_quotes_the_text_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    root = tmp_path / "col"
    assert main(["init", "--root", str(root)]) == 0
    text = tmp_path / "vote.txt"
    text.write_text("The vote\n\nSee [the :thumbs_up: vote](#).\n", encoding="utf-8")
    assert main(["add", str(text), "--root", str(root), "--url", "https://example.org/v"]) == 0
    capsys.readouterr()
    main(["verify", "--root", str(root)])
    out = capsys.readouterr().out
    assert "link without a target: `[the :thumbs_up: vote](#)`" in out, out
