"""The collection's own safety: staging, roll-back, file modes, what accept and repair refuse."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.cli import main
from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.sources import INTEGRITY_CODES, UNREVIEWABLE, is_integrity


@pytest.fixture
def root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "col"
    assert main(["init", "--root", str(root)]) == 0
    src = tmp_path / "note.txt"
    src.write_text("Title\n\nRead [this](#) now.", encoding="utf-8")
    assert main(["add", str(src), "--root", str(root), "--url", "https://e.org/n"]) == 0
    capsys.readouterr()
    return root


def test_a_failed_run_removes_only_the_files_it_wrote(root: Path) -> None:
    c = Collection.open(root)
    before = (root / "corpus/note.txt").read_bytes()
    with pytest.raises(FileExistsError), c.writing(), c.staging() as staged:
        staged.write("corpus/new.txt", [b"mine"])
        staged.write("corpus/note.txt", [b"not mine"])  # another source's file: refused
    assert not (root / "corpus/new.txt").exists()
    assert (root / "corpus/note.txt").read_bytes() == before
    assert not list((root / "corpus").glob(".archiver-tmp-*"))


def killed_run(root: Path, files: dict[str, bytes]) -> Path:
    """A run that writes ``files`` and is killed (os._exit: no clean-up runs) before its
    manifest is saved; return its journal."""
    script = ("import os, sys\nfrom pathlib import Path\n"
              "from archiver.collection import Collection\n"
              "c = Collection.open(Path(sys.argv[1]))\n"
              "with c.writing(), c.staging() as staged:\n"
              f"    for path, data in {files!r}.items():\n"
              "        staged.write(path, [data])\n"
              "    os._exit(9)\n")
    done = subprocess.run([sys.executable, "-c", script, str(root)], check=False)
    assert done.returncode == 9
    [journal] = (root / "corpus").glob(".archiver-tmp-journal-*.json")
    return journal


def test_roll_back_removes_what_a_killed_run_made_and_counts_it(root: Path) -> None:
    journal = killed_run(root, {"corpus/half.txt": b"half", "corpus/half/h-1.warc.gz": b"W"})
    run = journal.name[len(".archiver-tmp-journal-"):-len(".json")]
    assert json.loads(journal.read_text()) == {
        "run": run, "files": ["corpus/half.txt", "corpus/half/h-1.warc.gz"]}
    # each file is one with a temp that names the run, until the manifest is saved
    assert os.path.samefile(root / "corpus/half.txt", root / f"corpus/.archiver-tmp-{run}-0")
    with Collection.open(root).writing() as rolled_back:
        assert rolled_back == [f"rolled back an interrupted run (corpus/{journal.name}): "
                               "removed 2 unrecorded file(s)"]
    assert sorted(p.name for p in (root / "corpus").iterdir()) == ["half", "note.txt"]
    assert list((root / "corpus/half").iterdir()) == []


def test_roll_back_after_the_commit_keeps_the_recorded_files(root: Path) -> None:
    """A run killed after its manifest was saved, before its temps and journal went: the
    files it made are recorded, and only its temps go."""
    script = ("import os, sys\nfrom pathlib import Path\n"
              "from archiver.collection import Collection\n"
              "from archiver.manifest import load_manifest\n"
              "c = Collection.open(Path(sys.argv[1]))\n"
              "m = load_manifest(c.manifest_path('note'))\n"
              "with c.writing(), c.staging() as staged:\n"
              "    staged.write('corpus/note.v2.txt', [b'recorded'])\n"
              "    staged.commit(m)\n"  # the commit (the manifest's content is not the point)
              "    os._exit(9)\n")
    assert subprocess.run([sys.executable, "-c", script, str(root)]).returncode == 9
    [journal] = (root / "corpus").glob(".archiver-tmp-journal-*.json")
    run = journal.name[len(".archiver-tmp-journal-"):-len(".json")]
    c = Collection.open(root)
    recorded = c._named_files() | {"corpus/note.v2.txt"}
    assert c.journal_files(journal, recorded) == [
        (None, f"corpus/.archiver-tmp-{run}-0")]
    assert c.journal_files(journal, set()) == [
        ("corpus/note.v2.txt", f"corpus/.archiver-tmp-{run}-0")]


RUN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(("listed", "reason"), [
    ("manifests/note.json", "which is not a path under corpus/"),
    ("seals/000001/seal.json", "which is not a path under corpus/"),
    ("keys/alice.pub", "which is not a path under corpus/"),
    ("corpus/note.txt", "which a manifest records and its run did not make (it is not one "
                        f"file with corpus/.archiver-tmp-{RUN}-1)"),
    ("corpus/stray.txt", "which its run did not make (it is not one file with "
                         f"corpus/.archiver-tmp-{RUN}-1)"),
    ("corpus/../manifests/note.json", "which is not a path under corpus/"),
    ("corpus/.archiver-tmp-0123", "a temp name, which no run commits"),
])
def test_a_planted_journal_removes_nothing_and_is_reported(
        root: Path, capsys: pytest.CaptureFixture[str], listed: str, reason: str) -> None:
    """A hand-written journal that lists evidence: the next writer removes none of it, says
    so, and leaves the journal for verify, which calls it an error."""
    for path in ("seals/000001/seal.json", "keys/alice.pub", "corpus/stray.txt",
                 "corpus/.archiver-tmp-0123"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(b"evidence")
    # a stray file hard-linked to a temp of another run proves nothing for this one
    os.link(root / "corpus/stray.txt", root / "corpus/.archiver-tmp-fedcba9876543210-0")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()
              and ".archiver" not in p.name and p.name != "note.json"}
    journal = root / f"corpus/.archiver-tmp-journal-{RUN}.json"
    journal.write_text(json.dumps({"run": RUN, "files": ["corpus/gone.txt", listed]}))
    assert main(["set", "note", "language", "en", "--reason", "checked", "--root",
                 str(root)]) == 0
    err = capsys.readouterr().err
    assert (f"archiver: {root}: corpus/{journal.name}: lists {listed!r}, {reason}; left in "
            "place, nothing it lists was removed\n") in err
    assert journal.is_file() and (root / "manifests/note.json").is_file()  # as set left it
    assert all(path.read_bytes() == data for path, data in before.items())
    assert main(["verify", "--root", str(root), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    [finding] = [f for f in report["collection"]["findings"] if f["code"] == "journal-invalid"]
    assert finding["path"] == f"corpus/{journal.name}"
    assert finding["message"] == (f"lists {listed!r}, {reason}; a roll-back removes nothing "
                                  "it lists")


@pytest.mark.parametrize(("name", "content"), [
    (RUN, '{"corpus/stray.txt": true}'), (RUN, '"corpus/stray.txt"'), (RUN, "{ torn"),
    (RUN, '["corpus/stray.txt"]'),  # the journals of earlier versions: a list of paths
    (RUN, json.dumps({"run": RUN.replace("0", "1"), "files": ["corpus/stray.txt"]})),
    ("not-a-run", '{"run": "not-a-run", "files": ["corpus/stray.txt"]}'),
])
def test_a_journal_archiver_did_not_write_removes_nothing(root: Path, name: str, content: str
                                                          ) -> None:
    (root / "corpus/stray.txt").write_bytes(b"a file a person put here")
    (root / f"corpus/.archiver-tmp-journal-{name}.json").write_text(content)
    with Collection.open(root).writing() as rolled_back:
        assert rolled_back == [f"corpus/.archiver-tmp-journal-{name}.json: not a journal "
                               "archiver wrote (a run id, and the list of the files that run "
                               "made); left in place, nothing it lists was removed"]
    assert (root / "corpus/stray.txt").read_bytes() == b"a file a person put here"


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_new_files_get_the_users_umask(tmp_path: Path, capsys, umask: int) -> None:
    old = os.umask(umask)
    try:
        root = tmp_path / "col"
        assert main(["init", "--root", str(root)]) == 0
        src = tmp_path / "t.txt"
        src.write_text("A text.")
        assert main(["add", str(src), "--root", str(root), "--url", "https://e.org/t"]) == 0
    finally:
        os.umask(old)
    for path in (root / "corpus/t.txt", root / "manifests/t.json", root / ".archiver-lock"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


def test_accept_refuses_integrity_findings(root: Path, capsys) -> None:
    (root / "corpus/note.txt").write_text("changed silently")
    code = main(["accept", "note", "hash-mismatch", "--path", "corpus/note.txt", "--reason",
                 "it is fine", "--root", str(root)])
    err = capsys.readouterr().err
    assert code == 2 and err == ("archiver: hash-mismatch: an integrity finding cannot be "
                                 "accepted: restore the file from a backup (see the finding "
                                 "codes: docs/findings.md)\n")
    assert json.loads((root / "manifests/note.json").read_text())["accepted"] == []


def test_integrity_codes_are_fixity_and_warc_codes() -> None:
    from archiver.findings import RULES

    refused = {code for code in RULES if is_integrity(code)}
    assert refused >= INTEGRITY_CODES
    assert {c for c in RULES if c.startswith("warc-")} <= refused
    assert {"capture-record-missing", "capture-mismatch"} <= refused
    # what a person may review and accept: the text's damage, the page's own state (a
    # capture never made is refused for another reason: UNREVIEWABLE)
    assert not refused & {"link-placeholder", "duplicate-line", "capture-pending",
                          "capture-http-error", "text-altered", "temp-file"}
    assert set(UNREVIEWABLE) == {"capture-pending"}


def test_repair_of_a_deleted_text_is_one_line(root: Path, capsys) -> None:
    (root / "corpus/note.txt").unlink()
    assert main(["repair", "note", "--root", str(root)]) == 2
    assert capsys.readouterr().err == ("archiver: corpus/note.txt: the text is missing; restore "
                                       "it from a backup ('archiver verify' reports "
                                       "file-missing)\n")


def test_a_reserved_id_is_refused_by_the_library(root: Path) -> None:
    c = Collection.open(root)
    for sid in ("schema", "SCHEMA", "note.v2", "x.V10"):
        with pytest.raises(ArchiverError, match="a reserved id"):
            c.new_manifest_path(sid)
    assert c.new_manifest_path("note.v2a") == root / "manifests/note.v2a.json"


def test_an_unusable_lock_is_one_line(root: Path, capsys) -> None:
    (root / ".archiver-lock").write_bytes(b"not a database")
    assert main(["verify", "--root", str(root)]) == 2
    assert capsys.readouterr().err == (
        f"archiver: {root}/.archiver-lock: cannot use the collection's lock (file is not a "
        "database); if no archiver run is going, delete it\n")


_PATHS = st.sampled_from(["corpus/note.txt", "corpus/stray.txt", "manifests/note.json",
                          "keys/alice.pub", "corpus/../keys/alice.pub", "/etc/passwd",
                          "corpus/", "corpus/x/../note.txt", f"corpus/.archiver-tmp-{RUN}-0"])
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8) | _PATHS,
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.sampled_from(["run", "files", "x"]), inner,
                                       max_size=3), max_leaves=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(_JSON.map(lambda v: json.dumps(v).encode()),
                         st.fixed_dictionaries({"run": st.just(RUN), "files": st.lists(
                             st.one_of(st.none(), _PATHS), max_size=4)}).map(
                             lambda v: json.dumps(v).encode()),
                         st.binary(max_size=64)))
def test_no_journal_removes_evidence_or_raises(root: Path, content: bytes) -> None:
    """Whatever a file named like a journal holds, a roll-back neither fails nor removes a
    manifest, a key, a recorded text or a file no run made; one it keeps is reported."""
    keys = root / "keys"
    keys.mkdir(exist_ok=True)
    (keys / "alice.pub").write_bytes(b"a public key")
    (root / "corpus/stray.txt").write_bytes(b"a file a person put here")
    evidence = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()
                and ".archiver" not in p.name}
    journal = root / f"corpus/.archiver-tmp-journal-{RUN}.json"
    journal.write_bytes(content)
    c = Collection.open(root)
    with c.writing() as rolled_back:
        assert len(rolled_back) >= 1
    assert {p: p.read_bytes() for p in evidence} == evidence
    _, problems = c.journals()
    assert problems == ([] if not journal.exists() else [(f"corpus/{journal.name}",
                                                          problems[0][1])])
    journal.unlink(missing_ok=True)
