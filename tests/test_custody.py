"""Custody: keys, seals and RFC 3161 timestamps from a real TSA (``openssl ts -reply`` on
127.0.0.1), checked offline by ``verify`` and by OpenSSL itself; each tampering asserts its code."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tsaserver import EXPIRED_SIGNS_AT, Tsa, make_pki, reply

from archiver.cli import main
from archiver.collection import Collection
from archiver.corrections import edit_text
from archiver.custody.keys import PublicKey, default_key_file, load_private_key
from archiver.custody.seal import make_seal, seal_dirs
from archiver.custody.timestamp import load_roots
from archiver.fileio import sha256_bytes
from archiver.manifest import load_manifest, save_manifest
from tests.test_concurrency import held_elsewhere


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private keys go to a config folder of the test's own, never the user's."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("ARCHIVER_PASSPHRASE", raising=False)
    return home


@pytest.fixture
def root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A collection of two received texts and the key ``alice``."""
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    for name in ("one", "two"):
        src = tmp_path / f"{name}.txt"
        src.write_text(f"The {name} text.\n\nIt says \u201cnothing\u201d twice.\n", "utf-8")
        assert run(capsys, "add", str(src), "--root", str(root),
                   "--url", f"https://example.org/{name}")[0] == 0
    assert run(capsys, "key", "new", "alice", "--root", str(root))[0] == 0
    return root


def seal(capsys: pytest.CaptureFixture[str], root: Path, tsa: Tsa, *names: str,
         extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    args = ["seal", "--root", str(root), "--tsa-ca", str(tsa.ca), "--message", "batch one",
            *extra]
    for name in names or ("good",):
        args += ["--tsa", tsa.url(name)]
    return run(capsys, *args)


def verify(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, dict]:
    code, out, _ = run(capsys, "verify", "--root", str(root), "--format", "json", "--jobs", "1",
                       *args)
    return code, json.loads(out)


def codes(report: dict) -> dict[str, list[tuple[str | None, str]]]:
    """code -> [(path, severity)] over every finding of the report."""
    found: dict[str, list[tuple[str | None, str]]] = {}
    every = [f for d in report["documents"] for f in d["findings"]]
    for f in every + report["collection"]["findings"]:
        found.setdefault(f["code"], []).append((f["path"], f["severity"]))
    return found


def only_seal(root: Path) -> Path:
    [folder] = seal_dirs(Collection(root))
    return folder


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True)


# --- keys


def test_key_new_keeps_the_private_key_outside_the_collection(root: Path, config_home: Path,
                                                             capsys) -> None:
    private = config_home / "archiver" / "keys" / "alice.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert not any(p.suffix == ".key" for p in root.rglob("*"))
    public = (root / "keys" / "alice.pub").read_text()
    assert public.startswith("# archiver key alice\n# fingerprint sha256:")
    code, out, _ = run(capsys, "key", "list", "--root", str(root))
    fingerprint = public.splitlines()[1].split()[-1]
    assert code == 0 and out.startswith(f"alice  {fingerprint}  keys/alice.pub")
    assert out.rstrip().endswith("; pinned)")  # key new pinned it in the trust file
    code, _, err = run(capsys, "key", "new", "alice", "--root", str(root))
    assert code == 2 and "a key of this name exists" in err


