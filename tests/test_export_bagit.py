"""archiver export bagit: an RFC 8493 bag of captured sources, checked with bagit-python's own
`bagit.py --validate`, before and after a flipped byte; its data/ is a collection verify passes."""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import bagit
import pytest
from exportdata import BIN, Captured, snapshot

from archiver.cli import main
from archiver.fileio import sha256_file
from archiver.manifest import load_manifest


def export(captured: Captured, out: Path, *args: str) -> int:
    """Run ``archiver export bagit DIR ARGS...`` (ids first: argparse takes them after DIR)."""
    return main(["export", "bagit", str(out), *args, "--root", str(captured.collection.root)])


def validate(bag: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "bagit.py"), "--validate", str(bag)], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def bag(captured: Captured, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bag") / "deposit"
    before = snapshot(captured.collection.root)
    assert export(captured, out, "--description", "Sources on the ruling.\nCaptured in 2026.",
                  "--info", "Source-Organization=Example Library",
                  "--info", "Contact-Email=archivist@example.org") == 0
    assert snapshot(captured.collection.root) == before  # export changes nothing
    return out


def test_bagit_validates_the_bag(bag: Path) -> None:
    done = validate(bag)
    assert done.returncode == 0, done.stderr
    assert "is valid" in done.stderr


def test_a_flipped_byte_fails_the_bag_and_leaves_the_collection_alone(
        captured: Captured, bag: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(bag, tmp_path / "bag")
    warc = next((copy / "data" / "corpus").rglob("*.warc.gz"))
    relpath = warc.relative_to(copy).as_posix()
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0x01
    warc.write_bytes(bytes(data))
    done = validate(copy)
    assert done.returncode == 1
    assert f"{relpath} sha256 validation failed" in done.stderr
    assert f"{relpath} sha512 validation failed" in done.stderr
    # the bag holds copies: the collection's WARC is as its manifest records
    original = captured.collection.root / relpath.removeprefix("data/")
    source_id = original.parent.name
    manifest = load_manifest(captured.collection.manifest_path(source_id))
    assert sha256_file(original)[0] == manifest.captures[0].warc_sha256


def test_bag_info_tells_a_repository_what_it_holds(captured: Captured, bag: Path) -> None:
    info = bagit.Bag(str(bag)).info
    files = [p for p in (bag / "data").rglob("*") if p.is_file()]
    assert info["Payload-Oxum"] == f"{sum(p.stat().st_size for p in files)}.{len(files)}"
    assert info["External-Description"] == "Sources on the ruling. Captured in 2026."
    assert info["Source-Count"] == str(len(captured.collection.ids())) == "5"
    assert info["Bagging-Date"] == datetime.date.today().isoformat()
    assert info["Source-Organization"] == "Example Library"
    assert info["Contact-Email"] == "archivist@example.org"
    for kind in ("manifest", "tagmanifest"):
        for algorithm in ("sha256", "sha512"):
            assert (bag / f"{kind}-{algorithm}.txt").is_file()
    lines = (bag / "manifest-sha512.txt").read_text().splitlines()
    digests = {path: digest for digest, path in (line.split(maxsplit=1) for line in lines)}
    for path in files:
        relpath = path.relative_to(bag).as_posix()
        assert digests[relpath] == hashlib.sha512(path.read_bytes()).hexdigest()


def test_the_payload_is_the_collection_as_laid_out(captured: Captured, bag: Path,
                                                   tmp_path: Path) -> None:
    root = captured.collection.root
    data = bag / "data"
    expected = {"manifests/schema.json"}
    for source_id in captured.collection.ids():
        expected.add(f"manifests/{source_id}.json")
        manifest = load_manifest(captured.collection.manifest_path(source_id))
        expected.update(f.path for f in manifest.files)
    found = {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()}
    assert found == expected
    for relpath in expected - {"manifests/schema.json"}:
        assert (data / relpath).read_bytes() == (root / relpath).read_bytes()
        assert (data / relpath).stat().st_ino != (root / relpath).stat().st_ino  # a copy
    # data/ is a collection: archiver verify finds what it finds in the original (on a copy:
    # verify keeps its lock and cache in the collection's folder, which would change the bag)
    copy = shutil.copytree(data, tmp_path / "data")
    reports = []
    for collection in (copy, root):
        out = tmp_path / f"{collection.name}.json"
        assert main(["verify", "--root", str(collection), "--no-cache", "--format", "json",
                     "--output", str(out)]) == 0
        reports.append(sorted((d["id"], f["code"], f["path"], f["line"])
                              for d in json.loads(out.read_text())["documents"]
                              for f in d["findings"]))
    assert reports[0] == reports[1]
    assert ("by-hand", "capture-pending", "manifests/by-hand.json", None) in reports[0]


def test_chosen_ids_only(captured: Captured, tmp_path: Path) -> None:
    out = tmp_path / "one"
    assert export(captured, out, captured.by_hand) == 0
    assert sorted(p.relative_to(out / "data").as_posix()
                  for p in (out / "data").rglob("*") if p.is_file()) == [
        "corpus/by-hand.txt", "manifests/by-hand.json", "manifests/schema.json"]
    assert bagit.Bag(str(out)).info["Source-Count"] == "1"
    assert validate(out).returncode == 0


@pytest.mark.parametrize(("args", "reason"), [
    ([], "exists already; nothing was written (choose a new name)"),
    (["no-such-source"], "no such source in this collection"),
])
def test_unusable_requests_are_one_line_and_write_nothing(
        captured: Captured, tmp_path: Path, capsys, args: list[str], reason: str) -> None:
    out = tmp_path / "deposit"
    if not args:
        out.mkdir()
    assert export(captured, out, *args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("archiver: ") and reason in err
    assert [p.name for p in tmp_path.iterdir()] == (["deposit"] if not args else [])


def test_a_bag_info_field_must_be_label_and_value(captured: Captured, tmp_path: Path,
                                                  capsys) -> None:
    assert export(captured, tmp_path / "deposit", "--info", "no value") == 2
    assert "use LABEL=VALUE" in capsys.readouterr().err
    assert not (tmp_path / "deposit").exists()


def test_a_file_that_changed_since_its_manifest_stops_the_bag(captured: Captured,
                                                              tmp_path: Path, capsys) -> None:
    root = shutil.copytree(captured.collection.root, tmp_path / "collection")
    text = root / "corpus" / f"{captured.by_hand}.txt"
    text.write_bytes(text.read_bytes().replace(b"word for word", b"word for ward"))
    assert main(["export", "bagit", str(tmp_path / "deposit"), "--root", str(root)]) == 2
    assert "corpus/by-hand.txt: differs from its manifest" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["collection"]  # no bag, no temp


def test_a_manifest_is_exported_as_it_was_checked(captured: Captured, tmp_path: Path) -> None:
    """An export parses each manifest once, to check it, and keeps only what it needs (not the
    parsed manifest: at 100,000 sources they would not fit in memory); the bytes it writes
    are read again and must be those it checked."""
    from archiver.collection import Collection
    from archiver.errors import ArchiverError
    from archiver.exchange.selection import choose

    root = tmp_path / "copy"
    shutil.copytree(captured.collection.root, root)
    collection = Collection(root)
    sources = choose(collection, None)
    first = sources[0]
    stored = collection.resolve(first.manifest_relpath).read_bytes()
    assert first.manifest_bytes(collection) == stored
    collection.resolve(first.manifest_relpath).write_bytes(stored.replace(b"{", b"{ ", 1))
    with pytest.raises(ArchiverError, match="changed during the export; nothing was exported"):
        first.manifest_bytes(collection)
