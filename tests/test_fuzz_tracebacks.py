"""Hostile input never produces a traceback: each input that once did, now a finding or a
one-line error. WACZ cases start from real packages (../shared/peer-wacz) made by py-wacz and
ArchiveWeb.page; seal cases from a collection sealed with a token of the test TSA."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tsaserver import Tsa

from archiver.collection import Collection
from archiver.custody.seal import seal_dirs
from archiver.warc.check import check_warc
from tests import test_custody
from tests.test_custody import run

PEER_WACZ = Path(__file__).parents[1].parent / "shared" / "peer-wacz"
WACZ_CLI = Path(sys.executable).with_name("wacz")  # py-wacz's validator, from the test extra
# each real package with the URL of a page it holds a response for
IMPORTABLE = {"pywacz-valid_signed_example_1.wacz": "https://example.com/",
              "rwp-example.wacz": "https://webrecorder.net/"}


# the fixture of test_custody: each test's own config folder
config_home = test_custody.config_home


def codes(report: dict) -> dict[str, list[str | None]]:
    """code -> paths, over every finding of a verify --format json report."""
    found: dict[str, list[str | None]] = {}
    every = [f for d in report["documents"] for f in d["findings"]]
    for f in every + report["collection"]["findings"]:
        found.setdefault(f["code"], []).append(f["path"])
    return found


def with_undecodable_name(source: Path, target: Path) -> Path:
    """A copy of a real WACZ with one more entry whose name is flagged as UTF-8 (bit 11) but
    is not: the bytes 0xff 0xfe stand where an é was written."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info))
        new.writestr(zipfile.ZipInfo("extra/\u00e9.txt"), b"hello")
    data = target.read_bytes()
    assert data.count("extra/\u00e9.txt".encode()) == 2  # local header, central directory
    target.write_bytes(data.replace("extra/\u00e9.txt".encode(), b"extra/\xff\xfe.txt"))
    return target


def imported(capsys: pytest.CaptureFixture[str], root: Path, *names: str) -> Path:
    assert run(capsys, "init", "--root", str(root))[0] == 0
    for name in names:
        code, _, err = run(capsys, "import", str(PEER_WACZ / name), "--root", str(root),
                           "--url", IMPORTABLE[name])
        assert code == 0, err
    return root


# --- a WACZ entry name that is not UTF-8


def test_check_warc_of_a_wacz_with_an_undecodable_name(tmp_path: Path, capsys) -> None:
    wacz = with_undecodable_name(PEER_WACZ / "pywacz-valid_example_1.wacz", tmp_path / "x.wacz")
    report = check_warc(wacz)
    assert [(f.code, f.path) for f in report.findings] == [("wacz-invalid", str(wacz))]
    assert "can't decode byte 0xff" in report.findings[0].message
    code, out, err = run(capsys, "check-warc", str(wacz))
    assert code == 1 and "wacz-invalid" in out + err and "Traceback" not in err


def test_import_of_a_wacz_with_an_undecodable_name(tmp_path: Path, capsys) -> None:
    wacz = with_undecodable_name(PEER_WACZ / "pywacz-valid_example_1.wacz", tmp_path / "x.wacz")
    assert run(capsys, "init", "--root", str(tmp_path / "col"))[0] == 0
    code, _, err = run(capsys, "import", str(wacz), "--root", str(tmp_path / "col"),
                       "--url", "http://www.example.com/")
    assert code == 1 and "damaged" in err and "wacz-invalid" in err
    assert not list((tmp_path / "col" / "corpus").rglob("*.wacz"))


def test_verify_and_report_of_a_collection_holding_one(tmp_path: Path, capsys) -> None:
    root = imported(capsys, tmp_path / "col", "pywacz-valid_signed_example_1.wacz")
    [stored] = (root / "corpus").rglob("*.wacz")
    stored.chmod(0o644)
    with_undecodable_name(PEER_WACZ / "pywacz-valid_signed_example_1.wacz", stored)
    code, out, _ = run(capsys, "verify", "--root", str(root), "--format", "json", "--jobs", "1")
    rel = stored.relative_to(root).as_posix()
    found = codes(json.loads(out))
    assert code == 1 and found["hash-mismatch"] == [rel]
    assert found["wacz-invalid"] == [rel]
    code, _, err = run(capsys, "report", "--root", str(root), "--output",
                       str(tmp_path / "report.html"))
    assert code in (0, 1) and "Traceback" not in err and (tmp_path / "report.html").exists()


# --- export wacz of imported packages


