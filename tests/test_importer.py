"""Tests for archiver.exchange.importer (``archiver import``): captures made by wget, warcio and
py-wacz in the test, and peers' damaged and non-conformant WARCs, each imported and verified."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from exchange_files import WGET, py_wacz, sign_anonymous, warcio_warc, wget_warc
from servers import REAL_PAGES

from archiver.cli import main
from archiver.collection import Collection
from archiver.manifest import load_manifest
from archiver.warc.waczsig import key_fingerprint

PEERS = Path(__file__).resolve().parents[2] / "shared" / "peer-warcs"
PAGE = "gregoryszorc.com-750955e5.html"  # served by stdlib_site
URL = "https://example.org/news/story"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    assert main(["init", "--root", str(tmp_path / "c")]) == 0
    return tmp_path / "c"


def manifest(root: Path, source_id: str):
    return load_manifest(Collection(root).manifest_path(source_id))


def only_source(root: Path) -> str:
    [source_id] = Collection(root).ids()
    return source_id


def corpus(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "corpus").rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def wget_file(stdlib_site, tmp_path_factory) -> Path:
    if not WGET.is_file():
        if os.environ.get("CI"):
            pytest.fail("wget is not installed (apt-get install wget); CI must run this test")
        pytest.skip("wget is not installed")
    return wget_warc(f"{stdlib_site.base}/{PAGE}", tmp_path_factory.mktemp("wget"))


def test_a_wget_capture_imports_and_verifies_like_a_native_one(root, wget_file, stdlib_site,
                                                                capsys) -> None:
    url = f"{stdlib_site.base}/{PAGE}"
    assert main(["import", str(wget_file), "--url", url, "--root", str(root)]) == 0
    source_id = only_source(root)
    m = manifest(root, source_id)
    [capture] = m.captures
    assert (capture.tool.name, capture.tool.version.split(".")[0]) == ("Wget", "1")
    assert capture.imported is not None and capture.imported.original_name == "wget.warc.gz"
    assert capture.imported.made_by.startswith("Wget/")
    assert capture.request_record_id is not None and capture.final_url == url
    stored = root / capture.warc_path
    assert stored.read_bytes() == wget_file.read_bytes()  # byte for byte
    assert capture.imported.original_sha256 == capture.warc_sha256
    assert m.text is not None and (root / m.text.path).read_text("utf-8").strip()
    assert "made by Wget" in capsys.readouterr().out
    assert main(["verify", "--root", str(root), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"][0]["fidelity_score"] > 0.9


def warcio_file(folder: Path) -> tuple[Path, bytes, bytes]:
    """A warcio WARC with two responses for URL: an older page and the latest."""
    older = (REAL_PAGES / "theguardian.com-5fa3154e.html").read_bytes()
    latest = (REAL_PAGES / PAGE).read_bytes()
    warc = warcio_warc(folder / "warcio.warc.gz", URL, older, date="2024-01-01T00:00:00Z",
                       extra=((URL, latest, "2024-06-01T00:00:00Z"),
                              ("https://example.org/other", b"<p>x</p>",
                               "2024-07-01T00:00:00Z")))
    return warc, older, latest


def test_a_warcio_warc_imports_its_latest_response(root, tmp_path, capsys) -> None:
    warc, _, latest = warcio_file(tmp_path)
    assert main(["import", str(warc), "--url", URL, "--root", str(root)]) == 0
    [capture] = manifest(root, only_source(root)).captures
    assert capture.captured_at.year == 2024 and capture.captured_at.month == 6
    from archiver.warc.records import read_response

    assert read_response(root / capture.warc_path, capture.response_record_id).body == latest
    assert capture.request_record_id is None  # warcio wrote no request records
    assert capture.tool.name == "warcio test writer" and capture.tool.version == "unknown"
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def test_record_id_chooses_another_response(root, tmp_path, capsys) -> None:
    warc, _, _ = warcio_file(tmp_path)
    from archiver.warc.locate import read_contents

    older = next(r for r in read_contents(warc, wacz=False).responses
                 if r.date.startswith("2024-01"))
    assert main(["import", str(warc), "--url", URL, "--record-id", older.record_id,
                 "--root", str(root)]) == 0
    [capture] = manifest(root, only_source(root)).captures
    assert capture.response_record_id == older.record_id
    assert capture.imported.record_chosen == "given"
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0
    # a record of another URL, or none at all, is refused in plain words
    other = next(r for r in read_contents(warc, wacz=False).responses
                 if r.target_uri.endswith("/other"))
    assert main(["import", str(warc), "--url", URL, "--record-id", other.record_id,
                 "--id", "second", "--root", str(root)]) == 2
    assert "is the response for https://example.org/other" in capsys.readouterr().err


def test_a_url_the_file_does_not_hold_is_refused(root, tmp_path, capsys) -> None:
    warc, _, _ = warcio_file(tmp_path)
    assert main(["import", str(warc), "--url", "https://example.org/absent",
                 "--root", str(root)]) == 2
    assert "no response for https://example.org/absent" in capsys.readouterr().err
    assert corpus(root) == [] and Collection(root).ids() == []


def test_an_existing_source_keeps_its_text(root, tmp_path, capsys) -> None:
    warc, _, _ = warcio_file(tmp_path)
    text = tmp_path / "story.txt"
    text.write_text("A text received from a colleague.\n", "utf-8")
    assert main(["add", str(text), "--url", URL, "--id", "story", "--root", str(root)]) == 0
    assert main(["import", str(warc), "--url", URL, "--id", "story", "--root", str(root)]) == 0
    m = manifest(root, "story")
    assert m.capture_pending is None and len(m.captures) == 1
    assert m.text is not None and m.text.origin.kind == "received"
    assert (root / m.text.path).read_text("utf-8") == "A text received from a colleague.\n"
    # a capture of another page is no capture of this source
    assert main(["import", str(warc), "--url", "https://example.org/other", "--id", "story",
                 "--root", str(root)]) == 2
    assert f"story is the page at {URL}, not https://example.org/other" in \
        capsys.readouterr().err
    # without --id the URL's own id is used, and a second import into it needs --id
    assert main(["import", str(warc), "--url", URL, "--root", str(root)]) == 0
    assert main(["import", str(warc), "--url", URL, "--root", str(root)]) == 2
    assert "import into it with --id" in capsys.readouterr().err


def test_a_py_wacz_package_imports_unsigned(root, tmp_path, capsys) -> None:
    warc, _, _ = warcio_file(tmp_path)
    wacz = py_wacz(warc, URL, tmp_path / "story.wacz")
    assert main(["import", str(wacz), "--url", URL, "--root", str(root)]) == 0
    [capture] = manifest(root, only_source(root)).captures
    assert capture.warc_path.endswith(".wacz") and capture.warc_member == "archive/warcio.warc.gz"
    assert capture.tool.name == "py-wacz" and capture.tool.version[0].isdigit()
    assert capture.imported.warc_software == "warcio test writer"
    assert capture.imported.signature.status == "unsigned"
    assert "signature: unsigned" in capsys.readouterr().err
    assert main(["verify", "--root", str(root), "--no-cache"]) == 0
    assert main(["verify", "--root", str(root)]) == 0  # the cached WARC report, then fidelity


def test_a_signed_wacz_records_its_signer(root, tmp_path, capsys) -> None:
    warc, _, _ = warcio_file(tmp_path)
    key = ec.generate_private_key(ec.SECP384R1())
    wacz = sign_anonymous(py_wacz(warc, URL, tmp_path / "story.wacz"), tmp_path / "signed.wacz",
                          key)
    assert main(["import", str(wacz), "--url", URL, "--root", str(root)]) == 0
    [capture] = manifest(root, only_source(root)).captures
    signature = capture.imported.signature
    assert (signature.status, signature.mode) == ("verified", "anonymous")
    assert signature.signer == key_fingerprint(key.public_key())
    assert "signature: verified (anonymous by ecdsa key sha256:" in capsys.readouterr().err
    assert main(["verify", "--root", str(root)]) == 0


def test_a_damaged_warc_is_refused_with_its_findings(root, tmp_path, capsys) -> None:
    source = PEERS / "warcio" / "example-trunc.warc"
    assert main(["import", str(source), "--url", "http://example.com/",
                 "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "error warc-truncated" in err and "damaged" in err and "nothing imported" in err
    assert corpus(root) == [] and Collection(root).ids() == []


def test_a_nonconformant_warc_needs_acceptance_recorded(root, tmp_path, capsys) -> None:
    source = tmp_path / "clueweb.warc.gz"
    shutil.copyfile(PEERS / "resiliparse" / "clueweb-quirk.warc.gz", source)
    url = "http://www.uraharajuku.st/shopdetail/001005000005/019/000/order/"
    assert main(["import", str(source), "--url", url, "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "error warc-nonconformant" in err and "--accept-nonconformant" in err
    assert corpus(root) == []
    assert main(["import", str(source), "--url", url, "--accept-nonconformant", "--by", "ana",
                 "--root", str(root)]) == 0
    [capture] = manifest(root, only_source(root)).captures
    accepted = capture.imported.nonconformant
    assert accepted is not None and accepted.accepted_by == "ana"
    assert all("WARC-Date" in message for message in accepted.findings)
    assert (capture.tool.name, capture.tool.version) == ("Nutch", "1.0-dev")
    # Nutch stored the body decoded and kept its Content-Encoding: gzip: seen, and noted
    assert capture.imported.notes == [
        "Content-Encoding: gzip, but the body is stored decoded: read as it is"]
    assert "text-not-extracted" not in capsys.readouterr().err
    text = manifest(root, only_source(root)).text
    assert text is not None and "\ufffd" not in (root / text.path).read_text("utf-8")
    assert main(["verify", "--root", str(root), "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)["documents"][0]["findings"]
    nonconformant = [f for f in findings if f["code"] == "warc-nonconformant"]
    assert nonconformant and all(f.get("accepted") for f in nonconformant)


def test_other_files_are_refused(root, tmp_path, capsys) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a WARC\n")
    assert main(["import", str(text), "--url", URL, "--root", str(root)]) == 2
    assert "not a WARC or WACZ file" in capsys.readouterr().err
    arc = Path(__file__).parent / "data" / "arc" / "example.arc"
    assert main(["import", str(arc), "--url", URL, "--root", str(root)]) == 2
    assert "an ARC file" in capsys.readouterr().err
