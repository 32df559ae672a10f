"""``archiver import`` of files other tools made, read as those tools meant them: redirects
followed within one capture (wget, py-wacz), revisits resolved (ArchiveWeb.page, warcio),
responses without a payload digest, one gzip member for all records (warcio's own test file),
bodies stored decoded under stale coding headers (Nutch, warcio), WACZ 1.0 and multi-WACZ
packages, makers' version strings; and a refused import leaves nothing behind."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from exchange_files import WACZ_CLI, wget_warc
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.cli import main
from archiver.collection import Collection
from archiver.manifest import load_manifest
from archiver.warc.records import read_response

SHARED = Path(__file__).resolve().parents[2] / "shared"
PEERS = SHARED / "peer-warcs"
PEER_WACZ = SHARED / "peer-wacz"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    assert main(["init", "--root", str(tmp_path / "c")]) == 0
    return tmp_path / "c"


def only_manifest(root: Path):
    [source_id] = Collection(root).ids()
    return load_manifest(Collection(root).manifest_path(source_id))


def corpus_entries(root: Path) -> list[str]:
    """Everything under corpus/, folders included (a refused import must leave none)."""
    return sorted(str(p.relative_to(root)) for p in (root / "corpus").rglob("*"))


# --- redirects within one capture

@pytest.fixture(scope="module")
def two_captures(http_site, tmp_path_factory) -> tuple[Path, Path, str, bytes]:
    """Two wget captures: /moved (301 to /target, which then said A), then later /target
    alone (which then said B). Returns both WARCs, the /moved URL and A."""
    folder = tmp_path_factory.mktemp("two-captures")
    first, second = folder / "one", folder / "two"
    first.mkdir()
    second.mkdir()
    a = b"<html><body><p>The target as it was when /moved was captured.</p></body></html>"
    b = b"<html><body><p>The target as a later capture found it.</p></body></html>"
    moved = http_site.redirect("/imp-chain/moved", "/imp-chain/target", status=301)
    http_site.add("/imp-chain/target", a)
    one = wget_warc(moved, first, "one")
    http_site.add("/imp-chain/target", b)
    two = wget_warc(http_site.url("/imp-chain/target"), second, "two")
    return one, two, moved, a


def test_a_redirect_is_followed_within_its_own_capture(two_captures, root, tmp_path,
                                                       capsys) -> None:
    """Two wget captures in one file: /moved's 301 leads to the /target response that came
    after it, not to the latest /target anywhere in the file."""
    one, two, moved, a = two_captures
    joined = tmp_path / "joined.warc.gz"  # gzip members one after another: a valid WARC
    joined.write_bytes(one.read_bytes() + two.read_bytes())
    assert main(["import", str(joined), "--url", moved, "--root", str(root)]) == 0
    [capture] = only_manifest(root).captures
    assert [hop.http_status for hop in capture.redirects] == [301]
    assert read_response(root / capture.warc_path, capture.response_record_id).body == a
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def test_a_redirect_in_a_wacz_of_two_captures_stays_in_its_warc(two_captures, root, tmp_path,
                                                                capsys) -> None:
    """py-wacz packs both captures' WARCs: the 301 and the 200 come from the same WARC."""
    one, two, moved, a = two_captures
    wacz = tmp_path / "two.wacz"
    subprocess.run([str(WACZ_CLI), "create", "--url", moved, "-o", str(wacz), str(one),
                    str(two)], check=True, capture_output=True, cwd=tmp_path, timeout=120)
    assert main(["import", str(wacz), "--url", moved, "--root", str(root)]) == 0
    [capture] = only_manifest(root).captures
    [hop] = capture.redirects
    assert hop.http_status == 301 and capture.warc_member == "archive/one.warc.gz"
    response = read_response(root / capture.warc_path, capture.response_record_id,
                             member=capture.warc_member)
    assert response.body == a
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


# --- revisits

