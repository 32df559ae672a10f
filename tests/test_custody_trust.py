"""Custody against the other side's expert: real tokens of public TSAs (../shared/real-tsa,
checked again by OpenSSL), and each attack on a sealed collection by someone with write access
to it, asserting its exact code. Trust comes from the verifier's own config folder only."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tsaserver import EXPIRED_SIGNS_AT, Tsa, make_pki, serving

from archiver.collection import Collection
from archiver.custody.der import token_parts
from archiver.custody.keys import PublicKey, fingerprint, public_key_text
from archiver.custody.seal import make_seal, seal_dirs
from archiver.custody.timestamp import (
    TimestampError,
    check_timestamp,
    check_token,
    load_certificates,
)
from archiver.fileio import sha256_bytes
from tests import test_custody as base
from tests.test_custody import _alice, _edit_text, codes, only_seal, openssl, run, seal, verify

# the fixtures of test_custody: each test's own config folder, and a collection with alice
config_home = base.config_home
root = base.root

REAL_TSA = Path(__file__).resolve().parents[2] / "shared" / "real-tsa"
INDEX = json.loads((REAL_TSA / "index.json").read_text())


def _expected(entry: dict) -> bytes | tuple[str, bytes]:
    data = REAL_TSA / f"{entry['id']}.data"
    if data.exists():
        return data.read_bytes()
    alg, _, hexdigest = (REAL_TSA / f"{entry['id']}.digest").read_text().strip().partition(":")
    return alg, bytes.fromhex(hexdigest)


def _extra(entry: dict) -> list[Path]:
    tsa_pem = REAL_TSA / f"{entry['id']}.tsa.pem"
    return [tsa_pem] if tsa_pem.exists() else []


def _cli_args(entry: dict) -> list[str]:
    i = entry["id"]
    args = ["check-timestamp", str(REAL_TSA / f"{i}.tsr"), "--ca", str(REAL_TSA / f"{i}.root.pem")]
    if (REAL_TSA / f"{i}.data").exists():
        args += ["--data", str(REAL_TSA / f"{i}.data")]
    else:
        args += ["--digest", (REAL_TSA / f"{i}.digest").read_text().strip()]
    for path in _extra(entry):
        args += ["--cert", str(path)]
    return args


# --- real authorities


@pytest.mark.parametrize("entry", INDEX, ids=[e["id"] for e in INDEX])
def test_every_real_token_gets_its_verdict(entry: dict, capsys, tmp_path: Path) -> None:
    """Each real reply as its TSA sent it: the expected verdict, from the CLI and the library;
    one changed byte of the data (or digest) turns a valid one invalid; never a traceback."""
    code, out, err = run(capsys, *_cli_args(entry))
    verdict = out.splitlines()[0].rsplit(" ", 1)[-1]
    if entry["verdict"] != "any":
        assert verdict == entry["verdict"], out + err
    assert code == (0 if verdict == "valid" else 1) and err == ""
    assert f"hash: {entry['hash']}" in out
    [printed] = [line[len("genTime: "):] for line in out.splitlines()
                 if line.startswith("genTime: ")]
    # rfc3161-client keeps whole seconds of a genTime (Microsoft's carry milliseconds)
    assert datetime.fromisoformat(printed) == datetime.fromisoformat(
        entry["gen_time"]).replace(microsecond=0)
    if verdict == "invalid":
        assert "why: " in out
        return
    assert out.count("chain: ") >= 2 and "root (trusted)" in out
    roots = load_certificates([REAL_TSA / f"{entry['id']}.root.pem"])
    extra = load_certificates(_extra(entry))
    expected = _expected(entry)
    changed = (bytes([expected[0] ^ 1]) + expected[1:] if isinstance(expected, bytes)
               else (expected[0], bytes([expected[1][0] ^ 1]) + expected[1][1:]))
    bad = check_timestamp((REAL_TSA / f"{entry['id']}.tsr").read_bytes(), changed, roots, extra)
    assert bad.verdict == "invalid" and "message imprint" in bad.reason
    if entry["openssl_at_gen_time"] == "OK":  # the second implementation agrees
        gen_time = datetime.fromisoformat(entry["gen_time"])
        args = ["ts", "-verify", "-in", str(REAL_TSA / f"{entry['id']}.tsr"), "-CAfile",
                str(REAL_TSA / f"{entry['id']}.root.pem"), "-attime",
                str(int(gen_time.timestamp()))]
        args += (["-data", str(REAL_TSA / f"{entry['id']}.data")] if isinstance(expected, bytes)
                 else ["-digest", expected[1].hex()])
        for path in _extra(entry):
            args += ["-untrusted", str(path)]
        done = openssl(*args)
        assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr


def test_real_tokens_are_kept_as_received() -> None:
    """Tokens in the authority's order are parsed from a copy in DER order; the stored bytes
    (and what the signature covers) are the reply's own."""
    reordered = [e["id"] for e in INDEX if not e["der_sorted"]]
    assert {"digicert-2025", "freetsa-2025a", "globalsign-r6-2026"} <= set(reordered)
    for name in reordered:
        reply = (REAL_TSA / f"{name}.tsr").read_bytes()
        parts = token_parts(reply)
        assert parts.for_parser != reply and len(parts.for_parser) == len(reply)
        token = check_token(reply, _expected(next(e for e in INDEX if e["id"] == name)),
                            load_certificates([REAL_TSA / f"{name}.root.pem"]))
        assert token.reply == reply