def test_export_wacz_after_importing_real_wacz(tmp_path: Path, capsys) -> None:
    root = imported(capsys, tmp_path / "col", *IMPORTABLE)
    out = tmp_path / "out.wacz"
    code, _, err = run(capsys, "export", "wacz", str(out), "--root", str(root))
    assert code == 0, err
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        index = package.read("indexes/index.cdx").decode()
    # the WARCs inside each package, not the packages: a WACZ holds WARCs under archive/
    warcs = [n for n in names if n.startswith("archive/")]
    assert len(warcs) == 2 and all(n.endswith((".warc", ".warc.gz")) for n in warcs)
    assert {json.loads(line.split(" ", 2)[2])["filename"] for line in index.splitlines()} == {
        n.removeprefix("archive/") for n in warcs}
    assert check_warc(out).verdict == "intact"
    done = subprocess.run([str(WACZ_CLI), "validate", "-f", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_export_refuses_an_imported_wacz_changed_since(tmp_path: Path, capsys) -> None:
    root = imported(capsys, tmp_path / "col", "rwp-example.wacz")
    [stored] = (root / "corpus").rglob("*.wacz")
    stored.chmod(0o644)
    with open(stored, "ab") as fh:
        fh.write(b"\0")
    code, _, err = run(capsys, "export", "wacz", str(tmp_path / "out.wacz"), "--root", str(root))
    assert code == 2 and "differs from its manifest" in err
    assert not list(tmp_path.glob("*.wacz"))


# --- seals


@pytest.fixture
def sealed(tmp_path: Path, tsa: Tsa, capsys: pytest.CaptureFixture[str]) -> Path:
    """A collection of one received text, sealed by alice with a token of the test TSA."""
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    text = tmp_path / "one.txt"
    text.write_text("The one text.\n", "utf-8")
    assert run(capsys, "add", str(text), "--root", str(root),
               "--url", "https://example.org/one")[0] == 0
    assert run(capsys, "key", "new", "alice", "--root", str(root))[0] == 0
    code, _, err = run(capsys, "seal", "--root", str(root), "--tsa-ca", str(tsa.ca),
                       "--tsa", tsa.url("good"))
    assert code == 0, err
    return root


def verify_json(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, dict]:
    code, out, err = run(capsys, "verify", "--root", str(root), "--format", "json",
                         "--jobs", "1")
    assert "Traceback" not in err
    return code, json.loads(out)


def test_a_seal_nested_a_hundred_thousand_deep(sealed: Path, capsys) -> None:
    [folder] = seal_dirs(Collection(sealed))
    (folder / "seal.json").write_text("[" * 100_000)
    code, report = verify_json(capsys, sealed)
    assert code == 1 and codes(report)["seal-invalid"] == [f"seals/{folder.name}/seal.json"]
    assert "nested too deeply" in json.dumps(report)


def test_a_seal_message_with_a_lone_surrogate(sealed: Path, capsys) -> None:
    [folder] = seal_dirs(Collection(sealed))
    statement = folder / "seal.json"
    data = json.loads(statement.read_bytes())
    data["message"] = "MARK"
    statement.write_bytes(json.dumps(data, sort_keys=True, separators=(",", ":"))
                          .replace("MARK", "\\ud800").encode())
    code, report = verify_json(capsys, sealed)
    assert code == 1 and codes(report)["seal-invalid"] == [f"seals/{folder.name}/seal.json"]
    assert "lone surrogate" in json.dumps(report)


def test_a_token_holding_a_certificate_of_an_invalid_version(sealed: Path, capsys) -> None:
    [folder] = seal_dirs(Collection(sealed))
    token = folder / "tsa-1.tsr"
    v3 = bytes.fromhex("a003020102")  # [0] EXPLICIT INTEGER 2: X.509 v3
    assert v3 in token.read_bytes()
    token.write_bytes(token.read_bytes().replace(v3, bytes.fromhex("a003020107"), 1))
    code, report = verify_json(capsys, sealed)
    assert code == 1 and codes(report)["timestamp-invalid"] == [f"seals/{folder.name}/tsa-1.tsr"]


def test_seals_as_a_symlink_out_of_the_collection(sealed: Path, tmp_path: Path,
                                                  capsys) -> None:
    outside = tmp_path / "outside-seals"
    shutil.move(sealed / "seals", outside)
    (sealed / "seals").symlink_to(outside)
    code, out, err = run(capsys, "verify", "--root", str(sealed))
    assert code == 1 and "Traceback" not in err and "path-unsafe" in out
    code, _, err = run(capsys, "seal", "--root", str(sealed), "--no-timestamp")
    assert code == 2 and err.startswith("archiver: ") and len(err.strip().splitlines()) <= 2
    assert "a symlink" in err and "nothing was written" in err


def test_report_compares_the_text_of_an_imported_wacz(tmp_path: Path, capsys) -> None:
    """The side-by-side view reads the response from the WARC inside the package (it read
    the package itself as a WARC: "Unknown archive format, first line: PK...")."""
    root = imported(capsys, tmp_path / "col", "rwp-example.wacz")
    page = tmp_path / "report.html"
    code, _, err = run(capsys, "report", "--root", str(root), "--output", str(page))
    html = page.read_text("utf-8")
    assert code == 0, err
    assert '<table class="sidebyside">' in html and "cannot read WARC" not in html