def test_a_passphrase_protects_the_key(root: Path, tmp_path: Path, tsa: Tsa, capsys,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret"
    secret.write_text("correct horse\n")
    key_file = tmp_path / "elsewhere" / "bob.key"
    assert run(capsys, "key", "new", "bob", "--root", str(root), "--key-file", str(key_file),
               "--passphrase-file", str(secret))[0] == 0
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    base = ("--key", "bob", "--key-file", str(key_file))
    code, _, err = seal(capsys, root, tsa, extra=base)
    assert code == 2 and "protected by a passphrase" in err and not seal_dirs(Collection(root))
    secret.write_text("wrong\n")
    code, _, err = seal(capsys, root, tsa, extra=(*base, "--passphrase-file", str(secret)))
    assert code == 2 and "wrong passphrase" in err
    monkeypatch.setenv("ARCHIVER_PASSPHRASE", "correct horse")
    code, _, err = seal(capsys, root, tsa, extra=base)
    assert code == 0, err
    assert verify(capsys, root)[0] == 0


def test_a_key_file_that_is_no_key_is_seal_invalid(root: Path, capsys) -> None:
    (root / "keys" / "bad.pub").write_text("-----BEGIN PUBLIC KEY-----\nbroken\n")
    code, out, err = run(capsys, "key", "list", "--root", str(root))
    assert code == 1 and out.startswith("alice ") and "keys/bad.pub: not a readable" in err
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["seal-invalid"] == [("keys/bad.pub", "error")]


@pytest.mark.parametrize("where", ["keys/carol.key", "corpus/carol.key", "carol.key"])
def test_key_new_refuses_a_private_key_file_inside_the_collection(root: Path, capsys,
                                                                  where: str) -> None:
    before = sorted(root.rglob("*"))
    code, _, err = run(capsys, "key", "new", "carol", "--root", str(root), "--key-file",
                       str(root / where))
    assert code == 2 and err == (f"archiver: {root / where}: inside the collection: keep the "
                                 "private key out of it (anyone given the collection could "
                                 "sign seals with it)\n")
    assert sorted(root.rglob("*")) == before


def test_a_private_key_put_in_keys_is_seal_invalid(root: Path, config_home: Path,
                                                   capsys) -> None:
    private = config_home / "archiver" / "keys" / "alice.key"
    shutil.copy(private, root / "keys" / "alice.key")
    (root / "keys" / "README").write_text("the collection's public keys\n")  # left alone
    code, _, err = run(capsys, "key", "list", "--root", str(root))
    assert code == 1 and "keys/alice.key: a private key inside the collection" in err
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["seal-invalid"] == [("keys/alice.key", "error")]


def test_seal_needs_a_key_it_knows(root: Path, tsa: Tsa, capsys) -> None:
    code, _, err = seal(capsys, root, tsa, extra=("--key", "carol"))
    assert code == 2 and "no such key" in err
    code, _, err = run(capsys, "seal", "--root", str(root))
    assert code == 2 and "--no-timestamp" in err


# --- seals, verified by archiver and by OpenSSL


def test_a_seal_verifies_here_and_with_openssl(root: Path, tsa: Tsa, capsys) -> None:
    code, out, err = seal(capsys, root, tsa)
    assert code == 0, err
    folder = only_seal(root)
    digest = sha256_bytes((folder / "seal.json").read_bytes())
    assert out.splitlines() == [f"sealed 2 source(s) as seals/{folder.name}",
                                f"sha256:{digest}  seals/{folder.name}/seal.json"]
    assert "timestamped by archiver test TSA good" in err and "--expect-seal" in err
    assert sorted(p.name for p in folder.iterdir()) == ["seal.json", "seal.sig", "tokens.json",
                                                        "tokens.sig", "tsa-1.pem", "tsa-1.tsr"]
    statement = json.loads((folder / "seal.json").read_bytes())
    assert statement["sequence"] == 1 and statement["previous"] is None
    assert statement["message"] == "batch one" and statement["key"]["name"] == "alice"
    assert [s["id"] for s in statement["sources"]] == ["one", "two"]
    code, report = verify(capsys, root)
    assert code == 0 and "unsealed" not in codes(report)
    custody = report["documents"][0]["custody"]
    assert custody["status"] == "sealed" and custody["key"] == "alice"
    assert custody["timestamps"][0]["tsa"] == "archiver test TSA good"
    assert custody["text"].startswith(f"sealed {statement['sealed_at']} by alice (sha256:")
    assert ", timestamped by archiver test TSA good at " in custody["text"]
    code, out, _ = run(capsys, "verify", "--root", str(root), "--jobs", "1")
    assert f"custody: {custody['text']}" in out
    # an outsider's checks, with OpenSSL and coreutils only: the TSA's root comes from the TSA
    # (here the test PKI's folder), tsa-1.pem only supplies intermediates
    ts = openssl("ts", "-verify", "-data", str(folder / "seal.json"), "-in",
                 str(folder / "tsa-1.tsr"), "-untrusted", str(folder / "tsa-1.pem"),
                 "-CAfile", str(tsa.ca))
    assert ts.returncode == 0 and "Verification: OK" in ts.stdout, ts.stderr
    tokens = json.loads((folder / "tokens.json").read_bytes())
    assert tokens["statement_sha256"] == digest and tokens["tokens"] == [
        {"file": "tsa-1.tsr", "sha256": sha256_bytes((folder / "tsa-1.tsr").read_bytes())}]
    sig = openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(root / "keys" / "alice.pub"),
                  "-rawin", "-in", str(folder / "tokens.json"), "-sigfile",
                  str(folder / "tokens.sig"))
    assert sig.returncode == 0 and "Signature Verified Successfully" in sig.stdout, sig.stderr
    sig = openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(root / "keys" / "alice.pub"),
                  "-rawin", "-in", str(folder / "seal.json"), "-sigfile",
                  str(folder / "seal.sig"))
    assert sig.returncode == 0 and "Signature Verified Successfully" in sig.stdout, sig.stderr
    bound = subprocess.run(["jq", "-r", '.tokens[] | "\\(.sha256)  \\(.file)"',
                            str(folder / "tokens.json")], capture_output=True, text=True,
                           check=True).stdout
    check = subprocess.run(["sha256sum", "-c", "--strict"], input=bound, cwd=folder,
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout == "tsa-1.tsr: OK\n", check.stdout
    listing = subprocess.run(
        ["jq", "-r", ".sources[] | .manifest, .files[] | \"\\(.sha256)  \\(.path)\"",
         str(folder / "seal.json")], capture_output=True, text=True, check=True).stdout
    check = subprocess.run(["sha256sum", "-c", "--strict"], input=listing, cwd=root,
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") == 4, check.stdout
    # the one check that outsider makes of the key: its fingerprint is sha256 of the raw key
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(root / "keys" / "alice.pub"),
                          "-outform", "DER"], capture_output=True, check=True).stdout
    assert statement["key"]["fingerprint"] == "sha256:" + sha256_bytes(der[-32:])


