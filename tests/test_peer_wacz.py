"""WACZ packages nobody here wrote: the peers' own (``../shared/peer-wacz``) and packages py-wacz
makes in the test from the peers' WARCs, checked as their makers meant them."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.findings import Severity
from archiver.warc.check import WarcReport, check_warc
from archiver.warc.wacz import wacz_signature

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PEER_WACZ = SHARED / "peer-wacz"
PEER_WARCS = SHARED / "peer-warcs"
WACZ_CLI = Path(sys.executable).with_name("wacz")  # py-wacz, from the test extra


def errors(report: WarcReport) -> Counter[str]:
    return Counter(f.code for f in report.findings if f.severity is Severity.ERROR)


@pytest.mark.parametrize(("name", "verdict", "codes"), [
    ("btrix-example.wacz", "intact", Counter()),
    ("rwp-example.wacz", "intact", Counter()),
    ("pywacz-valid_signed_example_1.wacz", "intact", Counter()),
    # WACZ 1.0.0: hashes under "stats", no datapackage-digest.json (WACZ 1.1.1 added it)
    ("pywacz-valid_example_1.wacz", "non-conformant", Counter({"wacz-nonconformant": 1})),
    # py-wacz's own validator rejects it: a sha224 "hash" of 24 digits, for a file not there
    ("pywacz-invalid_example_1.wacz", "damaged", Counter({"wacz-invalid": 1})),
])
def test_peer_wacz_verdicts(name: str, verdict: str, codes: Counter[str]) -> None:
    report = check_warc(PEER_WACZ / name)
    assert report.verdict == verdict
    assert errors(report) == codes
    assert all(f.path == str(PEER_WACZ / name) for f in report.findings
               if f.severity is Severity.ERROR)


def test_wacz_1_0_files_are_still_checked_against_their_listing(tmp_path: Path) -> None:
    """The 1.0 package's "stats" hashes are read: a changed WARC inside is still damage."""
    source = PEER_WACZ / "pywacz-valid_example_1.wacz"
    target = tmp_path / "changed.wacz"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename.startswith("archive/"):  # a gzipped WARC: one byte flipped
                data = data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + \
                    data[len(data) // 2 + 1:]
            new.writestr(info, data)
    report = check_warc(target)
    assert report.verdict == "damaged"
    assert errors(report)["wacz-hash-mismatch"] == 1


def test_a_chain_through_a_cross_signed_root_is_trusted() -> None:
    """Browsertrix's signing chain: leaf -> R3 -> ISRG Root X1 cross-signed by DST Root CA X3
    (not in certifi); R3 is signed by the self-signed ISRG Root X1 that certifi holds. The
    timestamp is freeTSA's, whose root is in no trust store: that alone stays untrusted."""
    check = wacz_signature(PEER_WACZ / "pywacz-valid_signed_example_1.wacz")
    assert (check.mode, check.signer) == ("domain", "btrix-sign-test.webrecorder.net")
    assert check.status == "untrusted"
    assert [p.split(" ")[0] for p in check.problems] == ["timestampCert"]
    assert "www.freetsa.org" in check.problems[0]


def test_check_warc_prints_a_wacz_signature_status(capsys) -> None:
    signed = PEER_WACZ / "pywacz-valid_signed_example_1.wacz"
    anonymous = PEER_WACZ / "rwp-example.wacz"
    old = PEER_WACZ / "pywacz-valid_example_1.wacz"
    assert main(["check-warc", str(signed), str(anonymous), str(old)]) == 1
    out = capsys.readouterr().out
    assert ("signature: domain signature by btrix-sign-test.webrecorder.net is untrusted: "
            "timestampCert does not end at a trusted root") in " ".join(out.split())
    assert "signature: anonymous signature by ecdsa key sha256:0df677b63ae3" in out
    assert "signature: not signed" in out
    assert main(["check-warc", "--format", "json", str(anonymous), str(old)]) == 1
    reports = json.loads(capsys.readouterr().out)
    assert reports[0]["signature"].endswith("verifies")
    assert reports[1]["signature"] == "not signed"


def py_wacz(warc: Path, out: Path, *extra: str) -> Path:
    subprocess.run([str(WACZ_CLI), "create", *extra, "-o", str(out), str(warc)], check=True,
                   capture_output=True, cwd=out.parent, timeout=120)
    return out


def test_py_wacz_md5_package_is_intact(tmp_path: Path) -> None:
    """``wacz create --hash-type md5`` lists md5 hashes: checked as md5, not called damaged."""
    wacz = py_wacz(PEER_WARCS / "warcio" / "example.warc.gz", tmp_path / "md5.wacz",
                   "--hash-type", "md5")
    with zipfile.ZipFile(wacz) as z:
        assert json.loads(z.read("datapackage.json"))["resources"][0]["hash"].startswith("md5:")
    assert check_warc(wacz).verdict == "intact"


def test_py_wacz_package_without_pages_is_nonconformant_not_damaged(tmp_path: Path) -> None:
    """py-wacz 0.6 finds no page in warcio's chunked example and packs no pages file; its own
    validator calls the package valid. Nothing archived is missing: non-conformant."""
    wacz = py_wacz(PEER_WARCS / "warcio" / "example-iana.org-chunked.warc", tmp_path / "np.wacz")
    with zipfile.ZipFile(wacz) as z:
        assert not [n for n in z.namelist() if n.startswith("pages/")]
    subprocess.run([str(WACZ_CLI), "validate", "-f", str(wacz)], check=True,
                   capture_output=True, timeout=120)
    report = check_warc(wacz)
    assert report.verdict == "non-conformant"
    [finding] = [f for f in report.findings if f.severity is Severity.ERROR]
    assert (finding.code, finding.path) == ("wacz-nonconformant", str(wacz))
    assert "lists no pages file under pages/" in finding.message


def multi_wacz(members: dict[str, Path], out: Path) -> Path:
    """A multi-WACZ package of ``members`` (each a py-wacz package), as the WACZ spec's
    multi-wacz-package profile lays it: the packages stored, listed with their hashes."""
    resources = [{"name": name, "path": name, "hash": "sha256:" + hashlib.sha256(
        path.read_bytes()).hexdigest(), "bytes": path.stat().st_size}
        for name, path in members.items()]
    package = json.dumps({"profile": "multi-wacz-package", "wacz_version": "1.2.0",
                          "resources": resources}).encode()
    digest = json.dumps({"path": "datapackage.json",
                         "hash": "sha256:" + hashlib.sha256(package).hexdigest()}).encode()
    with zipfile.ZipFile(out, "w") as z:
        for name, path in members.items():
            z.write(path, name)
        z.writestr("datapackage.json", package)
        z.writestr("datapackage-digest.json", digest)
    return out


def test_a_multi_wacz_is_checked_package_by_package(tmp_path: Path) -> None:
    one = py_wacz(PEER_WARCS / "warcio" / "example.warc.gz", tmp_path / "one.wacz")
    two = py_wacz(PEER_WARCS / "warcio" / "example.warc", tmp_path / "two.wacz")
    multi = multi_wacz({"one.wacz": one, "two.wacz": two}, tmp_path / "multi.wacz")
    report = check_warc(multi)
    assert report.verdict == "intact", report.findings
    assert len(report.records) == 12  # the records of both packages' WARCs
    assert report.signature == "not signed"  # the multi-WACZ's own, not its members'
    # its own datapackage.json is checked against its digest file
    edited = tmp_path / "multi-edited.wacz"
    with zipfile.ZipFile(multi) as old, zipfile.ZipFile(edited, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(info, data + b" " if info.filename == "datapackage.json" else data)
    assert [(f.code, f.path) for f in check_warc(edited).findings
            if f.severity is Severity.ERROR] == [("wacz-hash-mismatch", str(edited))]
    # a member package with a changed WARC inside it: named under the multi-WACZ's path
    broken = tmp_path / "broken.wacz"
    with zipfile.ZipFile(two) as old, zipfile.ZipFile(broken, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename.startswith("archive/"):
                data = data.replace(b"Example Domain", b"Exemple Domain")
            new.writestr(info, data)
    report = check_warc(multi_wacz({"one.wacz": one, "two.wacz": broken},
                                   tmp_path / "multi-broken.wacz"))
    assert report.verdict == "damaged"
    assert [(f.code, f.path) for f in report.findings if f.severity is Severity.ERROR] == [
        ("wacz-hash-mismatch", str(tmp_path / "multi-broken.wacz" / "two.wacz"))]
