"""verify: build a valid collection with the tool, damage it, assert the exact finding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run

from archiver.collection import Collection
from tests.conftest import Site

CLEAN = "A clean headline\n\nThe body says “something” and nothing more.\n\nA closing line."


def verify_json(capsys: pytest.CaptureFixture[str], root: Path, *extra: str
                ) -> tuple[int, dict]:
    code, out, _ = run(capsys, "verify", "--root", str(root), "--format", "json",
                       "--jobs", "1", *extra)
    return code, json.loads(out)



def collection_findings(report: dict) -> list[dict]:
    """The collection's findings but ``unsealed``: no collection here is sealed
    (tests/test_custody.py makes that warning fire)."""
    return [f for f in report["collection"]["findings"] if f["code"] != "unsealed"]

def codes(report: dict, source_id: str | None = None) -> list[tuple[str, str | None, int | None]]:
    """(code, path, line) of the findings of one source, or of the collection."""
    if source_id is None:
        findings = collection_findings(report)
    else:
        findings = next(d for d in report["documents"] if d["id"] == source_id)["findings"]
    return [(f["code"], f["path"], f["line"]) for f in findings]


@pytest.fixture
def collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A valid collection of two sources, made with the tool itself."""
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    for name, text in (("alpha", CLEAN), ("beta", "Second text, also clean.")):
        src = tmp_path / f"{name}.txt"
        src.write_text(text, encoding="utf-8")
        code, _, err = run(capsys, "add", str(src), "--root", str(root),
                           "--url", f"https://example.org/{name}", "--title", name.title(),
                           "--language", "en", "--published", "2024-05-01")
        assert code == 0, err
    return root


def test_valid_collection_passes_with_pending_captures(collection: Path, capsys) -> None:
    code, report = verify_json(capsys, collection)
    assert code == 0
    assert codes(report, "alpha") == [("capture-pending", "manifests/alpha.json", None)]
    assert collection_findings(report) == []
    assert report["summary"]["errors"] == 0 and report["summary"]["warnings"] == 3  # + unsealed
    assert {d["status"] for d in report["documents"]} == {"warnings"}


def test_flipped_byte_is_a_hash_mismatch(collection: Path, capsys) -> None:
    text = collection / "corpus/alpha.txt"
    data = bytearray(text.read_bytes())
    data[3] ^= 0x01
    text.write_bytes(bytes(data))
    code, report = verify_json(capsys, collection)
    assert code == 1
    assert ("hash-mismatch", "corpus/alpha.txt", None) in codes(report, "alpha")
    assert codes(report, "beta") == [("capture-pending", "manifests/beta.json", None)]


def test_deleted_file_is_missing(collection: Path, capsys) -> None:
    (collection / "corpus/beta.txt").unlink()
    code, report = verify_json(capsys, collection)
    assert code == 1
    assert ("file-missing", "corpus/beta.txt", None) in codes(report, "beta")


def test_truncated_manifest_is_invalid_and_others_still_checked(collection: Path, capsys
                                                                ) -> None:
    manifest = collection / "manifests/alpha.json"
    manifest.write_bytes(manifest.read_bytes()[:40])
    (collection / "corpus/beta.txt").write_text("changed", encoding="utf-8")
    code, report = verify_json(capsys, collection)
    assert code == 1
    [(finding_code, path, _)] = codes(report, "alpha")
    assert (finding_code, path) == ("manifest-invalid", "manifests/alpha.json")
    message = report["documents"][0]["findings"][0]["message"]
    assert "Invalid JSON" in message
    assert ("hash-mismatch", "corpus/beta.txt", None) in codes(report, "beta")
    # the invalid source's own text is not called unreferenced
    assert codes(report) == []


def test_schema_violation_names_the_field(collection: Path, capsys) -> None:
    path = collection / "manifests/beta.json"
    data = json.loads(path.read_text())
    data["files"][0]["sha256"] = "not-a-hash"
    data["surprise"] = 1
    path.write_text(json.dumps(data))
    code, report = verify_json(capsys, collection)
    assert code == 1
    finding = report["documents"][1]["findings"][0]
    assert finding["code"] == "manifest-invalid"
    assert "files.0.sha256: String should match pattern" in finding["message"]
    assert "surprise: Extra inputs are not permitted" in finding["message"]