def test_a_tsa_certificate_expired_since_gentime_is_still_valid(root: Path, tsa: Tsa,
                                                                capsys) -> None:
    gen_time = datetime.fromisoformat(EXPIRED_SIGNS_AT).replace(tzinfo=UTC)
    key, private = _alice(root)  # sealed (by its clock) a minute before the TSA stamped it
    folder = make_seal(Collection(root), key, private, tsas=[tsa.url("expired"),
                       tsa.url("good")], roots=load_roots([tsa.ca]),
                       now=gen_time - timedelta(minutes=1)).path
    code, report = verify(capsys, root, "--tsa-ca", str(tsa.ca))
    assert code == 0 and "timestamp-invalid" not in codes(report), codes(report)
    stamps = report["documents"][0]["custody"]["timestamps"]
    assert stamps[0]["gen_time"] == EXPIRED_SIGNS_AT.replace(" ", "T") + "Z"
    # OpenSSL agrees, at genTime; today it refuses the expired certificate
    args = ("ts", "-verify", "-data", str(folder / "seal.json"), "-in",
            str(folder / "tsa-1.tsr"), "-untrusted", str(folder / "tsa-1.pem"), "-CAfile",
            str(tsa.ca))
    assert "certificate has expired" in openssl(*args).stderr
    assert openssl(*args, "-attime", str(int(gen_time.timestamp()))).returncode == 0


def test_a_failing_tsa_is_reported_and_the_others_kept(root: Path, tsa: Tsa, capsys) -> None:
    code, _, err = seal(capsys, root, tsa, "failing")
    assert code == 2 and "no TSA gave a token" in err and "HTTP 500" in err
    assert not seal_dirs(Collection(root))
    code, _, err = seal(capsys, root, tsa, "failing", "good")
    assert code == 0 and "this TSA failed" in err
    assert sorted(p.name for p in only_seal(root).glob("tsa-*")) == ["tsa-1.pem", "tsa-1.tsr"]


