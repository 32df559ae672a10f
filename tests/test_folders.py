"""The collection stays inside itself: a folder of its own that is a symlink, or a path that
resolves outside, is ``path-unsafe`` in verify, and no command writes through it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run

from archiver.capture.pages import source_id_for

FOLDERS = ("manifests", "corpus", "seals", "keys")


@pytest.fixture
def sealed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A collection of one text, the key ``alice`` and one seal (no timestamp)."""
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    text = tmp_path / "one.txt"
    text.write_text("One\n\nThe first text.\n", encoding="utf-8")
    assert run(capsys, "add", str(text), "--root", str(root), "--url",
               "https://example.org/one")[0] == 0
    assert run(capsys, "key", "new", "alice", "--root", str(root))[0] == 0
    assert run(capsys, "seal", "--root", str(root), "--no-timestamp")[0] == 0
    return root


def listing(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def unsafe(report: dict) -> list[tuple[str, str]]:
    every = [f for d in report["documents"] for f in d["findings"]]
    return [(f["path"], f["message"]) for f in every + report["collection"]["findings"]
            if f["code"] == "path-unsafe"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_folder_that_is_a_symlink_is_path_unsafe_and_never_written_through(
        sealed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str) -> None:
    outside = tmp_path / "elsewhere" / folder
    outside.parent.mkdir()
    shutil.move(sealed / folder, outside)
    (sealed / folder).symlink_to(outside)
    before = listing(outside.parent)
    reason = f"a symlink (to {outside}), not a folder of the collection"

    code, out, err = run(capsys, "verify", "--root", str(sealed), "--format", "json")
    assert code == 1, err
    assert (f"{folder}/", reason) in unsafe(json.loads(out))

    text = tmp_path / "two.txt"
    text.write_text("Two\n\nThe second text.\n", encoding="utf-8")
    for argv in (["set", "one", "language", "en", "--reason", "checked"],
                 ["add", str(text), "--url", "https://example.org/two"],
                 ["key", "new", "bob"],
                 ["seal", "--no-timestamp", "--key", "alice"]):
        code, out, err = run(capsys, *argv, "--root", str(sealed))
        assert (code, out) == (2, ""), argv
        assert err == f"archiver: {sealed / folder}: {reason}; nothing was written\n", argv
    assert listing(outside.parent) == before


def test_the_lock_as_a_symlink_is_never_written_through(sealed: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    target = tmp_path / "elsewhere.db"
    (sealed / ".archiver-lock").unlink()
    (sealed / ".archiver-lock").symlink_to(target)
    for argv in (["verify"], ["set", "one", "language", "en", "--reason", "checked"]):
        code, _, err = run(capsys, *argv, "--root", str(sealed))
        assert code == 2 and err == (f"archiver: {sealed / '.archiver-lock'}: a symlink, not "
                                     "the collection's lock; remove it\n")
    assert not target.exists()


def test_a_folder_inside_corpus_that_leads_outside_is_never_written_through(
        sealed: Path, tmp_path: Path, http_site, capsys: pytest.CaptureFixture[str]) -> None:
    url = http_site.url("/folders/two")
    sid = source_id_for(url)
    (tmp_path / "elsewhere").mkdir()
    (sealed / "corpus" / sid).symlink_to(tmp_path / "elsewhere")
    http_site.add("/folders/two", "<html><body><article><p>The second text, long "
                        "enough to be an article of its own.</p></article></body></html>")
    code, out, err = run(capsys, "capture", url, "--allow-private", "--root", str(sealed))
    assert code == 2 and out == ""
    assert err.startswith(f"archiver: corpus/{sid}/") and "resolves outside the collection" in err
    assert list((tmp_path / "elsewhere").iterdir()) == []
    assert not (sealed / f"manifests/{sid}.json").exists()


def test_verify_writes_nothing_through_an_old_cache_folder_that_leads_outside(
        sealed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "elsewhere").mkdir()
    (sealed / ".archiver-cache").symlink_to(tmp_path / "elsewhere")
    for extra in ([], ["--jobs", "2"]):
        code, _, err = run(capsys, "verify", "--root", str(sealed), *extra)
        assert code == 0, err
    assert list((tmp_path / "elsewhere").iterdir()) == []
