"""Tests for archiver.warc.wacz: a WACZ made by py-wacz from a WARC archiver wrote, then damaged."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.capture.fetch import Fetcher, FetchOptions
from archiver.errors import ArchiverError
from archiver.findings import RULES, Severity
from archiver.warc.check import WarcReport, check_warc
from archiver.warc.records import build_capture

WACZ_CLI = Path(sys.executable).with_name("wacz")  # py-wacz, from the test extra
PAGE = "<html><head><title>WACZ</title></head><body><p>" + "packaged words " * 300 + "</p>"


@pytest.fixture(scope="module")
def wacz(http_site, tmp_path_factory) -> Path:
    """A WACZ that py-wacz made from a capture WARC archiver wrote (chunked, gzipped page)."""
    url = http_site.add("/wacz/page", PAGE, chunked=True, gzip=True)
    with Fetcher(FetchOptions(allow_private=True, timeout=5)) as fetcher:
        fetch = fetcher.fetch(url)
    folder = tmp_path_factory.mktemp("wacz")
    warc = folder / "capture.warc.gz"
    warc.write_bytes(build_capture(fetch, warc.name, {}).data)
    out = folder / "capture.wacz"
    subprocess.run([str(WACZ_CLI), "create", "--url", url, "-o", str(out), str(warc)], check=True,
                   capture_output=True, cwd=folder, timeout=120)
    return out


def rezip(source: Path, target: Path, edit: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy the WACZ entry by entry, each through ``edit`` (None drops the entry)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = edit(info.filename, old.read(info))
            if data is not None:
                new.writestr(info, data)
    return target


def errors(report: WarcReport) -> Counter[str]:
    return Counter(f.code for f in report.findings if f.severity is Severity.ERROR)


def edit_package(change: Callable[[dict], None], *, fix_digest: bool):
    """An ``edit`` for rezip that changes datapackage.json, and its digest file if asked."""
    state: dict[str, bytes] = {}

    def edit(name: str, data: bytes) -> bytes:
        if name == "datapackage.json":
            package = json.loads(data)
            change(package)
            data = state["package"] = json.dumps(package).encode()
        elif name == "datapackage-digest.json" and fix_digest:
            digest = json.loads(data)
            digest["hash"] = "sha256:" + hashlib.sha256(state["package"]).hexdigest()
            data = json.dumps(digest).encode()
        return data
    return edit


def test_py_wacz_package_of_an_archiver_warc_is_intact(wacz: Path) -> None:
    report = check_warc(wacz, sha256=True)
    assert report.verdict == "intact" and not report.findings
    assert [r.record_type for r in report.records] == ["warcinfo", "request", "response"]
    assert all(r.block_check == r.payload_check == "verified" for r in report.records[1:])


def test_flipped_byte_in_the_zip(wacz: Path, tmp_path: Path) -> None:
    data = bytearray(wacz.read_bytes())
    with zipfile.ZipFile(wacz) as z:
        info = z.getinfo("pages/pages.jsonl")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x01
    path = tmp_path / "flipped.wacz"
    path.write_bytes(data)
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-invalid": 1})
    assert "the zip entry pages/pages.jsonl is damaged" in report.findings[0].message


def test_changed_file_is_a_hash_mismatch(wacz: Path, tmp_path: Path) -> None:
    path = rezip(wacz, tmp_path / "changed.wacz", lambda name, data: data + b"{}\n"
                 if name == "pages/pages.jsonl" else data)
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-hash-mismatch": 1})
    assert report.findings[0].message.startswith("pages/pages.jsonl: datapackage.json records")


def test_damaged_warc_inside_is_reported_under_its_path(wacz: Path, tmp_path: Path) -> None:
    def flip(name: str, data: bytes) -> bytes:
        if not name.startswith("archive/"):
            return data
        plain = bytearray(gzip.decompress(data))
        plain[-20] ^= 0x20  # in the last record's body (the response, gzip-encoded)
        return gzip.compress(bytes(plain))
    path = rezip(wacz, tmp_path / "damaged.wacz", flip)
    report = check_warc(path)
    # one member now (non-conformant), a payload that fails its digests, and the sha256
    assert errors(report) == Counter({"wacz-hash-mismatch": 1, "warc-digest-mismatch": 2,
                                      "warc-nonconformant": 1})
    inner = [f for f in report.findings if f.code == "warc-digest-mismatch"]
    assert all(f.path == str(path / "archive/capture.warc.gz") for f in inner)


def test_listed_file_removed(wacz: Path, tmp_path: Path) -> None:
    path = rezip(wacz, tmp_path / "removed.wacz",
                 lambda name, data: None if name == "indexes/index.cdx.gz" else data)
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-file-missing": 1})
    assert "indexes/index.cdx.gz is listed" in report.findings[0].message


def test_an_entry_injected_into_the_zip_is_unlisted(wacz: Path, tmp_path: Path) -> None:
    # a second WARC slipped into py-wacz's package: every listed file still verifies, but
    # no hash in datapackage.json covers the new one
    path = tmp_path / "injected.wacz"
    path.write_bytes(wacz.read_bytes())
    with zipfile.ZipFile(path, "a") as package:
        package.writestr("archive/injected.warc", b"WARC/1.1\r\n")
        package.writestr("archive/", b"")  # a folder entry is no file
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-file-unlisted": 1})
    [finding] = report.findings
    assert finding.message == ("archive/injected.warc is in the zip but not listed in "
                               "datapackage.json, so no hash vouches for it")
    assert report.verdict == "damaged"


def test_edited_datapackage_fails_its_digest(wacz: Path, tmp_path: Path) -> None:
    path = rezip(wacz, tmp_path / "edited.wacz", edit_package(
        lambda p: p.update(title="Edited"), fix_digest=False))
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-hash-mismatch": 1})
    assert "datapackage.json does not match datapackage-digest.json" in (
        report.findings[0].message)


def test_edited_resource_hash_is_a_mismatch(wacz: Path, tmp_path: Path) -> None:
    def change(package: dict) -> None:
        package["resources"][-1]["bytes"] += 1
    path = rezip(wacz, tmp_path / "size.wacz", edit_package(change, fix_digest=True))
    assert errors(check_warc(path)) == Counter({"wacz-hash-mismatch": 1})


@pytest.mark.parametrize(("drop", "message", "code", "verdict"), [
    # nothing archived is lost without a pages file (py-wacz 0.6 packs none by default)
    ("pages/", "lists no pages file under pages/", "wacz-nonconformant", "non-conformant"),
    ("indexes/", "lists no index under indexes/", "wacz-invalid", "damaged"),
    ("archive/", "lists no WARC under archive/", "wacz-invalid", "damaged"),
])
def test_package_without_pages_index_or_warc(wacz: Path, tmp_path: Path, drop: str,
                                            message: str, code: str, verdict: str) -> None:
    def change(package: dict) -> None:
        package["resources"] = [r for r in package["resources"]
                                if not r["path"].startswith(drop)]
    unlisted = edit_package(change, fix_digest=True)
    # the files go from the zip too: a file left in it unlisted is wacz-file-unlisted
    path = rezip(wacz, tmp_path / "dropped.wacz",
                 lambda name, data: None if name.startswith(drop) else unlisted(name, data))
    report = check_warc(path)
    assert errors(report) == Counter({code: 1})
    assert report.verdict == verdict
    assert report.findings[0].path == str(path)
    assert message in report.findings[0].message


@pytest.mark.parametrize(("edit", "message"), [
    (lambda name, data: None if name == "datapackage.json" else data,
     "no datapackage.json in the zip"),
    (lambda name, data: None if name == "datapackage-digest.json" else data,
     "no datapackage-digest.json in the zip"),
    (lambda name, data: b"{not json" if name == "datapackage.json" else data,
     "datapackage.json is not JSON"),
    (lambda name, data: b"{}" if name == "datapackage-digest.json" else data,
     "datapackage-digest.json has no hash of datapackage.json"),
    (lambda name, data: b'{"resources": [{"path": "x"}]}' if name == "datapackage.json"
     else data, "a resource without path, sha256 (or md5) hash and bytes"),
], ids=["no-package", "no-digest", "package-not-json", "digest-without-hash",
        "resource-without-hash"])
def test_unusable_package_metadata(wacz: Path, tmp_path: Path, edit, message: str) -> None:
    report = check_warc(rezip(wacz, tmp_path / "meta.wacz", edit))
    assert errors(report)["wacz-invalid"] == 1
    assert any(message in f.message for f in report.findings if f.code == "wacz-invalid")


def test_cut_short_zip_is_invalid(wacz: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.wacz"
    path.write_bytes(wacz.read_bytes()[:-200])  # the central directory is gone
    report = check_warc(path)
    assert errors(report) == Counter({"wacz-invalid": 1})
    assert "not a readable zip file" in report.findings[0].message


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1,
                      max_size=3), cut=st.none() | st.floats(0, 1))
def test_mutated_wacz_gives_findings_not_a_crash(wacz: Path, tmp_path: Path, flips, cut) -> None:
    """zipfile raises half a dozen exception types on damage; all must become findings."""
    data = bytearray(wacz.read_bytes())
    for where, mask in flips:
        data[min(len(data) - 1, int(where * len(data)))] ^= mask
    if cut is not None:
        del data[int(cut * len(data)):]
    path = tmp_path / "fuzzed.wacz"
    path.write_bytes(data)
    try:
        report = check_warc(path, sha256=True)
    except ArchiverError as exc:  # e.g. the zip signature itself was hit: not a WACZ
        assert exc.path == str(path)
    else:
        assert all(f.code in RULES for f in report.findings)