def test_the_trusted_root_wins_over_an_embedded_cross_signed_copy() -> None:
    """DigiCert embeds "Trusted Root G4" cross-signed by an older root that certifi no longer
    ships; the chain ends at the self-signed root the verifier holds (certifi has it)."""
    reply = (REAL_TSA / "digicert-2025.tsr").read_bytes()
    embedded = [x509.load_der_x509_certificate(c) for c in token_parts(reply).certificates]
    cross = [c for c in embedded
             if c.issuer != c.subject and "Root G4" in c.subject.rfc4514_string()]
    assert cross, "the token embeds a cross-signed root"
    token = check_token(reply, (REAL_TSA / "digicert-2025.data").read_bytes(),
                        load_certificates([REAL_TSA / "digicert-2025.root.pem"]))
    assert token.chain[-1].issuer == token.chain[-1].subject and token.chain[-1] not in cross
    from archiver.custody.timestamp import default_roots

    assert check_token(reply, (REAL_TSA / "digicert-2025.data").read_bytes(),
                       default_roots()).chain[-1] == token.chain[-1]


def test_check_timestamp_refuses_what_is_not_a_reply(capsys, tmp_path: Path) -> None:
    entry = INDEX[0]
    code, _, err = run(capsys, "check-timestamp", str(REAL_TSA / "index.json"), "--data",
                       str(REAL_TSA / f"{entry['id']}.data"))
    assert code == 2 and err.startswith(f"archiver: {REAL_TSA / 'index.json'}: not an RFC 3161")
    code, _, err = run(capsys, "check-timestamp", str(REAL_TSA / f"{entry['id']}.tsr"),
                       "--digest", "md5:00")
    assert code == 2 and "not a digest" in err
    code, out, _ = run(capsys, "check-timestamp", str(REAL_TSA / "digicert-2026.tsr"),
                       "--digest", "sha512:" + "00" * 64)
    assert code == 1 and "why: it stamps a sha256 digest, not sha512" in out
    code, out, _ = run(capsys, "check-timestamp", str(REAL_TSA / "freetsa-2025a.tsr"),
                       "--data", str(REAL_TSA / "freetsa-2025a.data"))  # its root: not certifi's
    assert code == 1 and "why: its chain ends at 'www.freetsa.org'" in out


def test_the_test_tsa_embeds_its_chain_leaf_first(tsa: Tsa) -> None:
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder
    from tsaserver import reply

    query = TimestampRequestBuilder().data(b"x").hash_algorithm(HashAlgorithm.SHA256).cert_request(
        cert_request=True).build()
    answer = reply(tsa.folder, "good", query.as_bytes())
    certs = [x509.load_der_x509_certificate(c) for c in token_parts(answer).certificates]
    assert [c.subject.rfc4514_string() for c in certs] == [
        "CN=archiver test TSA good", "CN=archiver test TSA CA", "CN=archiver test CA"]
    assert token_parts(answer).for_parser != answer  # not in DER order, as real ones
    assert check_token(answer, b"x", load_certificates([tsa.ca])).chain == certs


