"""archiver export wacz: a WACZ of captured sources, checked by py-wacz, by archiver's own WACZ
check, by pywb replaying every capture, and its signature by `cryptography` from the package."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from exportdata import BIN, HAND_TEXT, Captured, snapshot
from servers import wayback
from warcio.archiveiterator import ArchiveIterator

from archiver.cli import main
from archiver.collection import Collection
from archiver.findings import Severity
from archiver.manifest import load_manifest, save_manifest
from archiver.warc.check import check_warc
from archiver.warc.waczsig import key_fingerprint, verify_digest
from tests.test_concurrency import held_elsewhere


def export(captured: Captured, out: Path, *args: str) -> int:
    """Run ``archiver export wacz OUT ARGS...`` (ids first: argparse takes them after OUT)."""
    return main(["export", "wacz", str(out), *args, "--root", str(captured.collection.root)])


@pytest.fixture(scope="module")
def key_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("key") / "wacz-signing.pem"
    key = ec.generate_private_key(ec.SECP384R1())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


@pytest.fixture(scope="module")
def wacz(captured: Captured, key_file: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wacz") / "collection.wacz"
    before = snapshot(captured.collection.root)
    assert export(captured, out, "--sign-key-file", str(key_file), "--title", "Exported") == 0
    assert snapshot(captured.collection.root) == before  # export changes nothing
    return out


def flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0x01]))


def test_py_wacz_validates_the_signed_export(wacz: Path) -> None:
    done = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(wacz)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation succeeded" in done.stdout
    # py-wacz checks that the signature's `created` is the package's (it cannot check an
    # anonymous signature itself: its --verify-auth needs a domain certificate)
    assert "Has signature" in done.stdout


def test_archivers_wacz_check_passes_it_and_fails_it_after_one_flipped_byte(
        wacz: Path, tmp_path: Path) -> None:
    report = check_warc(wacz)
    assert report.verdict == "intact" and not report.findings
    assert Counter(r.record_type for r in report.records) == {
        "warcinfo": 4, "request": 5, "response": 5}
    damaged = shutil.copy(wacz, tmp_path / "damaged.wacz")
    with zipfile.ZipFile(damaged) as zf:
        info = zf.getinfo("pages/pages.jsonl")
    # a byte inside the deflated pages file: inside its zip entry, after the local header
    flip(damaged, info.header_offset + 30 + len(info.filename) + info.compress_size // 2)
    codes = {f.code for f in check_warc(damaged).findings if f.severity is Severity.ERROR}
    assert codes == {"wacz-invalid"}


def test_a_flipped_byte_in_a_stored_warc_names_the_warc_and_its_record(wacz: Path,
                                                                         tmp_path: Path) -> None:
    damaged = shutil.copy(wacz, tmp_path / "damaged.wacz")
    with zipfile.ZipFile(damaged) as zf:
        info = max((i for i in zf.infolist() if i.filename.startswith("archive/")),
                   key=lambda i: i.compress_size)
        assert info.compress_type == zipfile.ZIP_STORED  # stored, so the byte is the WARC's
    # a byte of its first record (warcinfo): the zip's CRC fails only at the entry's end,
    # and the WARC walk has by then found the damaged record
    assert info.compress_size > 1 << 16  # more than one read of the walk
    flip(damaged, info.header_offset + 30 + len(info.filename) + 100)
    report = check_warc(damaged)
    assert report.verdict == "damaged"
    assert {f.code for f in report.findings} == {"warc-corrupt", "wacz-invalid"}
    assert any(f.path.endswith(info.filename) for f in report.findings
               if f.code == "warc-corrupt")


def test_the_warcs_manifests_and_texts_are_in_it_byte_for_byte(captured: Captured,
                                                               wacz: Path) -> None:
    root = captured.collection.root
    with zipfile.ZipFile(wacz) as zf:
        names = set(zf.namelist())
        package = json.loads(zf.read("datapackage.json"))
        listed = {r["path"]: r for r in package["resources"]}
        assert names - set(listed) == {"datapackage.json", "datapackage-digest.json"}
        for source_id in captured.collection.ids():
            manifest = load_manifest(captured.collection.manifest_path(source_id))
            stored = zf.read(f"manifests/{source_id}.json")
            assert stored == (root / "manifests" / f"{source_id}.json").read_bytes()
            for entry in manifest.files:
                name = (f"archive/{entry.path.rsplit('/', 1)[-1]}" if entry.role == "warc"
                        else entry.path)
                assert listed[name]["hash"] == f"sha256:{entry.sha256}"
                assert listed[name]["bytes"] == entry.size
                assert zf.read(name) == (root / entry.path).read_bytes()
                if entry.role == "warc":
                    assert zf.getinfo(name).compress_type == zipfile.ZIP_STORED
        assert json.loads(zf.read("schemas/manifest-v1.json"))["title"] == "Manifest"
    assert package["wacz_version"] == "1.1.1" and package["title"] == "Exported"
    assert package["software"].startswith("archiver ")


def test_pages_carry_url_time_title_and_text(captured: Captured, wacz: Path) -> None:
    with zipfile.ZipFile(wacz) as zf:
        header, *pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()]
    assert header == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages",
                      "hasText": True}
    by_id = {}
    for source_id in (captured.redirected, captured.gone, captured.broken, captured.stdlib):
        manifest = load_manifest(captured.collection.manifest_path(source_id))
        (capture,) = manifest.captures
        by_id[capture.id] = (manifest, capture)
    assert {p["id"] for p in pages} == set(by_id)  # one page per capture; none for by-hand
    for page in pages:
        manifest, capture = by_id[page["id"]]
        assert page["url"] == capture.requested_url
        assert page["ts"] == capture.captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if manifest.text is None:  # the 404 and the 500 have no text
            assert "text" not in page
        else:
            text = (captured.collection.root / manifest.text.path).read_text(encoding="utf-8")
            assert page["text"] == text and page["title"] == manifest.metadata.title.value
    with zipfile.ZipFile(wacz) as zf:
        assert zf.read("corpus/by-hand.txt").decode("utf-8") == HAND_TEXT


def test_the_signature_verifies_from_what_the_package_holds(wacz: Path, key_file: Path
                                                            ) -> None:
    with zipfile.ZipFile(wacz) as zf:
        package_bytes = zf.read("datapackage.json")
        digest = json.loads(zf.read("datapackage-digest.json"))
    signed = digest["signedData"]
    package_hash = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
    assert digest["path"] == "datapackage.json"
    assert digest["hash"] == signed["hash"] == package_hash
    assert signed["created"] == json.loads(package_bytes)["created"]
    assert signed["version"] == "0.1.0" and signed["software"].startswith("archiver ")
    # as wabac.js (ReplayWeb.page) verifies: an SPKI P-384 key, ECDSA with SHA-256 over the
    # hash string, the signature as raw r||s
    public = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert isinstance(public.curve, ec.SECP384R1)
    own = serialization.load_pem_private_key(key_file.read_bytes(), password=None).public_key()
    assert public.public_numbers() == own.public_numbers()  # type: ignore[union-attr]
    raw = base64.b64decode(signed["signature"])
    assert len(raw) == 96
    der = encode_dss_signature(int.from_bytes(raw[:48]), int.from_bytes(raw[48:]))
    public.verify(der, package_hash.encode(), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):  # and it is a signature of that hash only
        other = package_hash[:-1] + ("1" if package_hash.endswith("0") else "0")
        public.verify(der, other.encode(), ec.ECDSA(hashes.SHA256()))


def _responses(wacz: Path) -> list[tuple[str, str, int, bytes, str | None]]:
    """(url, 14-digit time, status, payload, Location) of every response archived in it."""
    out = []
    with zipfile.ZipFile(wacz) as zf:
        for name in zf.namelist():
            if name.startswith("archive/"):
                for record in ArchiveIterator(zf.open(name)):
                    if record.rec_type == "response":
                        date = record.rec_headers.get_header("WARC-Date")
                        stamp = "".join(c for c in date if c.isdigit())[:14]
                        out.append((record.rec_headers.get_header("WARC-Target-URI"), stamp,
                                    int(record.http_headers.get_statuscode()),
                                    record.content_stream().read(),
                                    record.http_headers.get_header("Location")))
    return out


def test_pywb_replays_every_exported_capture_with_the_archived_bytes(wacz: Path,
                                                                     tmp_path: Path) -> None:
    responses = _responses(wacz)
    assert sorted(status for *_, status, _, _ in responses) == [200, 200, 301, 404, 500]
    # loaded as pywb's own `wb-manager add --unpack-wacz` does: its WARCs and its index
    with wayback(tmp_path / "pywb", [wacz], coll="export", unpack_wacz=True) as replay:
        parts = urlsplit(replay.base)
        for url, stamp, status, payload, location in responses:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request("GET", urlsplit(replay.raw(stamp, url))._replace(
                scheme="", netloc="").geturl())
            answer = conn.getresponse()
            body = answer.read()
            conn.close()
            assert (answer.status, body) == (status, payload), url
            assert answer.getheader("Location") == location, url


def test_unsigned_export_has_only_the_digest(captured: Captured, tmp_path: Path) -> None:
    out = tmp_path / "plain.wacz"
    assert export(captured, out, captured.stdlib) == 0
    with zipfile.ZipFile(out) as zf:
        digest = json.loads(zf.read("datapackage-digest.json"))
        archives = [n for n in zf.namelist() if n.startswith("archive/")]
        manifests = [n for n in zf.namelist() if n.startswith("manifests/")]
    assert set(digest) == {"path", "hash"}
    assert len(archives) == 1 and archives[0].startswith(f"archive/{captured.stdlib}-")
    assert manifests == [f"manifests/{captured.stdlib}.json"]
    assert check_warc(out).verdict == "intact"


@pytest.mark.parametrize(("case", "reason"), [
    ("exists", "exists already; nothing was written (choose a new name)"),
    ("unknown-id", "no such source in this collection"),
    ("pending-only", "none of the chosen sources has a capture, and a WACZ needs WARCs"),
    ("ed25519-key", "not an ECDSA P-384 key: WACZ signing (anonymous mode) signs with ECDSA "
                    "P-384 and SHA-256"),
    ("not-a-key", "not a PEM private key"),
    ("inside-corpus", "an export must not become part of the collection it exports"),
])
def test_unusable_requests_are_one_line_and_write_nothing(
        captured: Captured, tmp_path: Path, capsys, case: str, reason: str) -> None:
    out = tmp_path / "out.wacz"
    args: list[str] = []
    if case == "exists":
        out.write_bytes(b"evidence")
    elif case == "unknown-id":
        args = ["no-such-source"]
    elif case == "pending-only":
        args = [captured.by_hand]
    elif case in ("ed25519-key", "not-a-key"):
        key = tmp_path / "key.pem"
        key.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()) if case == "ed25519-key" else b"no key here\n")
        args = ["--sign-key-file", str(key)]
    else:
        out = captured.collection.corpus_dir / "out.wacz"
    before = sorted(p.name for p in out.parent.iterdir())
    assert export(captured, out, *args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("archiver: ") and reason in err
    assert sorted(p.name for p in out.parent.iterdir()) == before
    if case == "exists":
        assert out.read_bytes() == b"evidence"


def test_a_file_that_changed_since_its_manifest_stops_the_export(captured: Captured,
                                                                 tmp_path: Path, capsys) -> None:
    root = tmp_path / "collection"
    shutil.copytree(captured.collection.root, root)
    manifest = load_manifest(root / "manifests" / f"{captured.stdlib}.json")
    flip(root / manifest.captures[0].warc_path, 100)
    out = tmp_path / "out.wacz"
    assert main(["export", "wacz", str(out), "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "differs from its manifest" in err and manifest.captures[0].warc_path in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["collection"]  # no OUT, no temp


def test_export_waits_for_a_writer_to_commit(captured: Captured, tmp_path: Path, capsys) -> None:
    with held_elsewhere(captured.collection.root):
        assert export(captured, tmp_path / "out.wacz", "--wait", "0") == 2
    assert "collection is busy" in capsys.readouterr().err
    assert not (tmp_path / "out.wacz").exists()


def test_a_text_that_is_not_utf8_goes_in_byte_for_byte(captured: Captured, tmp_path: Path
                                                       ) -> None:
    # only a hand-made manifest can record such a text (add and capture write UTF-8)
    root = shutil.copytree(captured.collection.root, tmp_path / "collection")
    path = root / "manifests" / f"{captured.stdlib}.json"
    manifest = load_manifest(path)
    latin1 = "Caf\u00e9 owners welcome the ruling.\n".encode("latin-1")
    (root / manifest.text.path).write_bytes(latin1)
    entry = manifest.file(manifest.text.path)
    entry.sha256, entry.size = hashlib.sha256(latin1).hexdigest(), len(latin1)
    save_manifest(path, manifest)
    out = tmp_path / "out.wacz"
    assert main(["export", "wacz", str(out), captured.stdlib, "--root", str(root)]) == 0
    with zipfile.ZipFile(out) as zf:
        assert zf.read(manifest.text.path) == latin1
        (page,) = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()][1:]
    assert page["text"] == "Caf\ufffd owners welcome the ruling.\n"


def test_the_signed_export_verifies_with_the_import_sides_own_verifier(
        captured: Captured, wacz: Path, key_file: Path, tmp_path: Path) -> None:
    # two implementations of the wacz-auth spec, written apart: the signer (export) and the
    # verifier (import, check-warc) must agree, and a changed signature must not verify
    with zipfile.ZipFile(wacz) as zf:
        package_sha256 = hashlib.sha256(zf.read("datapackage.json")).hexdigest()
        digest = json.loads(zf.read("datapackage-digest.json"))
    check = verify_digest(digest, package_sha256)
    own = serialization.load_pem_private_key(key_file.read_bytes(), password=None).public_key()
    assert (check.status, check.mode) == ("verified", "anonymous")
    assert check.signer == key_fingerprint(own)  # type: ignore[arg-type]
    raw = bytearray(base64.b64decode(digest["signedData"]["signature"]))
    raw[10] ^= 1
    forged = {**digest, "signedData": {**digest["signedData"],
                                       "signature": base64.b64encode(raw).decode()}}
    assert verify_digest(forged, package_sha256).status == "invalid"
    # imported into another collection, the package's signer is recorded as verified
    other = tmp_path / "other"
    assert main(["init", "--root", str(other)]) == 0
    url = load_manifest(captured.collection.manifest_path(captured.stdlib)).captures[0]
    assert main(["import", str(wacz), "--url", url.requested_url, "--root", str(other)]) == 0
    [source] = Collection(other).ids()
    [capture] = load_manifest(Collection(other).manifest_path(source)).captures
    assert capture.imported is not None and capture.imported.signature is not None
    assert capture.imported.signature.status == "verified"
    assert main(["verify", "--root", str(other)]) == 0
