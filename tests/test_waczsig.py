"""Tests for archiver.warc.waczsig: WACZ signatures (wacz-auth) on a WACZ py-wacz packed from
a WARC warcio wrote, signed in the test in anonymous mode as ArchiveWeb.page signs."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from exchange_files import domain_signed, edit_digest, py_wacz, sign_anonymous, warcio_warc

from archiver.warc.check import check_warc
from archiver.warc.wacz import wacz_signature
from archiver.warc.waczsig import key_fingerprint, verify_digest

URL = "http://example.org/signed"
PAGE = b"<html><head><title>Signed</title></head><body><p>signed words</p></body></html>"


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("waczsig")
    return py_wacz(warcio_warc(folder / "page.warc.gz", URL, PAGE), URL, folder / "page.wacz")


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


def signed_data(wacz: Path) -> dict:
    with zipfile.ZipFile(wacz) as z:
        return json.loads(z.read("datapackage-digest.json"))["signedData"]


def test_py_wacz_makes_an_unsigned_wacz(unsigned: Path) -> None:
    assert wacz_signature(unsigned).status == "unsigned"
    assert check_warc(unsigned).verdict == "intact"


@pytest.mark.parametrize("der", [False, True], ids=["webcrypto-r-s", "der"])
def test_an_anonymous_signature_verifies_and_names_its_key(unsigned, key, tmp_path, der) -> None:
    signed = sign_anonymous(unsigned, tmp_path / "signed.wacz", key, der=der)
    result = wacz_signature(signed)
    assert (result.status, result.mode) == ("verified", "anonymous")
    assert result.signer == key_fingerprint(key.public_key())
    assert result.software == "archiver tests" and result.created == "2024-05-01T10:00:00Z"
    report = check_warc(signed)
    assert report.verdict == "intact" and not report.findings


def flip(value: str, at: int) -> str:
    data = bytearray(base64.b64decode(value))
    data[at] ^= 0x01
    return base64.b64encode(bytes(data)).decode()


@pytest.mark.parametrize("field", ["signature", "publicKey-point", "hash"])
def test_a_flipped_byte_makes_the_signature_invalid(unsigned, key, tmp_path, field) -> None:
    signed = sign_anonymous(unsigned, tmp_path / "signed.wacz", key)
    data = signed_data(signed)
    if field == "signature":
        change = {"signature": flip(data["signature"], 10)}
    elif field == "publicKey-point":  # the last byte of the point: another key, same curve
        change = {"publicKey": flip(data["publicKey"], -1)}
    else:
        digits = data["hash"][-1]
        change = {"hash": data["hash"][:-1] + ("0" if digits != "0" else "1")}
    tampered = edit_digest(signed, tmp_path / "tampered.wacz", change)
    assert wacz_signature(tampered).status == "invalid"
    report = check_warc(tampered)
    assert "wacz-signature-invalid" in {f.code for f in report.findings}
    assert report.verdict == "damaged"


def test_a_signature_by_another_key_is_invalid(unsigned, key, tmp_path) -> None:
    signed = sign_anonymous(unsigned, tmp_path / "signed.wacz", key)
    other = sign_anonymous(unsigned, tmp_path / "other.wacz",
                           ec.generate_private_key(ec.SECP384R1()))
    mixed = edit_digest(signed, tmp_path / "mixed.wacz",
                        {"publicKey": signed_data(other)["publicKey"]})
    result = wacz_signature(mixed)
    assert result.status == "invalid"
    assert "does not verify" in result.message


def test_a_field_outside_the_format_is_invalid(unsigned, key, tmp_path) -> None:
    signed = sign_anonymous(unsigned, tmp_path / "signed.wacz", key)
    odd = edit_digest(signed, tmp_path / "odd.wacz", {"domain": "example.org"})
    result = wacz_signature(odd)
    assert result.status == "invalid" and "does not define: domain" in result.message


def test_signed_data_that_is_no_object_is_invalid() -> None:
    assert verify_digest({"hash": "sha256:00", "signedData": "yes"}, "00").status == "invalid"
    assert verify_digest({"hash": "sha256:00"}, "00").status == "unsigned"


HASH = "sha256:" + "ab" * 32


def digest(signed: dict) -> dict:
    return {"path": "datapackage.json", "hash": signed["hash"], "signedData": signed}


def test_a_domain_signature_verifies_with_its_roots(tmp_path) -> None:
    signed, roots = domain_signed(HASH, tmp_path / "tsa")
    result = verify_digest(digest(signed), "ab" * 32, roots)
    assert (result.status, result.mode, result.signer) == ("verified", "domain",
                                                           "signer.example"), result.problems
    assert result.timestamp is not None
    # the same signature, with roots nobody trusts: every check holds but trust
    untrusted = verify_digest(digest(signed), "ab" * 32)
    assert untrusted.status == "untrusted"
    assert any("does not end at a trusted root" in p for p in untrusted.problems)


@pytest.mark.parametrize("change", ["timeSignature", "no-stamp", "signature", "domain",
                                    "created"])
def test_a_domain_signature_that_does_not_hold_is_invalid(tmp_path, change) -> None:
    signed, roots = domain_signed(HASH, tmp_path / "tsa")
    if change == "timeSignature":
        signed["timeSignature"] = flip(signed["timeSignature"], -40)
    elif change == "no-stamp":
        signed["timeSignature"] = base64.b64encode(b"not a timestamp").decode()
    elif change == "signature":
        signed["signature"] = flip(signed["signature"], 12)
    elif change == "domain":
        signed["domain"] = "other.example"
    else:
        signed["created"] = "2020-01-01T00:00:00Z"
    result = verify_digest(digest(signed), "ab" * 32, roots)
    assert result.status == "invalid", result