# --- attacks on a sealed collection


def _sealed(capsys, root: Path, tsa: Tsa) -> Path:
    code, _, err = seal(capsys, root, tsa)
    assert code == 0, err
    return only_seal(root)


def test_a_flipped_byte_in_the_embedded_tsa_certificate(root: Path, tsa: Tsa, capsys) -> None:
    folder = _sealed(capsys, root, tsa)
    reply = (folder / "tsa-1.tsr").read_bytes()
    leaf = token_parts(reply).certificates[0]
    at = reply.index(leaf) + len(leaf) // 2  # inside the signed part of the certificate
    flipped = reply[:at] + bytes([reply[at] ^ 0x01]) + reply[at + 1:]
    with pytest.raises(TimestampError, match="ESS sha256 certificate ID"):
        check_token(flipped, (folder / "seal.json").read_bytes(), load_certificates([tsa.ca]))
    (folder / "tsa-1.tsr").write_bytes(flipped)
    # OpenSSL, given only the root, refuses it too (given tsa-1.pem with -untrusted, it takes
    # the signer's certificate from there and passes: archiver checks the one embedded)
    done = openssl("ts", "-verify", "-data", str(folder / "seal.json"), "-in",
                   str(folder / "tsa-1.tsr"), "-CAfile", str(tsa.ca))
    assert done.returncode != 0 and "Verification: OK" not in done.stdout
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["timestamp-invalid"] == [
        (f"seals/{folder.name}/tsa-1.tsr", "error")]


def test_tokens_removed_from_the_newest_seal(root: Path, tsa: Tsa, capsys) -> None:
    folder = _sealed(capsys, root, tsa)
    for name in ("tsa-1.tsr", "tsa-1.pem"):
        (folder / name).unlink()
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["timestamp-invalid"] == [
        (f"seals/{folder.name}/tsa-1.tsr", "error")]
    assert "listed in tokens.json but missing" in json.dumps(report)
    for name in ("tokens.json", "tokens.sig"):  # and the list that binds them
        (folder / name).unlink()
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["timestamp-invalid"] == [
        (f"seals/{folder.name}/tokens.json", "error")]
    assert report["documents"][0]["custody"]["status"] == "invalid"


def test_a_token_added_or_moved_between_seals(root: Path, tsa: Tsa, capsys) -> None:
    first = _sealed(capsys, root, tsa)
    _edit_text(root, "one", "The one text, edited.\n", record=True)
    assert seal(capsys, root, tsa)[0] == 0
    second = seal_dirs(Collection(root))[1]
    shutil.copy(first / "tsa-1.tsr", second / "tsa-2.tsr")
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["timestamp-invalid"] == [
        (f"seals/{second.name}/tsa-2.tsr", "error")]
    assert "not listed in tokens.json: a token added" in json.dumps(report)