def test_a_page_held_as_a_revisit_imports_its_original(root, capsys) -> None:
    """ArchiveWeb.page stored https://example.org/ as a revisit of https://example.com/'s
    response (WARC-Refers-To-Target-URI and -Date): both records are recorded."""
    wacz = PEER_WACZ / "btrix-example.wacz"
    assert main(["import", str(wacz), "--url", "https://example.org/", "--root",
                 str(root)]) == 0
    m = only_manifest(root)
    [capture] = m.captures
    revisit = capture.imported.revisit
    assert revisit is not None
    assert revisit.record_id == "<urn:uuid:e2ac0ea3-50e0-557c-bba3-be3abd8d360c>"
    assert (revisit.refers_to_uri, revisit.refers_to_date) == (
        "https://example.com/", "2023-05-29T02:53:04.800Z")
    assert capture.response_record_id == "<urn:uuid:3640092a-7b8f-5868-933e-03533c903d72>"
    assert capture.final_url == "https://example.com/"
    assert capture.page_url == "https://example.org/" and capture.http_status == 200
    assert capture.captured_at.isoformat().startswith("2023-05-29T02:53:12")
    assert "illustrative examples" in (root / m.text.path).read_text("utf-8")
    assert "imported https://example.org/ (HTTP 200" in capsys.readouterr().out
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def warcio_records(path: Path, *records) -> Path:
    """A WARC warcio writes, uncompressed: each of ``records`` made by a function of the
    writer."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        for make in records:
            writer.write_record(make(writer))
    return path


def http(status: str, headers: list[tuple[str, str]], body: bytes) -> StatusAndHeaders:
    return StatusAndHeaders(status, [*headers, ("Content-Length", str(len(body)))],
                            protocol="HTTP/1.1")


def test_a_revisit_whose_original_is_absent_is_refused_naming_both(root, tmp_path,
                                                                   capsys) -> None:
    body = b"<p>only its digest is here</p>"
    warc = warcio_records(tmp_path / "revisit.warc", lambda w: w.create_revisit_record(
        "https://example.org/page", "sha1:" + "A" * 32, "https://example.org/page",
        "2024-01-01T00:00:00Z", http_headers=http("200 OK", [], body)))
    assert main(["import", str(warc), "--url", "https://example.org/page", "--root",
                 str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"archiver: {warc}: https://example.org/page is held only as "
                          "revisit record <urn:uuid:")
    assert ("which refers to the response for https://example.org/page of "
            "2024-01-01T00:00:00Z; the file holds no such response") in err
    assert "\n" not in err and corpus_entries(root) == []


# --- what the standard allows, or what can be accepted

def test_a_response_without_payload_digest_is_imported_with_one_computed(root, tmp_path,
                                                                         capsys) -> None:
    """The payload digest is optional in the standard (gowarc, warcat, node-warc omit it):
    archiver computes it over the payload as stored, and says it did."""
    body = b"<html><body><p>A page whose record has no payload digest.</p></body></html>"
    warc = warcio_records(tmp_path / "digestless.warc", lambda w: w.create_warc_record(
        "https://example.org/bare", "response", payload=io.BytesIO(body),
        http_headers=http("200 OK", [("Content-Type", "text/html")], body)))
    data = warc.read_bytes()
    start = data.index(b"WARC-Payload-Digest")
    warc.write_bytes(data[:start] + data[data.index(b"\r\n", start) + 2:])
    assert main(["import", str(warc), "--url", "https://example.org/bare", "--root",
                 str(root)]) == 0
    [capture] = only_manifest(root).captures
    assert capture.imported.payload_digest_computed
    assert capture.payload_digest == "sha256:" + hashlib.sha256(body).hexdigest()
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def test_one_gzip_member_for_all_records_is_importable_when_accepted(root, capsys) -> None:
    """warcio's example-bad.warc.gz.bad: one gzip member for six records (warcio itself
    refuses to read it); non-conformant, so imported when the person accepts it."""
    source = PEERS / "warcio" / "example-bad.warc.gz.bad"
    url = "http://example.com?example=1"
    assert main(["import", str(source), "--url", url, "--root", str(root)]) == 1
    assert "--accept-nonconformant" in capsys.readouterr().err
    assert main(["import", str(source), "--url", url, "--accept-nonconformant", "--root",
                 str(root)]) == 0
    m = only_manifest(root)
    [capture] = m.captures
    assert any("holds 6 records" in f for f in capture.imported.nonconformant.findings)
    assert "illustrative examples" in (root / m.text.path).read_text("utf-8")
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def test_a_body_stored_dechunked_under_a_chunked_header_gets_its_text(root, tmp_path,
                                                                      capsys) -> None:
    """pywb's live writer and wabac.js store the body de-chunked but keep the header."""
    body = b"<html><body><p>Stored de-chunked, announced as chunked.</p></body></html>"
    warc = warcio_records(tmp_path / "stale.warc", lambda w: w.create_warc_record(
        "https://example.org/stale", "response", payload=io.BytesIO(body),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                                 ("Transfer-Encoding", "chunked")],
                                      protocol="HTTP/1.1")))
    assert main(["import", str(warc), "--url", "https://example.org/stale", "--root",
                 str(root)]) == 0
    m = only_manifest(root)
    assert m.captures[0].imported.notes == [
        "Transfer-Encoding: chunked, but the body is stored de-chunked: read as it is"]
    assert "announced as chunked" in (root / m.text.path).read_text("utf-8")
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


