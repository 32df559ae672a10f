"""Private keys in ``keys/`` are found wherever they are (any depth, any size, PEM or DER,
appended to a public key): ``seal-invalid`` in verify, refused by seal and by both exports.
The keys are made by OpenSSL and ssh-keygen, not by archiver."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
from conftest import run

from archiver.custody.keys import PRIVATE_KEY

BLOCK = 1 << 20  # archiver reads keys/ in blocks of this size: a key across two is found


def openssl(*args: str) -> bytes:
    return subprocess.run(["openssl", *args], check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Private keys in every form, made by OpenSSL and ssh-keygen."""
    work = tmp_path_factory.mktemp("keys")
    ed_pem = openssl("genpkey", "-algorithm", "ed25519")
    (work / "ed.pem").write_bytes(ed_pem)
    ec_pem = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    (work / "ec.pem").write_bytes(ec_pem)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "ssh")],
                   check=True)
    ed_der = openssl("pkey", "-in", str(work / "ed.pem"), "-outform", "DER")
    return {
        "ed_pem": ed_pem,
        "ed_der": ed_der,
        "ed_der_encrypted": openssl("pkcs8", "-topk8", "-in", str(work / "ed.pem"),
                                    "-outform", "DER", "-passout", "pass:secret"),
        "ec_sec1_der": openssl("ec", "-in", str(work / "ec.pem"), "-outform", "DER"),
        "rsa_pkcs1_pem": openssl("genrsa", "-traditional", "1024"),
        "openssh": (work / "ssh").read_bytes(),
        "ed_base64": base64.b64encode(ed_der) + b"\n",
    }


@pytest.fixture
def sealed(tmp_path: Path, http_site, capsys: pytest.CaptureFixture[str]) -> Path:
    """A collection of one captured page, the key ``alice`` and one seal."""
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    url = http_site.add("/keys/page", "<html><head><title>A page</title></head><body><article>"
                        "<p>The page's one paragraph, long enough to be its article.</p>"
                        "</article></body></html>")
    assert run(capsys, "capture", url, "--allow-private", "--root", str(root))[0] == 0
    assert run(capsys, "key", "new", "alice", "--root", str(root))[0] == 0
    assert run(capsys, "seal", "--root", str(root), "--no-timestamp")[0] == 0
    return root


def plant(root: Path, made: dict[str, bytes], where: str) -> str:
    """Put a private key in ``keys/`` as ``where`` says; return the file's path."""
    public = (root / "keys/alice.pub").read_bytes()
    placed = {
        "appended to the public key": ("keys/alice.pub", public + made["ed_pem"]),
        "DER appended to the public key": ("keys/alice.pub", public + made["ec_sec1_der"]),
        "in a subfolder": ("keys/old/2024/backup.txt", made["rsa_pkcs1_pem"]),
        "past the first 4 KiB": ("keys/notes.txt", b"a note\n" * 1000 + made["ed_pem"]),
        "across two blocks": ("keys/big.bin", b"\n" * (BLOCK - 20) + made["ed_pem"]),
        "as DER": ("keys/alice.der", made["ed_der"]),
        "as encrypted DER": ("keys/alice.p8", made["ed_der_encrypted"]),
        "as EC DER": ("keys/ec.key", made["ec_sec1_der"]),
        "as OpenSSH": ("keys/id_ed25519", made["openssh"]),
        "as base64 without armour": ("keys/seed.b64", made["ed_base64"]),
    }
    path, data = placed[where]
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_bytes(data)
    return path


WHERE = ["appended to the public key", "DER appended to the public key", "in a subfolder",
         "past the first 4 KiB", "across two blocks", "as DER", "as encrypted DER",
         "as EC DER", "as OpenSSH", "as base64 without armour"]


@pytest.mark.parametrize("where", WHERE)
def test_a_private_key_anywhere_in_keys_is_found_and_refused(
        sealed: Path, made: dict[str, bytes], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], where: str) -> None:
    path = plant(sealed, made, where)
    code, out, _ = run(capsys, "verify", "--root", str(sealed), "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert ("seal-invalid", PRIVATE_KEY) in [  # (a changed .pub is an unsealed-change too)
        (f["code"], f["message"]) for f in report["collection"]["findings"] if f["path"] == path]
    seals = sorted((sealed / "seals").iterdir())
    code, out, err = run(capsys, "seal", "--root", str(sealed), "--no-timestamp")
    # an integrity error verify reports: seal refuses it as findings (exit 1), naming it
    assert (code, out) == (1, "")
    assert err.startswith(f"archiver: {path}: seal-invalid: {PRIVATE_KEY}"), err
    assert err.endswith("nothing was sealed\n") and len(err.splitlines()) == 1
    assert sorted((sealed / "seals").iterdir()) == seals
    for kind, out_path in (("wacz", tmp_path / "out.wacz"), ("bagit", tmp_path / "bag")):
        code, out, err = run(capsys, "export", kind, str(out_path), "--root", str(sealed))
        assert (code, out) == (2, ""), kind
        assert err == f"archiver: {path}: {PRIVATE_KEY}; nothing was exported\n", kind
        assert not out_path.exists()
        assert [p.name for p in tmp_path.iterdir()] == ["col"]  # no partial beside OUT


def test_public_keys_and_other_files_are_no_private_key(
        sealed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    openssl("genpkey", "-algorithm", "ed25519", "-out", str(tmp_path / "k.pem"))
    for name, args in (("other.pub.pem", ["-outform", "PEM"]),
                       ("other.pub.der", ["-outform", "DER"])):
        (sealed / "keys" / name).write_bytes(openssl("pkey", "-in", str(tmp_path / "k.pem"),
                                                     "-pubout", *args))
    (sealed / "keys/README").write_text("the collection's public keys\n")
    (sealed / "keys/sub").mkdir()
    (sealed / "keys/sub/noise.bin").write_bytes(bytes(range(256)) * 5000)
    code, out, _ = run(capsys, "verify", "--root", str(sealed), "--format", "json")
    assert [f for f in json.loads(out)["collection"]["findings"]
            if f["path"].startswith("keys/")] == []
    assert code == 0
    for kind, out_path in (("wacz", tmp_path / "out.wacz"), ("bagit", tmp_path / "bag")):
        code, _, err = run(capsys, "export", kind, str(out_path), "--root", str(sealed))
        assert code == 0, err
