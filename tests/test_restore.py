"""archiver restore: missing and damaged files come back from a replica (a bag and a WACZ made
by export, a copy of the collection with another file damaged), only as the manifest's exact
bytes; verify passes afterwards, and nothing else changes."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from exportdata import Captured, snapshot

from archiver.cli import main
from archiver.collection import Collection
from archiver.exchange.restore import restore
from archiver.manifest import load_manifest


@pytest.fixture
def damaged(captured: Captured, tmp_path: Path) -> tuple[Collection, dict[str, bytes], dict]:
    """A copy of the captured collection with one WARC deleted and one text byte flipped;
    the copy's files as they were, and which paths were hit."""
    root = Path(shutil.copytree(captured.collection.root, tmp_path / "mine"))
    collection = Collection(root.resolve())
    before = snapshot(root)
    warc = load_manifest(collection.manifest_path(captured.redirected)).files
    warc_path = next(f.path for f in warc if f.path.endswith(".warc.gz"))
    text_path = f"corpus/{captured.by_hand}.txt"
    (root / warc_path).unlink()
    data = bytearray((root / text_path).read_bytes())
    data[3] ^= 0x20
    (root / text_path).write_bytes(bytes(data))
    return collection, before, {"warc": warc_path, "text": text_path}


def _verify(root: Path) -> int:
    return main(["verify", "--root", str(root), "--no-cache", "--format", "json",
                 "--output", str(root.parent / "report.json")])


def test_restore_from_an_exported_bag(captured: Captured, damaged, tmp_path: Path,
                                      capsys) -> None:
    collection, before, hit = damaged
    bag = tmp_path / "bag"
    assert main(["export", "bagit", str(bag), "--root", str(captured.collection.root)]) == 0
    assert _verify(collection.root) == 1
    log = tmp_path / "audit.jsonl"
    capsys.readouterr()
    assert main(["restore", "--from", str(bag), "--root", str(collection.root),
                 "--log", str(log)]) == 0
    err = capsys.readouterr().err
    assert f"restored {hit['warc']} (was missing) from {hit['warc']}" in err
    assert f"restored {hit['text']} (was damaged) from {hit['text']}" in err
    assert "restored 2 file(s), 0 not restored" in err
    assert snapshot(collection.root) == before  # exactly the bytes, nothing else changed
    assert _verify(collection.root) == 0
    entry = json.loads(log.read_text())
    assert entry["action"] == "restore"
    assert {r["path"] for r in entry["restored"]} == {hit["warc"], hit["text"]}
    damaged_text = next(r for r in entry["restored"] if r["path"] == hit["text"])
    assert damaged_text["replaced"]["size"] == len(before[hit["text"]])


def test_restore_from_an_exported_wacz(captured: Captured, damaged, tmp_path: Path,
                                       capsys) -> None:
    collection, before, hit = damaged
    wacz = tmp_path / "out.wacz"
    assert main(["export", "wacz", str(wacz), "--root", str(captured.collection.root)]) == 0
    capsys.readouterr()
    assert main(["restore", "--from", str(wacz), "--root", str(collection.root)]) == 0
    err = capsys.readouterr().err
    # the WACZ holds the WARC under archive/, the texts under their own paths
    assert f"from archive/{hit['warc'].rsplit('/', 1)[-1]}" in err
    assert f"restored {hit['text']} (was damaged) from {hit['text']}" in err
    assert snapshot(collection.root) == before
    assert _verify(collection.root) == 0