# --- refusals leave nothing, and name the file given

def test_a_refused_import_leaves_nothing_and_names_the_input(root, capsys) -> None:
    source = PEERS / "resiliparse" / "clipped.warc.gz"
    url = ("http://www.houstonpress.com/music/a-humble-chance-the-rapper-leads-a-spiritual-"
           "awakening-at-revention-8866723")
    assert main(["import", str(source), "--url", url, "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"archiver: {source}: error warc-truncated" in err
    assert str(root) not in err
    assert corpus_entries(root) == [] and Collection(root).ids() == []


# --- WACZ packages of other versions

def test_a_wacz_1_0_package_imports_when_accepted(root, capsys) -> None:
    source = PEER_WACZ / "pywacz-valid_example_1.wacz"
    assert main(["import", str(source), "--url", "http://www.example.com/", "--root",
                 str(root)]) == 1
    err = capsys.readouterr().err
    assert "non-conformant" in err and "damaged" not in err
    assert corpus_entries(root) == []
    assert main(["import", str(source), "--url", "http://www.example.com/",
                 "--accept-nonconformant", "--root", str(root)]) == 0
    [capture] = only_manifest(root).captures
    assert capture.imported.signature.status == "unsigned"
    assert any("WACZ 1.0.0" in f for f in capture.imported.nonconformant.findings)
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def test_a_multi_wacz_says_it_cannot_be_imported_whole(root, tmp_path, capsys) -> None:
    member = PEER_WACZ / "rwp-example.wacz"
    package = json.dumps({"profile": "multi-wacz-package", "resources": [
        {"name": "rwp.wacz", "path": "rwp.wacz", "bytes": member.stat().st_size,
         "hash": "sha256:" + hashlib.sha256(member.read_bytes()).hexdigest()}]}).encode()
    multi = tmp_path / "multi.wacz"
    with zipfile.ZipFile(multi, "w") as z:
        z.write(member, "rwp.wacz")
        z.writestr("datapackage.json", package)
        z.writestr("datapackage-digest.json", json.dumps(
            {"path": "datapackage.json",
             "hash": "sha256:" + hashlib.sha256(package).hexdigest()}))
    assert main(["import", str(multi), "--url", "https://example.com/", "--root",
                 str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"archiver: {multi}: a multi-WACZ package (of rwp.wacz): import takes one "
                   "WACZ; unzip it and import a member package")
    assert corpus_entries(root) == []


# --- what made the file

@pytest.mark.parametrize(("software", "name", "version"), [
    ("Heritrix/@VERSION@ http://crawler.archive.org", "Heritrix",
     "unknown (its build left @VERSION@ unfilled)"),
    ("WAIL-1.2.0-beta3", "WAIL", "1.2.0-beta3"),
    ("wabac.js@2.20.1", "wabac.js", "2.20.1"),
    ("Webrecorder ArchiveWeb.page 0.8.1, using warcio.js 1.5.1", "Webrecorder ArchiveWeb.page",
     "0.8.1"),
])
def test_the_makers_version_is_read_from_its_own_words(root, tmp_path, software: str,
                                                       name: str, version: str) -> None:
    body = b"<p>made by someone else</p>"
    warc = warcio_records(
        tmp_path / "maker.warc",
        lambda w: w.create_warcinfo_record("maker.warc", {"software": software}),
        lambda w: w.create_warc_record("https://example.org/made", "response",
                                       payload=io.BytesIO(body),
                                       http_headers=http("200 OK", [], body)))
    assert main(["import", str(warc), "--url", "https://example.org/made", "--root",
                 str(root)]) == 0
    [capture] = only_manifest(root).captures
    assert (capture.tool.name, capture.tool.version) == (name, version)
    assert capture.imported.made_by == software


def test_a_py_wacz_package_without_pages_imports_when_accepted(root, tmp_path,
                                                                capsys) -> None:
    """py-wacz 0.6 packs no pages file for warcio's chunked example: non-conformant, never
    damaged, and importable once accepted."""
    source = PEERS / "warcio" / "example-iana.org-chunked.warc"
    wacz = tmp_path / "nopages.wacz"
    subprocess.run([str(WACZ_CLI), "create", "-o", str(wacz), str(source)], check=True,
                   capture_output=True, cwd=tmp_path, timeout=120)
    assert main(["import", str(wacz), "--url", "http://www.iana.org/", "--root",
                 str(root)]) == 1
    err = capsys.readouterr().err
    assert f"archiver: {wacz}: error wacz-nonconformant: datapackage.json lists no pages" in err
    assert "damaged" not in err and corpus_entries(root) == []
    assert main(["import", str(wacz), "--url", "http://www.iana.org/",
                 "--accept-nonconformant", "--root", str(root)]) == 0
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def test_a_redirect_stored_as_a_revisit_is_a_hop(root, tmp_path, capsys) -> None:
    """A crawler that deduplicates stores a repeated 301 as a revisit: it is a hop all the
    same, and verify accepts the revisit record the hop names."""
    body = b"<html><body><p>The page the archived redirect leads to.</p></body></html>"
    redirect = StatusAndHeaders("301 Moved Permanently",
                                [("Location", "https://example.org/new"),
                                 ("Content-Length", "0")], protocol="HTTP/1.1")
    warc = warcio_records(
        tmp_path / "revisit-hop.warc",
        lambda w: w.create_revisit_record(
            "https://example.org/old", "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
            "https://example.org/old", "2023-01-01T00:00:00Z", http_headers=redirect),
        lambda w: w.create_warc_record(
            "https://example.org/new", "response", payload=io.BytesIO(body),
            http_headers=http("200 OK", [("Content-Type", "text/html")], body)))
    assert main(["import", str(warc), "--url", "https://example.org/old", "--root",
                 str(root)]) == 0
    [capture] = only_manifest(root).captures
    assert [(h.url, h.http_status) for h in capture.redirects] == [
        ("https://example.org/old", 301)]
    assert capture.final_url == "https://example.org/new" and capture.imported.revisit is None
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def test_a_redirect_follows_its_page_when_records_name_their_page(root, tmp_path,
                                                                  capsys) -> None:
    """Browsertrix names each record's page (WARC-Page-ID): two pages crawled at once
    interleave their records, and the 301 of one page leads to that page's target, though
    the other page's comes first in the WARC."""
    mine = b"<html><body><p>The target this page's redirect led to.</p></body></html>"
    other = b"<html><body><p>The same URL, fetched for another page.</p></body></html>"
    moved = StatusAndHeaders("301 Moved Permanently",
                             [("Location", "https://example.org/target"),
                              ("Content-Length", "0")], protocol="HTTP/1.1")

    def response(url: str, body: bytes, headers: StatusAndHeaders | None, page: str):
        return lambda w: w.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=headers or http("200 OK", [("Content-Type", "text/html")], body),
            warc_headers_dict={"WARC-Page-ID": page})

    warc = warcio_records(tmp_path / "pages.warc",
                          response("https://example.org/moved", b"", moved, "page-1"),
                          response("https://example.org/target", other, None, "page-2"),
                          response("https://example.org/target", mine, None, "page-1"))
    assert main(["import", str(warc), "--url", "https://example.org/moved", "--root",
                 str(root)]) == 0
    [capture] = only_manifest(root).captures
    assert read_response(root / capture.warc_path, capture.response_record_id).body == mine
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0
