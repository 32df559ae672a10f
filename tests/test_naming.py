"""Naming a source at capture (`capture URL --new-id NAME`) and accepting a finding by its
code alone when it is the only one (`accept ID CODE` without --line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Site, run

from archiver.cli import main

PAGE = ("<html><head><title>Court rules on the harbour</title></head><body><article>"
        "<h1>Court rules on the harbour</h1><p>The court said the harbour stays open for "
        "fishing boats through the winter, and the city must pay the costs of the case.</p>"
        "</article></body></html>")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    assert main(["init", "--root", str(tmp_path / "col")]) == 0
    return tmp_path / "col"


def test_capture_names_the_new_source(root: Path, http_site: Site, capsys) -> None:
    url = http_site.add("/naming/harbour", PAGE)
    code, out, err = run(capsys, "capture", url, "--new-id", "harbour-ruling", "--root",
                         str(root), "--allow-private")
    assert code == 0, err
    assert out.startswith("harbour-ruling: captured ")
    manifest = json.loads((root / "manifests/harbour-ruling.json").read_text())
    assert manifest["metadata"]["url"]["value"] == url
    assert manifest["text"]["path"] == "corpus/harbour-ruling.txt"
    # the name is taken now: refused in one line before anything is fetched, exit 2
    requests = len(http_site.requests)
    code, out, err = run(capsys, "capture", url, "--new-id", "harbour-ruling", "--root",
                         str(root), "--allow-private")
    assert code == 2 and out == ""
    assert err == ("archiver: harbour-ruling: source 'harbour-ruling' exists already; add a "
                   "capture to it with --id harbour-ruling\n")
    assert len(http_site.requests) == requests


@pytest.mark.parametrize(("argv", "reason"), [
    (["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"], "give exactly one URL"),
    (["--id", "alpha"], "--new-id names the new source of one URL: give it"),
    (["http://127.0.0.1:9/a", "--pending"], "give URLs, or --id ID, or --pending"),
    (["http://127.0.0.1:9/a"], "a reserved id"),
])
def test_capture_new_id_refusals(root: Path, capsys, argv: list[str], reason: str) -> None:
    name = "notes.v2" if reason == "a reserved id" else "one"
    code, out, err = run(capsys, "capture", *argv, "--new-id", name, "--root", str(root))
    assert code == 2 and out == ""
    assert err.startswith("archiver: ") and reason in err and err.count("\n") == 1
    assert list((root / "manifests").glob("*.json")) == []


def _add(root: Path, tmp_path: Path, capsys, text: str) -> None:
    src = tmp_path / "letter.txt"
    src.write_text(text, encoding="utf-8")
    assert run(capsys, "add", str(src), "--root", str(root), "--url",
               "https://example.org/letter")[0] == 0


def test_accept_the_only_finding_of_a_code_without_line(root: Path, tmp_path: Path,
                                                         capsys) -> None:
    _add(root, tmp_path, capsys, "A letter\n\nSee [the annex](#) for the figures.\n")
    code, _, err = run(capsys, "accept", "letter", "link-placeholder", "--root", str(root),
                       "--reason", "the annex was never published", "--by", "editor")
    assert code == 0, err
    assert err == "accepted link-placeholder at corpus/letter.txt:3\n"
    [acceptance] = json.loads((root / "manifests/letter.json").read_text())["accepted"]
    assert (acceptance["line"], acceptance["accepted_by"]) == (3, "editor")
    # accepted now: no open one is left to accept
    code, _, err = run(capsys, "accept", "letter", "link-placeholder", "--root", str(root),
                       "--reason", "again")
    assert code == 2 and "no link-placeholder finding to accept" in err


def test_accept_without_line_refuses_a_choice_and_lists_lines(root: Path, tmp_path: Path,
                                                              capsys) -> None:
    _add(root, tmp_path, capsys, "A letter\n\nSee [the annex](#).\n\nAnd [the map](#).\n")
    code, _, err = run(capsys, "accept", "letter", "link-placeholder", "--root", str(root),
                       "--reason", "x")
    assert code == 2
    assert err == ("archiver: " + str(root / "manifests/letter.json") + ": 2 open "
                   "link-placeholder findings (at lines 3, 5): give --line\n")
    assert json.loads((root / "manifests/letter.json").read_text())["accepted"] == []
