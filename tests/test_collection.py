"""The collection's own safety: staging, roll-back, file modes, what accept and repair refuse."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

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


def test_roll_back_keeps_what_a_manifest_names(root: Path) -> None:
    """A run killed after its commit and before its journal went: its files are recorded."""
    c = Collection.open(root)
    journal = root / "corpus/.archiver-tmp-journal-x.json"
    journal.write_text(json.dumps(["corpus/note.txt", "corpus/gone.txt", "../outside"]))
    with c.writing() as rolled_back:
        assert rolled_back == ["rolled back an interrupted run "
                               "(corpus/.archiver-tmp-journal-x.json): removed 0 unrecorded "
                               "file(s)"]
    assert (root / "corpus/note.txt").is_file() and not journal.exists()


def test_roll_back_removes_the_unrecorded_files_and_counts_them(root: Path) -> None:
    c = Collection.open(root)
    for name in ("half.txt", "half.warc.gz"):
        (root / "corpus" / name).write_bytes(b"written by a killed run")
    journal = root / "corpus/.archiver-tmp-journal-y.json"
    journal.write_text(json.dumps(["corpus/half.txt", "corpus/half.warc.gz",
                                   "corpus/never-written.txt"]))
    with c.writing() as rolled_back:
        assert rolled_back == ["rolled back an interrupted run "
                               "(corpus/.archiver-tmp-journal-y.json): removed 2 unrecorded "
                               "file(s)"]
    assert sorted(p.name for p in (root / "corpus").iterdir()) == ["note.txt"]


def test_roll_back_keeps_the_files_of_a_source_whose_manifest_is_unreadable(root: Path) -> None:
    # which files a broken manifest names is unknown: every file under its id is kept
    c = Collection.open(root)
    (root / "manifests/note.json").write_text("{ torn")
    (root / "corpus/note").mkdir()
    (root / "corpus/note/note-1.warc.gz").write_bytes(b"a capture")
    (root / "corpus/other.txt").write_bytes(b"written by a killed run")
    journal = root / "corpus/.archiver-tmp-journal-z.json"
    journal.write_text(json.dumps(["corpus/note.txt", "corpus/note/note-1.warc.gz",
                                   "corpus/other.txt"]))
    with c.writing() as rolled_back:
        assert rolled_back[0].endswith("removed 1 unrecorded file(s)")
    assert (root / "corpus/note.txt").is_file()
    assert (root / "corpus/note/note-1.warc.gz").is_file()
    assert not (root / "corpus/other.txt").exists()


@pytest.mark.parametrize("content", ['{"corpus/stray.txt": true}', '"corpus/stray.txt"', "{ torn"])
def test_a_journal_that_is_no_list_removes_nothing(root: Path, content: str) -> None:
    # only a list of paths is a journal archiver wrote; anything else names no file
    c = Collection.open(root)
    (root / "corpus/stray.txt").write_bytes(b"a file a person put here")
    (root / "corpus/.archiver-tmp-journal-w.json").write_text(content)
    with c.writing() as rolled_back:
        assert rolled_back[0].endswith("removed 0 unrecorded file(s)")
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
                                 "accepted: restore the file from a backup (see the README's "
                                 "table)\n")
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