def test_a_reply_to_another_request_is_refused_by_its_nonce(tsa: Tsa) -> None:
    """A replayed or misrouted reply over the same data carries another request's nonce."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    from archiver.custody.timestamp import TimestampError, check_token

    data = b"a seal statement"
    query = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).build()
    answer = reply(tsa.folder, "good", query.as_bytes())
    roots = load_roots([tsa.ca])
    assert query.nonce is not None
    assert check_token(answer, data, roots, nonce=query.nonce).tsa == "archiver test TSA good"
    with pytest.raises(TimestampError, match="Nonce mismatch"):
        check_token(answer, data, roots, nonce=query.nonce + 1)


def test_a_tsa_outside_the_trusted_roots_is_refused(root: Path, tmp_path: Path, tsa: Tsa,
                                                    capsys) -> None:
    other = tmp_path / "other-pki"
    other.mkdir()
    make_pki(other)
    code, _, err = seal(capsys, root, tsa, extra=("--tsa-ca", str(other / "ca.pem")))
    assert code == 0  # the right CA is among the two given
    shutil.rmtree(root / "seals")
    code, _, err = run(capsys, "seal", "--root", str(root), "--tsa", tsa.url("good"),
                       "--tsa-ca", str(other / "ca.pem"))
    assert code == 2 and "its chain ends at 'archiver test CA' (sha256:" in err
    assert "which is not among the trusted roots); nothing was sealed" in err


def test_no_timestamp_says_so_plainly(root: Path, capsys) -> None:
    code, _, err = run(capsys, "seal", "--root", str(root), "--no-timestamp")
    assert code == 0 and "WITHOUT a timestamp" in err
    code, report = verify(capsys, root)
    assert code == 0 and "not timestamped" in report["documents"][0]["custody"]["text"]


def test_an_unsealed_collection_is_a_warning(root: Path, capsys) -> None:
    code, report = verify(capsys, root)
    assert code == 0 and codes(report)["unsealed"] == [("seals", "warning")]
    assert report["documents"][0]["custody"]["status"] == "unsealed"


@pytest.mark.parametrize("name", ["keys", "seals"])
def test_a_file_where_a_custody_folder_belongs_is_a_seal_finding(root: Path, capsys,
                                                                 name: str) -> None:
    shutil.rmtree(root / name, ignore_errors=True)  # the fixture's key, made before sealing
    (root / name).write_text("not a folder\n")
    code, report = verify(capsys, root)
    assert code == 1
    assert codes(report)["seal-invalid"] == [(name, "error")]
    assert codes(report)["unsealed"] == [("seals", "warning")]


def test_seal_refuses_a_collection_that_fails_fixity(root: Path, capsys) -> None:
    (root / "corpus" / "one.txt").write_text("changed by hand\n")
    code, _, err = run(capsys, "seal", "--root", str(root), "--no-timestamp")
    assert code == 1 and "archiver: corpus/one.txt: hash-mismatch: expected 44 bytes" in err
    assert "nothing was sealed" in err and not seal_dirs(Collection(root))


def test_seals_chain_from_the_first(root: Path, tsa: Tsa, capsys) -> None:
    assert seal(capsys, root, tsa)[0] == 0
    first = only_seal(root)
    _edit_text(root, "one", "The one text, edited.\n", record=True)
    assert seal(capsys, root, tsa)[0] == 0
    second = seal_dirs(Collection(root))[1]
    link = json.loads((second / "seal.json").read_bytes())["previous"]
    assert link == {"seal": first.name, "sha256": sha256_bytes((first / "seal.json")
                                                               .read_bytes())}
    assert second.name.startswith("000002-")
    assert verify(capsys, root)[0] == 0


# --- changes since the seal


def _edit_text(root: Path, source_id: str, text: str, *, record: bool) -> None:
    """Change a source's text: with ``record``, through the tool (a new text version and its
    history entry); without, by hand, in place, writing its new sha256 into the manifest."""
    if record:
        new = root.parent / f"{source_id}-edited.txt"
        new.write_text(text, encoding="utf-8")
        edit_text(Collection(root), source_id, new, reason="test edit")
        return
    path = Collection(root).manifest_path(source_id)
    manifest = load_manifest(path)
    data = text.encode()
    entry = manifest.files[0]
    (root / entry.path).write_bytes(data)
    entry.sha256, entry.size = sha256_bytes(data), len(data)
    save_manifest(path, manifest)


def test_a_recorded_change_since_the_seal_is_a_warning(root: Path, tsa: Tsa, capsys) -> None:
    assert seal(capsys, root, tsa)[0] == 0
    _edit_text(root, "one", "The one text, edited.\n", record=True)
    code, report = verify(capsys, root)
    assert code == 0
    assert sorted(codes(report)["unsealed-change"]) == [("corpus/one.v2.txt", "warning"),
                                                        ("manifests/one.json", "warning")]
    custody = report["documents"][0]["custody"]
    assert custody["status"] == "changed"
    assert custody["text"].endswith(": corpus/one.v2.txt, manifests/one.json")
    assert report["documents"][1]["custody"]["status"] == "sealed"
    # the text report says the shared custody once and the changed source's beside it
    code, out, _ = run(capsys, "verify", "--root", str(root), "--jobs", "1")
    sealed = report["documents"][1]["custody"]["text"]
    assert out.count(f"custody: {sealed}") == out.count(f"custody: {custody['text']}") == 1
    assert out.count("custody:") == 2


def test_an_unrecorded_edit_after_sealing_is_an_error(root: Path, tsa: Tsa, capsys) -> None:
    """Whoever edits a text and writes its new sha256 into the manifest passes fixity, but
    not the seal."""
    assert seal(capsys, root, tsa)[0] == 0
    _edit_text(root, "one", "The one text, forged.\n", record=False)
    code, report = verify(capsys, root)
    assert code == 1 and "hash-mismatch" not in codes(report)
    assert sorted(codes(report)["unsealed-change"]) == [("corpus/one.txt", "error"),
                                                        ("manifests/one.json", "error")]


def test_a_manifest_edited_after_sealing_is_an_error(root: Path, tsa: Tsa, capsys) -> None:
    assert seal(capsys, root, tsa)[0] == 0
    path = root / "manifests" / "two.json"
    path.write_text(path.read_text().replace("https://example.org/two",
                                             "https://example.org/elsewhere"))
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["unsealed-change"] == [("manifests/two.json", "error")]


def test_a_source_added_after_the_seal_is_a_warning(root: Path, tmp_path: Path, tsa: Tsa,
                                                    capsys) -> None:
    assert seal(capsys, root, tsa)[0] == 0
    src = tmp_path / "three.txt"
    src.write_text("The third text.\n")
    assert run(capsys, "add", str(src), "--root", str(root), "--url", "https://e.org/3")[0] == 0
    (root / "manifests" / "two.json").unlink()
    (root / "corpus" / "two.txt").unlink()
    code, report = verify(capsys, root)
    assert code == 1
    assert sorted(codes(report)["unsealed-change"]) == [("manifests/three.json", "warning"),
                                                        ("manifests/two.json", "error")]


# --- tampering with the seals themselves


def test_a_byte_of_a_seal_changed(root: Path, tsa: Tsa, capsys) -> None:
    assert seal(capsys, root, tsa)[0] == 0
    statement = only_seal(root) / "seal.json"
    statement.write_bytes(statement.read_bytes().replace(b"batch one", b"batch 0ne"))
    code, report = verify(capsys, root)
    assert code == 1
    found = codes(report)
    assert found["seal-invalid"] == [(f"seals/{statement.parent.name}/seal.sig", "error")]
    assert found["timestamp-invalid"] == [  # tokens.json names the seal's sha256, as before
        (f"seals/{statement.parent.name}/tokens.json", "error"),
        (f"seals/{statement.parent.name}/tsa-1.tsr", "error")]
    assert report["documents"][0]["custody"]["status"] == "invalid"
    statement.write_bytes(statement.read_bytes().replace(b'"batch 0ne"', b'"batch one" '))
    assert "not in canonical form" in json.dumps(verify(capsys, root)[1])


def test_a_token_swapped_between_seals(root: Path, tsa: Tsa, capsys) -> None:
    assert seal(capsys, root, tsa)[0] == 0
    _edit_text(root, "one", "The one text, edited.\n", record=True)
    assert seal(capsys, root, tsa)[0] == 0
    first, second = seal_dirs(Collection(root))
    a, b = (first / "tsa-1.tsr").read_bytes(), (second / "tsa-1.tsr").read_bytes()
    (first / "tsa-1.tsr").write_bytes(b)
    (second / "tsa-1.tsr").write_bytes(a)
    code, report = verify(capsys, root)
    assert code == 1 and "seal-invalid" not in codes(report)
    assert sorted(codes(report)["timestamp-invalid"]) == [
        (f"seals/{first.name}/tsa-1.tsr", "error"), (f"seals/{second.name}/tsa-1.tsr", "error")]
    assert "not the token tokens.json lists" in json.dumps(report)


def test_a_token_for_another_digest(root: Path, tsa: Tsa, capsys) -> None:
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    assert seal(capsys, root, tsa)[0] == 0
    folder = only_seal(root)
    query = TimestampRequestBuilder().data(b"another state").hash_algorithm(
        HashAlgorithm.SHA256).build().as_bytes()
    (folder / "tsa-1.tsr").write_bytes(reply(tsa.folder, "good", query))
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["timestamp-invalid"] == [
        (f"seals/{folder.name}/tsa-1.tsr", "error")]


def test_a_root_in_the_collection_is_not_trusted(root: Path, tmp_path: Path, tsa: Tsa,
                                                 capsys) -> None:
    """A token re-made by a TSA of the forger's own, its root put beside it in tsa-1.pem:
    the collection supplies intermediates only, never a root."""
    assert seal(capsys, root, tsa)[0] == 0
    folder = only_seal(root)
    other = tmp_path / "other-pki"
    other.mkdir()
    make_pki(other)
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    query = TimestampRequestBuilder().data((folder / "seal.json").read_bytes()).hash_algorithm(
        HashAlgorithm.SHA256).cert_request(cert_request=True).build().as_bytes()
    forged = reply(other, "good", query)
    (folder / "tsa-1.tsr").write_bytes(forged)
    (folder / "tsa-1.pem").write_bytes((other / "good.pem").read_bytes()
                                       + (other / "ca.pem").read_bytes())
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["timestamp-invalid"] == [  # tokens.json: replaced
        (f"seals/{folder.name}/tsa-1.tsr", "error")]
    shutil.copy(folder / "tsa-1.tsr", tmp_path / "forged.tsr")  # and alone, as check-timestamp
    code, out, _ = run(capsys, "check-timestamp", str(tmp_path / "forged.tsr"), "--data",
                       str(folder / "seal.json"), "--ca", str(tsa.ca), "--cert",
                       str(folder / "tsa-1.pem"))
    assert code == 1 and "why: its chain ends at 'archiver test CA'" in out


def test_a_seal_removed_from_the_middle_of_the_chain(root: Path, tsa: Tsa, capsys) -> None:
    for text in ("", "The one text, edited.\n", "The one text, edited again.\n"):
        if text:
            _edit_text(root, "one", text, record=True)
        assert seal(capsys, root, tsa)[0] == 0
    first, middle, last = seal_dirs(Collection(root))
    shutil.rmtree(middle)
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["seal-invalid"] == [
        (f"seals/{last.name}/seal.json", "error"), (f"seals/{last.name}/seal.json", "error")]
    text = json.dumps(report)
    assert "a seal before it is missing" in text and f"does not match {first.name}" in text


def test_two_seals_that_fork(root: Path, tsa: Tsa, capsys) -> None:
    collection = Collection(root)
    assert seal(capsys, root, tsa)[0] == 0
    key, private = _alice(root)
    later = datetime.now(UTC) + timedelta(seconds=5)
    branch = make_seal(collection, key, private, tsas=[], roots=[], now=later)
    aside = root / "aside"
    branch.path.rename(aside)
    make_seal(collection, key, private, tsas=[], roots=[], now=later + timedelta(seconds=5))
    aside.rename(branch.path)
    code, report = verify(capsys, root)
    assert code == 1 and "a fork" in json.dumps(report)
    assert "seal-invalid" in codes(report)


def _alice(root: Path) -> tuple[PublicKey, Ed25519PrivateKey]:
    from archiver.custody.keys import collection_keys

    [key], _ = collection_keys(Collection(root))
    return key, load_private_key(default_key_file("alice"), None)


def test_a_signature_by_a_key_not_in_keys(root: Path, tsa: Tsa, capsys) -> None:
    """A forger signs with a key of their own and names it after a known key."""
    key, _ = _alice(root)
    forger = Ed25519PrivateKey.generate()
    from archiver.custody.keys import fingerprint

    impostor = PublicKey("mallory", "keys/mallory.pub", forger.public_key())
    result = make_seal(Collection(root), impostor, forger, tsas=[tsa.url("good")],
                       roots=load_roots([tsa.ca]))
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["seal-invalid"] == [
        (f"seals/{result.path.name}/seal.json", "error")]
    assert f"({fingerprint(forger.public_key())}), which keys/ does not hold" in json.dumps(
        report)
    assert key.fingerprint != fingerprint(forger.public_key())


def test_a_second_seal_waits_for_the_first(root: Path, capsys) -> None:
    """Two seal runs never both take sequence 2: each holds the collection's write lock."""
    with held_elsewhere(root):
        code, _, err = run(capsys, "seal", "--root", str(root), "--no-timestamp", "--wait", "0")
    assert code == 2 and "collection is busy" in err and not seal_dirs(Collection(root))


def test_a_half_written_seal_is_a_temp_file_and_the_next_seal_removes_it(root: Path,
                                                                         capsys) -> None:
    (root / "seals" / ".archiver-tmp-0123").mkdir(parents=True)
    code, report = verify(capsys, root)
    assert code == 0 and codes(report)["temp-file"] == [("seals/.archiver-tmp-0123", "warning")]
    assert run(capsys, "seal", "--root", str(root), "--no-timestamp")[0] == 0
    assert [p.name for p in (root / "seals").iterdir()] == [only_seal(root).name]