def test_a_gentime_before_the_seal_was_made(root: Path, tsa: Tsa, capsys,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The expired TSA signs at 2025-01-01 (faketime): a token 'older' than the statement it
    stamps, as another authority's backdated token would be. seal refuses it; a seal made
    by a tool that does not (here: one allowing any skew) fails verify."""
    code, _, err = seal(capsys, root, tsa, "expired")
    assert code == 2 and "is before this seal's time" in err and not seal_dirs(Collection(root))
    monkeypatch.setattr("archiver.custody.seal.CLOCK_SKEW", timedelta(days=10_000))
    code, _, err = seal(capsys, root, tsa, "expired")
    assert code == 0, err
    folder = only_seal(root)
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["timestamp-invalid"] == [
        (f"seals/{folder.name}/tsa-1.tsr", "error")]
    assert "is before the seal's sealed_at" in json.dumps(report)


def test_a_gentime_before_the_previous_seals(root: Path, tsa: Tsa, capsys) -> None:
    key, private = _alice(root)
    gen_time = datetime.fromisoformat(EXPIRED_SIGNS_AT).replace(tzinfo=UTC)
    roots = load_certificates([tsa.ca])
    make_seal(Collection(root), key, private, tsas=[tsa.url("good")], roots=roots,
              now=gen_time - timedelta(hours=2))  # stamped today
    _edit_text(root, "one", "The one text, edited.\n", record=True)
    second = make_seal(Collection(root), key, private, tsas=[tsa.url("expired")], roots=roots,
                       now=gen_time - timedelta(minutes=1)).path  # stamped 2025-01-01
    code, report = verify(capsys, root, "--tsa-ca", str(tsa.ca))
    assert code == 1 and codes(report)["timestamp-invalid"] == [
        (f"seals/{second.name}/tsa-1.tsr", "error")]
    assert "before the previous seal's" in json.dumps(report)


def test_the_chain_remade_under_another_key_named_alice(root: Path, tmp_path: Path, tsa: Tsa,
                                                       capsys) -> None:
    """The attacker re-makes every seal with a key of their own named alice, stamped by a TSA
    whose certificates carry DigiCert's names; the verifier pinned the real alice."""
    _sealed(capsys, root, tsa)
    assert verify(capsys, root)[0] == 0  # the trust file remembers the newest seal here
    fake = tmp_path / "fake-digicert"
    fake.mkdir()
    make_pki(fake, ("DigiCert Trusted Root G4", "DigiCert Trusted G4 TimeStamping RSA4096 "
                    "SHA256 2025 CA1", "DigiCert SHA256 RSA4096 Timestamp Responder"))
    shutil.rmtree(root / "seals")
    forger = Ed25519PrivateKey.generate()
    (root / "keys" / "alice.pub").write_bytes(public_key_text("alice", forger.public_key()))
    with serving(fake) as other, pytest.MonkeyPatch.context() as attacker:
        attacker.setenv("XDG_CONFIG_HOME", str(tmp_path / "attacker"))  # their own machine
        result = make_seal(Collection(root), PublicKey("alice", "keys/alice.pub",
                                                       forger.public_key()), forger,
                           tsas=[other.url("good")], roots=load_certificates([other.ca]))
    assert result.tokens[0][1].tsa == "DigiCert SHA256 RSA4096 Timestamp Responder good"
    code, report = verify(capsys, root)
    rel = f"seals/{result.path.name}"
    found = codes(report)
    assert code == 1
    assert found["seal-untrusted"] == [(f"{rel}/seal.json", "error")]
    assert found["timestamp-untrusted"] == [(f"{rel}/tsa-1.tsr", "error")]
    assert found["seal-rollback"] == [("seals", "error")]
    assert report["documents"][0]["custody"]["status"] == "invalid"
    assert fingerprint(forger.public_key()) in json.dumps(report)


def test_an_unpinned_key_is_a_warning_and_strict_fails(root: Path, tsa: Tsa, capsys,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """An outsider with no trust file: nothing pins alice; --trust-key pins her."""
    folder = _sealed(capsys, root, tsa)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "outsider"))
    code, report = verify(capsys, root, "--tsa-ca", str(tsa.ca))
    assert code == 0 and codes(report)["seal-unpinned"] == [("keys/alice.pub", "warning")]
    custody = report["documents"][0]["custody"]
    assert custody["status"] == "sealed" and " by an unpinned key alice (" in custody["text"]
    code, out, _ = run(capsys, "verify", "--root", str(root), "--tsa-ca", str(tsa.ca),
                       "--strict", "--jobs", "1")
    assert code == 1 and "by an unpinned key alice" in out
    statement = json.loads((folder / "seal.json").read_bytes())
    alice = statement["key"]["fingerprint"]
    code, report = verify(capsys, root, "--tsa-ca", str(tsa.ca), "--trust-key", alice)
    assert code == 0 and "seal-unpinned" not in codes(report)
    other = fingerprint(Ed25519PrivateKey.generate().public_key())
    code, report = verify(capsys, root, "--tsa-ca", str(tsa.ca), "--trust-key", other)
    assert code == 1 and codes(report)["seal-untrusted"] == [
        (f"seals/{folder.name}/seal.json", "error")]
    code, report = verify(capsys, root)  # the outsider trusts no test TSA root
    assert code == 1 and codes(report)["timestamp-untrusted"] == [
        (f"seals/{folder.name}/tsa-1.tsr", "error")]
    code, _, err = run(capsys, "verify", "--root", str(root), "--trust-key", "alice")
    assert code == 2 and "not a key fingerprint" in err


