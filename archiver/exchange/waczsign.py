"""WACZ signing, anonymous mode of the WACZ Signing and Verification spec 0.1.0: the `hash`
of datapackage.json signed with ECDSA P-384 over SHA-256, as ArchiveWeb.page signs and
wabac.js (ReplayWeb.page) verifies: the signature as base64 of the raw r||s pair (IEEE P1363,
what WebCrypto produces), the public key as base64 of its DER SubjectPublicKeyInfo."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from archiver import __version__
from archiver.errors import ArchiverError

SPEC_VERSION = "0.1.0"
CURVE = ec.SECP384R1
_HALF = 48  # bytes of r and of s on P-384
_MAKE_KEY = "openssl ecparam -name secp384r1 -genkey -noout -out wacz-signing.pem"


def load_signing_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The unencrypted ECDSA P-384 private key in the PEM file at ``path``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArchiverError(path, f"cannot read: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # cryptography's word for an encrypted key given no password
        raise ArchiverError(path, "the key is encrypted; give an unencrypted PEM key") from None
    except ValueError:
        raise ArchiverError(path, f"not a PEM private key (make one with: {_MAKE_KEY})") from None
    if not (isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, CURVE)):
        raise ArchiverError(path, "not an ECDSA P-384 key: WACZ signing (anonymous mode) signs "
                                  f"with ECDSA P-384 and SHA-256 (make one with: {_MAKE_KEY})")
    return key


def signed_data(package_hash: str, created: str, key: ec.EllipticCurvePrivateKey
                ) -> dict[str, Any]:
    """The ``signedData`` of ``datapackage-digest.json`` for a datapackage.json whose digest
    is ``package_hash`` (``sha256:<hex>``) and whose ``created`` is ``created``."""
    der = key.sign(package_hash.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "hash": package_hash,
        "created": created,
        "software": f"archiver {__version__}",
        "version": SPEC_VERSION,
        "signature": base64.b64encode(r.to_bytes(_HALF) + s.to_bytes(_HALF)).decode("ascii"),
        "publicKey": base64.b64encode(public).decode("ascii"),
    }
