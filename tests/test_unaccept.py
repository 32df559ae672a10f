"""archiver unaccept: an acceptance taken back, recorded in the history with who and why; the
finding counts again, the acceptance itself stays as it was made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run

from archiver.cli import main


@pytest.fixture
def root(tmp_path: Path, capsys) -> Path:
    """A source whose text lost two link targets (lines 3 and 5), one of them accepted."""
    root = tmp_path / "col"
    assert main(["init", "--root", str(root)]) == 0
    text = tmp_path / "memo.txt"
    text.write_text("The memo\n\nSee [the annex](#).\n\nAnd [the map](#).\n", encoding="utf-8")
    assert main(["add", str(text), "--id", "memo", "--root", str(root),
                 "--url", "https://example.org/memo"]) == 0
    assert main(["accept", "memo", "link-placeholder", "--line", "3", "--by", "Ana",
                 "--reason", "the annex was never online", "--root", str(root)]) == 0
    capsys.readouterr()
    return root


def placeholders(root: Path, capsys) -> list[tuple[int, str | None]]:
    main(["verify", "--root", str(root), "--format", "json"])
    [doc] = json.loads(capsys.readouterr().out)["documents"]
    return sorted((f["line"], f.get("accepted")) for f in doc["findings"]
                  if f["code"] == "link-placeholder")


def test_unaccept_makes_the_finding_count_again_and_records_why(root: Path, capsys) -> None:
    assert placeholders(root, capsys) == [(3, "the annex was never online"), (5, None)]
    code, _, err = run(capsys, "unaccept", "memo", "link-placeholder", "--line", "3",
                       "--reason", "the annex is online after all", "--by", "Ben",
                       "--root", str(root))
    assert (code, err) == (0, "took back the acceptance of link-placeholder at "
                              "corpus/memo.txt:3\n")
    assert placeholders(root, capsys) == [(3, None), (5, None)]
    manifest = json.loads((root / "manifests" / "memo.json").read_text())
    [acceptance] = manifest["accepted"]  # kept as it was made
    assert acceptance["reason"] == "the annex was never online"
    entry = manifest["history"][-1]
    assert (entry["action"], entry["acceptance"], entry["by"], entry["reason"]) == (
        "unaccepted", 1, "Ben", "the annex is online after all")
    code, out, _ = run(capsys, "verify", "--root", str(root))
    assert "history-" not in out  # the chain holds
    # it may be accepted again, as a new acceptance
    assert main(["accept", "memo", "link-placeholder", "--line", "3", "--reason", "again",
                 "--root", str(root)]) == 0
    assert placeholders(root, capsys) == [(3, "again"), (5, None)]
    # the HTML report keeps both, the first marked as taken back
    assert main(["report", "--root", str(root), "--output", str(root.parent / "r.html")]) == 0
    html = (root.parent / "r.html").read_text()
    assert "Taken back on" in html and "by Ben: the annex is online after all" in html


def test_unaccept_refuses_what_it_cannot_take_back(root: Path, capsys) -> None:
    before = (root / "manifests" / "memo.json").read_bytes()
    for argv, message in (
            (["unaccept", "memo", "link-placeholder", "--line", "5", "--reason", "r"],
             "no acceptance of link-placeholder at line 5 to take back"),
            (["unaccept", "memo", "capture-pending", "--reason", "r"],
             "no acceptance of capture-pending to take back"),
            (["unaccept", "memo", "link-placeholder", "--reason", " "],
             "taking an acceptance back needs a reason"),
            (["unaccept", "nope", "link-placeholder", "--reason", "r"], "no such source")):
        code, _, err = run(capsys, *argv, "--root", str(root))
        assert code == 2 and message in err, err
    assert (root / "manifests" / "memo.json").read_bytes() == before


def test_a_hand_made_unaccept_entry_is_history_broken(root: Path, capsys) -> None:
    """An entry that takes back an acceptance the manifest never held breaks the history."""
    from archiver.history import record
    from archiver.manifest import load_manifest, save_manifest

    path = root / "manifests" / "memo.json"
    manifest = load_manifest(path)
    record(manifest, "unaccepted", "made by hand", acceptance=2)
    save_manifest(path, manifest)
    code, out, _ = run(capsys, "verify", "--root", str(root), "--format", "json")
    codes = {f["code"]: f["message"] for d in json.loads(out)["documents"]
             for f in d["findings"]}
    assert code == 1 and "takes back acceptance 2" in codes["history-broken"]