def test_a_rollback_is_caught_by_the_published_sha256(root: Path, tsa: Tsa, capsys) -> None:
    _sealed(capsys, root, tsa)
    _edit_text(root, "one", "The one text, edited.\n", record=True)
    code, out, _ = seal(capsys, root, tsa)
    published = out.splitlines()[1].split()[0]
    newest = seal_dirs(Collection(root))[-1]
    assert published == "sha256:" + sha256_bytes((newest / "seal.json").read_bytes())
    code, _, err = run(capsys, "verify", "--root", str(root), "--expect-seal", published,
                       "--jobs", "1")
    assert code == 0 and f"the seal {published} is in the chain; 0 seal(s) follow it" in err
    shutil.rmtree(newest)
    _edit_text(root, "one", "The one text, edited.\n", record=False)  # hide the change
    code, report = verify(capsys, root, "--expect-seal", published)
    # one for --expect-seal, one for the newest seal the first verify remembered
    assert code == 1 and codes(report)["seal-rollback"] == [("seals", "error")] * 2


def test_the_trust_file_remembers_the_newest_seal(root: Path, tsa: Tsa, capsys,
                                                 config_home: Path) -> None:
    folder = _sealed(capsys, root, tsa)
    assert verify(capsys, root)[0] == 0
    trust = json.loads((config_home / "archiver" / "trust.json").read_text())
    [chain] = trust["chains"]
    assert chain["seal"] == folder.name and chain["root"] == str(root.resolve())
    assert [k["name"] for k in trust["keys"]] == ["alice"]
    assert len(trust["tsa_roots"]) == 1  # the test TSA's root, given to seal with --tsa-ca
    shutil.rmtree(root / "seals")
    code, report = verify(capsys, root)
    assert code == 1 and codes(report)["seal-rollback"] == [("seals", "error")]


# --- one key for every collection


def test_one_key_for_a_second_collection(root: Path, tmp_path: Path, tsa: Tsa,
                                         capsys) -> None:
    second = tmp_path / "second"
    assert run(capsys, "init", "--root", str(second))[0] == 0
    src = tmp_path / "three.txt"
    src.write_text("The third text.\n")
    assert run(capsys, "add", str(src), "--root", str(second), "--url", "https://e.org/3")[0] == 0
    code, _, err = run(capsys, "key", "new", "alice", "--root", str(second))
    assert code == 2 and "'archiver seal --key alice' adds keys/alice.pub" in err
    assert not (second / "keys" / "alice.pub").exists()
    code, _, err = seal(capsys, second, tsa, extra=("--key", "alice"))
    assert code == 0, err
    assert (second / "keys" / "alice.pub").read_bytes() == (root / "keys" / "alice.pub"
                                                            ).read_bytes()
    statement = json.loads((only_seal(second) / "seal.json").read_bytes())
    assert [k["path"] for k in statement["keys"]] == ["keys/alice.pub"]
    code, report = verify(capsys, second)
    assert code == 0 and report["documents"][0]["custody"]["status"] == "sealed", codes(report)
    code, _, err = seal(capsys, second, tsa, extra=("--key", "carol"))
    assert code == 2 and "no such key in keys/" in err