def test_stray_file_is_unreferenced(collection: Path, capsys) -> None:
    (collection / "corpus/sub").mkdir()
    (collection / "corpus/sub/stray.txt").write_text("who am I?")
    code, report = verify_json(capsys, collection)
    assert code == 1
    assert codes(report) == [("file-unreferenced", "corpus/sub/stray.txt", None)]


def test_leftover_temp_file_is_only_a_warning(collection: Path, capsys) -> None:
    (collection / "corpus/.archiver-tmp-abc123").write_bytes(b"half a capture")
    code, report = verify_json(capsys, collection)
    assert code == 0
    assert codes(report) == [("temp-file", "corpus/.archiver-tmp-abc123", None)]


def test_path_out_of_the_collection_is_refused(collection: Path, capsys) -> None:
    path = collection / "manifests/alpha.json"
    data = json.loads(path.read_text())
    data["files"][0]["path"] = "../../etc/passwd"
    path.write_text(json.dumps(data))
    code, report = verify_json(capsys, collection)
    assert code == 1
    [finding] = report["documents"][0]["findings"]
    assert (finding["code"], finding["path"]) == ("path-unsafe", "manifests/alpha.json")
    assert "../../etc/passwd" in finding["message"]


def test_symlink_out_of_the_collection_is_refused(collection: Path, tmp_path: Path, capsys
                                                  ) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(CLEAN, encoding="utf-8")
    text = collection / "corpus/alpha.txt"
    text.unlink()
    os.symlink(outside, text)
    code, report = verify_json(capsys, collection)
    assert code == 1
    assert ("path-unsafe", "corpus/alpha.txt", None) in codes(report, "alpha")


def test_file_claimed_by_two_manifests(collection: Path, capsys) -> None:
    alpha = json.loads((collection / "manifests/alpha.json").read_text())
    beta_path = collection / "manifests/beta.json"
    beta = json.loads(beta_path.read_text())
    beta["files"].append(alpha["files"][0])
    beta_path.write_text(json.dumps(beta))
    code, report = verify_json(capsys, collection)
    assert code == 1
    assert codes(report) == [("file-claimed-twice", "corpus/alpha.txt", None)]


def test_text_that_is_not_utf8(collection: Path, capsys) -> None:
    text = collection / "corpus/beta.txt"
    text.write_bytes("caf\xe9".encode("latin-1"))
    code, report = verify_json(capsys, collection, "beta")
    assert code == 1
    assert ("text-undecodable", "corpus/beta.txt", None) in codes(report, "beta")


def test_damage_is_reported_with_lines_and_only_warns(tmp_path: Path, collection: Path,
                                                      capsys) -> None:
    src = tmp_path / "damaged.txt"
    src.write_text("Title\n\nSee [the report](#) and [the annex]().\n\nAll good.",
                   encoding="utf-8")
    assert run(capsys, "add", str(src), "--root", str(collection), "--url",
               "https://example.org/d")[0] == 0
    code, report = verify_json(capsys, collection, "damaged")
    assert code == 0
    assert codes(report, "damaged") == [
        ("link-placeholder", "corpus/damaged.txt", 3),
        ("link-placeholder", "corpus/damaged.txt", 3),
        ("capture-pending", "manifests/damaged.json", None),
    ]
    code, _ = verify_json(capsys, collection, "damaged", "--strict")
    assert code == 1


def test_accepted_finding_passes_strict_until_its_line_changes(tmp_path: Path, collection: Path,
                                                               http_site: Site, capsys) -> None:
    src = tmp_path / "acc.txt"
    src.write_text("Title\n\nSee [the report](#).", encoding="utf-8")
    root = str(collection)
    url = http_site.add("/verify/taken-down", "Not Found", status=404)
    assert run(capsys, "add", str(src), "--root", root, "--url", url)[0] == 0
    code, _, err = run(capsys, "accept", "acc", "link-placeholder", "--line", "3",
                       "--reason", "the publisher never linked it", "--root", root)
    assert code == 0, err
    # its page was taken down: its capture is the 404, a fact a reviewer may accept (a
    # capture never made may not be: test_accept_refuses_a_capture_that_was_never_made)
    code, _, err = run(capsys, "capture", "--pending", "--root", root, "--allow-private")
    assert "warning capture-http-error" in err, err
    for code_ in ("capture-http-error", "fidelity-unverified"):
        code, _, err = run(capsys, "accept", "acc", code_, "--root", root, "--reason",
                           "the publisher took the page down; the 404 is the evidence")
        assert code == 0, err
    code, report = verify_json(capsys, collection, "acc", "--strict")
    assert code == 0
    [placeholder] = [f for f in report["documents"][0]["findings"]
                     if f["code"] == "link-placeholder"]
    assert placeholder["accepted"] == "the publisher never linked it"
    assert report["summary"]["accepted"] == 3
    # the same line, changed: the acceptance no longer applies
    text = collection / "corpus/acc.txt"
    text.write_text("Title\n\nSee [the other report](#).", encoding="utf-8")
    code, report = verify_json(capsys, collection, "acc", "--strict")
    assert code == 1
    [placeholder] = [f for f in report["documents"][0]["findings"]
                     if f["code"] == "link-placeholder"]
    assert "accepted" not in placeholder


