"""WACZ checks that can fail, each made to fire on a real package (../shared/peer-wacz, made by
ArchiveWeb.page and Browsertrix) copied and altered: a duplicated entry name, an entry that
leaves the package, a file under archive/ that is no WARC, an entry datapackage.json does not
list. A package with any of them is refused by import."""

from __future__ import annotations

import hashlib
import json
import subprocess
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.findings import Severity
from archiver.warc.check import WarcReport, check_warc

PEER_WACZ = Path(__file__).parents[1].parent / "shared" / "peer-wacz"
RWP = PEER_WACZ / "rwp-example.wacz"  # ArchiveWeb.page 0.8.1, one WARC archive/data.warc.gz
BTRIX = PEER_WACZ / "btrix-example.wacz"


def errors(report: WarcReport) -> Counter[str]:
    return Counter(f.code for f in report.findings if f.severity is Severity.ERROR)


def appended(source: Path, target: Path, entries: list[tuple[str, bytes]]) -> Path:
    """A copy of ``source`` with ``entries`` added at the end of the zip, names as given."""
    target.write_bytes(source.read_bytes())
    with warnings.catch_warnings(), zipfile.ZipFile(target, "a") as package:
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        for name, data in entries:
            package.writestr(zipfile.ZipInfo(name), data)
    return target


def with_archive(source: Path, target: Path, name: str, data: bytes) -> Path:
    """A copy of ``source`` whose ``name`` holds ``data``, listed in datapackage.json with its
    new hash and size, and datapackage-digest.json made to match (its signature dropped): a
    package consistent in every way but what the entry is."""
    with zipfile.ZipFile(source) as old:
        package = json.loads(old.read("datapackage.json"))
        for resource in package["resources"]:
            if resource["path"] == name:
                resource.update(hash=f"sha256:{hashlib.sha256(data).hexdigest()}",
                                bytes=len(data))
        package_bytes = json.dumps(package).encode()
        digest = {"path": "datapackage.json",
                  "hash": f"sha256:{hashlib.sha256(package_bytes).hexdigest()}"}
        changed = {name: data, "datapackage.json": package_bytes,
                   "datapackage-digest.json": json.dumps(digest).encode()}
        with zipfile.ZipFile(target, "w") as new:
            for info in old.infolist():
                new.writestr(info, changed[info.filename] if info.filename in changed
                             else old.read(info))
    return target


@pytest.mark.parametrize("base", [RWP, BTRIX])
def test_the_real_packages_are_intact(base: Path) -> None:
    assert check_warc(base).verdict == "intact"


@pytest.mark.parametrize("base", [RWP, BTRIX])
def test_a_duplicate_entry_name(base: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(base) as package:
        data = package.read("archive/data.warc.gz")
    # the same bytes again: every hash still matches, whichever copy a tool reads
    path = appended(base, tmp_path / "dup.wacz", [("archive/data.warc.gz", data)])
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-entry-duplicate": 1})
    [finding] = [f for f in report.findings if f.code == "wacz-entry-duplicate"]
    assert finding.path == str(path)
    assert finding.message.startswith("'archive/data.warc.gz' is 2 entries of the zip")


def test_a_duplicate_whose_copies_differ(tmp_path: Path) -> None:
    """The listed copy first, another after it: zipfile reads the second, so its hash fails;
    unzip would extract the first. Both are said."""
    path = appended(RWP, tmp_path / "dup.wacz", [("pages/pages.jsonl", b"{}\n")])
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-entry-duplicate": 1, "wacz-hash-mismatch": 1})


@pytest.mark.parametrize("name", ["../evil.warc", "/etc/evil", "archive/../../evil.warc",
                                  "C:evil.warc", "archive\\..\\..\\evil.warc"])
def test_an_entry_outside_the_package(name: str, tmp_path: Path) -> None:
    path = appended(RWP, tmp_path / "outside.wacz", [(name, b"WARC/1.1\r\n")])
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-entry-unsafe": 1, "wacz-file-unlisted": 1})
    [finding] = [f for f in report.findings if f.code == "wacz-entry-unsafe"]
    assert finding.path == str(path) and finding.message.startswith(repr(name))


@pytest.mark.parametrize(("data", "what"), [
    (b"<html><body>not a WARC</body></html>", "its bytes start as no WARC does"),
    (b"", "it is empty"),
    (RWP.read_bytes(), "it is a zip file"),
    (b"filedesc://x.arc 0.0.0.0 20200101000000 text/plain 75\n1 0 x\nURL IP-address "
     b"Archive-date Content-type Archive-length\n\n", "it is an ARC file"),
])
def test_an_archive_entry_that_is_not_a_warc(data: bytes, what: str, tmp_path: Path) -> None:
    path = with_archive(RWP, tmp_path / "notwarc.wacz", "archive/data.warc.gz", data)
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-archive-not-warc": 1})
    [finding] = [f for f in report.findings if f.code == "wacz-archive-not-warc"]
    assert finding.path == str(path)
    assert finding.message == f"archive/data.warc.gz is under archive/ but is not a WARC: {what}"


def test_the_consistent_rewrite_alone_is_intact(tmp_path: Path) -> None:
    """with_archive changes nothing else: the same WARC written back passes."""
    with zipfile.ZipFile(RWP) as package:
        data = package.read("archive/data.warc.gz")
    path = with_archive(RWP, tmp_path / "same.wacz", "archive/data.warc.gz", data)
    assert check_warc(path).verdict == "intact"


@pytest.mark.parametrize("name", ["extra/notes.txt", "archive/more.warc", "indexes/"])
def test_an_entry_not_in_datapackage(name: str, tmp_path: Path) -> None:
    path = appended(BTRIX, tmp_path / "extra.wacz", [(name, b"WARC/1.1\r\n")])
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-file-unlisted": 1})
    [finding] = [f for f in report.findings if f.code == "wacz-file-unlisted"]
    assert finding.path == str(path) and finding.message.startswith(f"{name} is in the zip")


def test_unzip_would_write_outside_and_import_refuses(tmp_path: Path, capsys) -> None:
    """What the check guards against, with Info-ZIP's unzip (made to keep the ``..``)."""
    path = appended(RWP, tmp_path / "outside.wacz", [("../escaped.txt", b"out")])
    (tmp_path / "unpack").mkdir()
    subprocess.run(["unzip", "-o", "-:", "-q", str(path), "-d", str(tmp_path / "unpack")],
                   capture_output=True, check=False)
    assert (tmp_path / "escaped.txt").read_bytes() == b"out"
    assert main(["init", "--root", str(tmp_path / "col")]) == 0
    code = main(["import", str(path), "--root", str(tmp_path / "col"), "--url",
                 "https://webrecorder.net/"])
    err = capsys.readouterr().err
    assert code == 1 and "wacz-entry-unsafe" in err and "nothing imported" in err