@pytest.mark.parametrize("name", ["digicert-2026", "microsoft-2025a", "sigstage-2025-nocert"])
def test_a_changed_byte_anywhere_gives_a_verdict_not_a_traceback(name: str) -> None:
    """Every 17th byte of a real reply flipped in turn: each copy is invalid, or no reply at
    all (TimestampUnreadable: check-timestamp's exit 2), and no other exception escapes; it
    stays valid only where the byte is in an embedded certificate its chain does not use (the
    certificates field is outside what the TSA signs) or in SignedData's version and digest
    algorithm list or the signer's signatureAlgorithm (unsigned, and not what is used: the
    certificate's key says how the signature is checked)."""
    from archiver.custody.der import _children, _path
    from archiver.custody.timestamp import TimestampUnreadable

    entry = next(e for e in INDEX if e["id"] == name)
    reply = (REAL_TSA / f"{name}.tsr").read_bytes()
    roots = load_certificates([REAL_TSA / f"{name}.root.pem"])
    extra = load_certificates(_extra(entry))
    chain = check_token(reply, _expected(entry), roots, extra).chain
    used = {c.public_bytes(serialization.Encoding.DER) for c in chain}
    signed = _path(reply)[1]
    field = next(f for f in _children(reply, signed) if f.tag == 0xA0) if name != \
        "sigstage-2025-nocert" else None
    unused = [range(c.start, c.end) for c in (_children(reply, field) if field else [])
              if c.raw(reply) not in used]
    unused.append(range(signed.body, _children(reply, signed)[2].start))  # version, digests
    [info] = _children(reply, _children(reply, signed)[-1])
    fields = _children(reply, info)
    after = next(n for n, f in enumerate(fields) if f.tag == 0xA0) + 1  # the signed attributes
    unused.append(range(fields[after].start, fields[after].end))  # its signatureAlgorithm
    verdicts = {"valid": 0, "invalid": 0, "unreadable": 0}
    for at in range(0, len(reply), 17):
        changed = reply[:at] + bytes([reply[at] ^ 0x10]) + reply[at + 1:]
        try:
            verdict = check_timestamp(changed, _expected(entry), roots, extra).verdict
        except TimestampUnreadable:
            verdict = "unreadable"
        verdicts[verdict] += 1
        if verdict == "valid":
            assert any(at in span for span in unused), (at, verdicts)
    assert verdicts["invalid"] > verdicts["valid"]


def test_a_seal_of_format_1_is_read_as_before(root: Path, tsa: Tsa, capsys,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Seals made before tokens were bound (archiver-seal/1, no tokens.json) still verify;
    the same seal claiming format 2 without tokens.json does not."""
    monkeypatch.setattr("archiver.custody.seal.FORMAT", "archiver-seal/1")
    folder = _sealed(capsys, root, tsa)
    for name in ("tokens.json", "tokens.sig"):
        (folder / name).unlink()
    code, report = verify(capsys, root)
    assert code == 0 and report["documents"][0]["custody"]["status"] == "sealed", codes(report)
    assert json.loads((folder / "seal.json").read_bytes())["format"] == "archiver-seal/1"


def _pin_keys(path: str, first: int, count: int) -> None:
    """In a process of its own: pin ``count`` keys, one update each, as ``key new`` does."""
    from archiver.custody.trust import TrustFile

    for n in range(first, first + count):
        TrustFile.load(Path(path)).update(lambda trust, n=n: trust.keys.__setitem__(
            f"{n:064x}", f"key-{n}"))


def test_runs_that_update_the_trust_file_at_once_lose_nothing(tmp_path: Path) -> None:
    """Three processes each pin 40 keys at the same time (verify remembering seals, key new and
    seal adding roots update the file the same way): every key is pinned in the end, as each
    update reads the file as it is under its lock rather than overwriting it with an old copy."""
    import multiprocessing

    from archiver.custody.trust import TrustFile

    path = tmp_path / "config" / "archiver" / "trust.json"
    context = multiprocessing.get_context("spawn")
    runs = [context.Process(target=_pin_keys, args=(str(path), k * 1000, 40)) for k in range(3)]
    for run_ in runs:
        run_.start()
    for run_ in runs:
        run_.join(120)
    assert [r.exitcode for r in runs] == [0, 0, 0]
    assert sorted(TrustFile.load(path).keys.values()) == sorted(
        f"key-{k * 1000 + n}" for k in range(3) for n in range(40))