def test_accept_refuses_a_capture_that_was_never_made(collection: Path, capsys) -> None:
    # capture-pending says no original was archived: nothing to review, and a --strict gate
    # must not pass a source that no capture vouches for
    manifest = (collection / "manifests/alpha.json").read_bytes()
    code, _, err = run(capsys, "accept", "alpha", "capture-pending", "--reason", "offline",
                       "--root", str(collection))
    assert code == 2
    assert err == ("archiver: capture-pending: cannot be accepted: no original was archived, "
                   "so there is nothing to review: capture it (archiver capture --id ID); if "
                   "the page is gone, its error response is the evidence, and that "
                   "capture-http-error can be accepted\n")
    assert (collection / "manifests/alpha.json").read_bytes() == manifest


def test_accept_refuses_a_finding_that_is_not_there(collection: Path, capsys) -> None:
    code, _, err = run(capsys, "accept", "alpha", "link-placeholder", "--line", "1",
                       "--reason", "x", "--root", str(collection))
    assert code == 2
    assert err.startswith("archiver: ") and "no link-placeholder finding at line 1" in err
    code, _, err = run(capsys, "accept", "alpha", "no-such-code", "--reason", "x",
                       "--root", str(collection))
    assert code == 2 and "not a finding code" in err


def test_parallel_run_matches_serial(collection: Path, capsys) -> None:
    (collection / "corpus/alpha.txt").write_text("changed")
    _, serial = verify_json(capsys, collection)
    code, out, _ = run(capsys, "verify", "--root", str(collection), "--format", "json",
                       "--jobs", "2")
    assert code == 1
    assert json.loads(out) == serial


def test_unknown_id_is_a_usage_error(collection: Path, capsys) -> None:
    code, out, err = run(capsys, "verify", "--root", str(collection), "nosuch")
    assert code == 2 and out == ""
    assert err.strip().startswith("archiver: nosuch:")


def test_a_run_killed_before_its_manifest_leaves_only_warnings(collection: Path, capsys
                                                               ) -> None:
    """A process killed between writing a new file and saving its manifest (os._exit, so no
    cleanup runs) leaves a collection that verify accepts."""
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from archiver.collection import Collection\n"
        "c = Collection.open(Path(sys.argv[1]))\n"
        "with c.writing(), c.staging() as staged:\n"
        "    staged.write('corpus/new/page.warc.gz', [b'x' * 100])\n"
        "    os._exit(9)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(collection)], check=False,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 9
    code, report = verify_json(capsys, collection)
    assert code == 0
    [journal, temp, staged] = collection_findings(report)
    assert journal["code"] == staged["code"] == temp["code"] == "temp-file"
    assert journal["path"].startswith("corpus/.archiver-tmp-journal-")
    run = journal["path"][len("corpus/.archiver-tmp-journal-"):-len(".json")]
    assert staged["path"] == "corpus/new/page.warc.gz"
    assert temp["path"] == f"corpus/new/.archiver-tmp-{run}-0"  # one file with page.warc.gz
    assert f"interrupted run ({journal['path']})" in staged["message"]


def test_an_error_before_the_commit_removes_staged_files(collection: Path) -> None:
    c = Collection.open(collection)
    with pytest.raises(RuntimeError), c.staging() as staged:
        staged.write("corpus/x.txt", [b"data"])
        raise RuntimeError("capture failed")
    assert sorted(p.name for p in (collection / "corpus").iterdir()) == ["alpha.txt", "beta.txt"]
