"""Exports carry custody: every seal and public key goes into the WACZ and the bag byte for
byte, checked there by OpenSSL, py-wacz and bagit-python, and a bag's data/ verifies sealed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from exportdata import BIN, Captured
from tsaserver import Tsa

from archiver.cli import main
from archiver.collection import Collection
from archiver.custody.seal import seal_dirs
from archiver.exchange.wacz import custody_name

CUSTODY_CODES = {"seal-invalid", "timestamp-invalid", "unsealed-change", "unsealed"}


@pytest.fixture(scope="module")
def sealed(captured: Captured, tsa: Tsa, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the captured collection, with the key ``alice`` and one timestamped seal."""
    base = tmp_path_factory.mktemp("sealed")
    root = shutil.copytree(captured.collection.root, base / "collection")
    key_file = base / "alice.key"
    assert main(["key", "new", "alice", "--root", str(root), "--key-file", str(key_file)]) == 0
    assert main(["seal", "--root", str(root), "--key-file", str(key_file), "--tsa",
                 tsa.url("good"), "--tsa-ca", str(tsa.ca), "--message", "export test"]) == 0
    return root


def custody_files(root: Path) -> dict[str, bytes]:
    """Every key and seal file of the collection, by collection path."""
    files = sorted((root / "keys").glob("*.pub"))
    for folder in seal_dirs(Collection(root)):
        files += sorted(folder.iterdir())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def verify(root: Path, tmp_path: Path, *ids: str) -> tuple[int, dict]:
    out = tmp_path / f"{root.name}-{len(ids)}.json"
    code = main(["verify", *ids, "--root", str(root), "--no-cache", "--format", "json",
                 "--output", str(out), "--jobs", "1"])
    return code, json.loads(out.read_text())


def findings(report: dict) -> list[tuple[str, str, str | None, str]]:
    every = [(d["id"], f) for d in report["documents"] for f in d["findings"]]
    every += [("", f) for f in report["collection"]["findings"]]
    return sorted((i, f["code"], f["path"], f["severity"]) for i, f in every)


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True)


def test_the_wacz_carries_every_seal_and_key_and_openssl_verifies_them(
        sealed: Path, tmp_path: Path, tsa: Tsa) -> None:
    wacz = tmp_path / "sealed.wacz"
    assert main(["export", "wacz", str(wacz), "--root", str(sealed)]) == 0
    expected = custody_files(sealed)
    [folder] = seal_dirs(Collection(sealed))
    seal = f"seals/{folder.name}"
    assert set(expected) == {"keys/alice.pub", f"{seal}/seal.json", f"{seal}/seal.sig",
                             f"{seal}/tsa-1.tsr", f"{seal}/tsa-1.pem", f"{seal}/tokens.json",
                             f"{seal}/tokens.sig"}
    out = tmp_path / "out"
    with zipfile.ZipFile(wacz) as zf:
        listed = {r["path"]: r for r in json.loads(zf.read("datapackage.json"))["resources"]}
        for relpath, data in expected.items():
            name = custody_name(relpath)
            assert zf.read(name) == data
            assert listed[name]["bytes"] == len(data)
            assert listed[name]["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
        zf.extractall(out, members=[custody_name(p) for p in expected])
    assert custody_name(f"{seal}/tsa-1.tsr") == f"seals/{folder.name}.tsa-1.tsr"
    # an outsider's checks, on the files taken out of the package, with OpenSSL only and the
    # TSA's root obtained apart (here: the test TSA's folder)
    s = out / "seals" / folder.name
    ts = openssl("ts", "-verify", "-data", f"{s}.seal.json", "-in", f"{s}.tsa-1.tsr",
                 "-untrusted", f"{s}.tsa-1.pem", "-CAfile", str(tsa.ca))
    assert ts.returncode == 0 and "Verification: OK" in ts.stdout, ts.stderr
    sig = openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(out / "keys/alice.pub"),
                  "-rawin", "-in", f"{s}.seal.json", "-sigfile", f"{s}.seal.sig")
    assert sig.returncode == 0 and "Signature Verified Successfully" in sig.stdout, sig.stderr
    done = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(wacz)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Validation succeeded" in done.stdout, done.stdout


def test_a_bag_of_every_source_verifies_sealed(sealed: Path, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    assert main(["export", "bagit", str(bag), "--root", str(sealed)]) == 0
    done = subprocess.run([str(BIN / "bagit.py"), "--validate", str(bag)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "is valid" in done.stderr, done.stderr
    for relpath, data in custody_files(sealed).items():
        assert (bag / "data" / relpath).read_bytes() == data
    # on a copy: verify keeps its lock in the collection's folder, which would change the bag
    copy = shutil.copytree(bag / "data", tmp_path / "data")
    code, report = verify(copy, tmp_path)
    original_code, original = verify(sealed, tmp_path)
    assert (code, findings(report)) == (original_code, findings(original))
    assert not CUSTODY_CODES & {code for _, code, _, _ in findings(report)}
    assert {d["custody"]["status"] for d in report["documents"]} == {"sealed"}
    assert report["documents"][0]["custody"]["timestamps"][0]["tsa"] == \
        "archiver test TSA good"


def test_a_bag_of_some_sources_holds_every_seal_and_says_what_it_lacks(
        sealed: Path, captured: Captured, tmp_path: Path) -> None:
    """A seal signs every source at once: a subset keeps it whole (its signature and token
    verify), and verify names each sealed source the subset lacks, as an error."""
    bag = tmp_path / "bag"
    assert main(["export", "bagit", str(bag), captured.by_hand, "--root", str(sealed)]) == 0
    for relpath, data in custody_files(sealed).items():
        assert (bag / "data" / relpath).read_bytes() == data
    copy = shutil.copytree(bag / "data", tmp_path / "data")
    code, report = verify(copy, tmp_path)
    assert code == 1
    [doc] = report["documents"]
    assert doc["custody"]["status"] == "sealed"
    got = [f for f in findings(report) if f[1] in CUSTODY_CODES]
    lacking = sorted(set(Collection(sealed).ids()) - {captured.by_hand})
    assert got == [("", "unsealed-change", f"manifests/{i}.json", "error") for i in lacking]
    seal = seal_dirs(Collection(sealed))[0].name
    assert [f["message"] for f in report["collection"]["findings"]
            if f["code"] == "unsealed-change"] == [
        f"source {i} was sealed in {seal} and its manifest is gone since the seal {seal}; "
        "nothing in the manifest accounts for it" for i in lacking]


def test_an_export_is_not_written_into_the_seals(sealed: Path, capsys) -> None:
    out = sealed / "seals" / "export.wacz"
    assert main(["export", "wacz", str(out), "--root", str(sealed)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "must not become part of the collection" in err
    assert not out.exists()