def test_a_damaged_replica_restores_nothing_wrong(captured: Captured, damaged,
                                                  tmp_path: Path, capsys) -> None:
    """A colleague's copy with another file damaged serves what it holds intact; the file it
    holds damaged too is listed as not restored, and left as it was."""
    collection, before, hit = damaged
    replica = Path(shutil.copytree(captured.collection.root, tmp_path / "colleague"))
    data = bytearray((replica / hit["text"]).read_bytes())
    data[-2] ^= 0x01
    (replica / hit["text"]).write_bytes(bytes(data))
    damaged_here = (collection.root / hit["text"]).read_bytes()
    capsys.readouterr()
    assert main(["restore", "--from", str(replica), "--root", str(collection.root)]) == 1
    err = capsys.readouterr().err
    assert f"restored {hit['warc']} (was missing)" in err
    assert (f"could not restore {hit['text']}: no file in the replica has its sha256 and size"
            in err)
    assert (collection.root / hit["text"]).read_bytes() == damaged_here
    assert (collection.root / hit["warc"]).read_bytes() == before[hit["warc"]]
    assert not list(collection.root.rglob(".archiver-tmp-*"))  # no partial left behind


def test_a_replica_laid_out_otherwise_serves_by_content(captured: Captured, damaged,
                                                        tmp_path: Path) -> None:
    """Bytes are found by size and sha256 wherever the replica keeps them (another tool's
    zip, renamed files); the library API returns where each came from."""
    collection, before, hit = damaged
    package = tmp_path / "other.zip"
    with zipfile.ZipFile(package, "w") as out:
        out.writestr("x/renamed.bin", before[hit["warc"]])
        out.writestr("y/text", before[hit["text"]])
        out.writestr("y/decoy", before[hit["text"]][:-1] + b"?")
    result = restore(collection, [captured.redirected, captured.by_hand], package)
    assert {(r.needed.entry.path, r.origin) for r in result.restored} == {
        (hit["warc"], "x/renamed.bin"), (hit["text"], "y/text")}
    assert result.missing == []
    assert snapshot(collection.root) == before


def test_restore_refuses_what_it_cannot_use(captured: Captured, damaged, tmp_path: Path,
                                            capsys) -> None:
    collection, _, _ = damaged
    assert main(["restore", "--from", str(tmp_path / "nowhere"),
                 "--root", str(collection.root)]) == 2
    assert "no such file or folder to restore from" in capsys.readouterr().err
    junk = tmp_path / "junk.wacz"
    junk.write_bytes(b"not a zip")
    assert main(["restore", "--from", str(junk), "--root", str(collection.root)]) == 2
    assert "not a readable WACZ or zip package" in capsys.readouterr().err
    assert main(["restore", "--from", str(collection.root), "--root",
                 str(collection.root)]) == 2
    assert "is this collection itself" in capsys.readouterr().err
    assert main(["restore", "nope", "--from", str(junk), "--root",
                 str(collection.root)]) == 2
    assert "nope: no such source" in capsys.readouterr().err


def test_nothing_to_restore_says_so(captured: Captured, tmp_path: Path, capsys) -> None:
    root = Path(shutil.copytree(captured.collection.root, tmp_path / "whole"))
    before = snapshot(root)
    assert main(["restore", "--from", str(captured.collection.root), "--root",
                 str(root)]) == 0
    assert "restored 0 file(s), 0 not restored" in capsys.readouterr().err
    assert snapshot(root) == before


def test_a_damaged_zip_entry_restores_nothing_and_says_so(captured: Captured, damaged,
                                                          tmp_path: Path, capsys) -> None:
    """An entry whose compressed bytes are damaged is skipped like any wrong bytes: one line
    for what could not be restored, exit 1, no traceback, the damaged file left as it was."""
    collection, before, hit = damaged
    package = tmp_path / "broken.zip"
    text = before[hit["text"]]
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(hit["text"], text)
    data = bytearray(package.read_bytes())
    start = data.index(hit["text"].encode()) + len(hit["text"])  # the local header's name
    for i in range(start, start + 8):
        data[i] ^= 0xFF  # the deflate stream
    package.write_bytes(bytes(data))
    damaged_here = (collection.root / hit["text"]).read_bytes()
    capsys.readouterr()
    assert main(["restore", "by-hand", "--from", str(package), "--root",
                 str(collection.root)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"could not restore {hit['text']}" in err
    assert (collection.root / hit["text"]).read_bytes() == damaged_here
