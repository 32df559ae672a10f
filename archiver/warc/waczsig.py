"""WACZ signature verification, as the WACZ Signing and Verification spec (wacz-auth 0.1.0) has it.

``datapackage-digest.json`` may carry ``signedData``: a signature of its ``hash`` (the text
``sha256:<hex>`` of ``datapackage.json``), made with ECDSA over SHA-256 of that text's bytes.

- **anonymous**: ``publicKey`` is the base64 DER SubjectPublicKeyInfo of the key (P-384 from
  ArchiveWeb.page); the signature is IEEE P1363 ``r||s`` (WebCrypto's) or DER (Python's).
  It proves only that whoever holds that key signed this package: the key is the signer.
- **domain**: ``domainCert`` is a PEM chain whose first certificate holds the key and names
  ``domain``; ``timeSignature`` is the base64 DER of an RFC 3161 TimeStampResp over the
  ``signature`` text, by the first certificate of the PEM chain ``timestampCert``, whose time
  must be within 10 minutes of ``created`` (authsign, the spec's own implementation, allows
  ``created`` up to 10 minutes before the stamp, never after). Each chain must hold together
  (every certificate signed by the next) and end at a root in the trust store (certifi's
  Mozilla bundle; the TSA's root also from ``extra_roots``), or the signature is "untrusted".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtensionOID, NameOID

Status = Literal["unsigned", "verified", "untrusted", "invalid"]
Mode = Literal["anonymous", "domain"]
STAMP_WINDOW = timedelta(minutes=10)
_ANONYMOUS = {"hash", "created", "software", "version", "signature", "publicKey"}
_DOMAIN = {"hash", "created", "software", "version", "signature", "domain", "domainCert",
           "timeSignature", "timestampCert", "crossSignedCert"}


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of one WACZ proves: its status, mode, signer and the reasons."""

    status: Status
    mode: Mode | None = None
    # the domain (domain mode), or "ecdsa key sha256:<hex of the SubjectPublicKeyInfo>"
    signer: str | None = None
    software: str | None = None
    created: str | None = None
    timestamp: str | None = None  # the TSA's time (domain mode), ISO 8601
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def message(self) -> str:
        """One line for a person."""
        if self.status == "unsigned":
            return "not signed"
        who = f"{self.mode} signature by {self.signer or 'an unknown signer'}"
        if self.status == "verified":
            stamp = f", timestamped {self.timestamp}" if self.timestamp else ""
            return f"{who} verifies{stamp}"
        return f"{who} is {self.status}: {'; '.join(self.problems)}"


def verify_digest(digest: Any, package_sha256: str,
                  extra_roots: Iterable[x509.Certificate] = ()) -> SignatureCheck:
    """Check the ``signedData`` of a parsed ``datapackage-digest.json`` against the sha256 hex
    of ``datapackage.json`` as found; ``extra_roots`` are further trusted roots (TSAs)."""
    signed = digest.get("signedData") if isinstance(digest, dict) else None
    if signed is None:
        return SignatureCheck("unsigned")
    if not isinstance(signed, dict):
        return SignatureCheck("invalid", problems=("signedData is not an object",))
    mode: Mode = "anonymous" if "publicKey" in signed else "domain"
    base = {"mode": mode, "software": _text(signed.get("software")),
            "created": _text(signed.get("created"))}
    problems = _structure(signed, mode)
    expected = f"sha256:{package_sha256}"
    if signed.get("hash") != expected:
        problems.append(f"signedData.hash {signed.get('hash')!r} is not the sha256 of "
                        f"datapackage.json ({expected})")
    if isinstance(digest, dict) and digest.get("hash") != signed.get("hash"):
        problems.append("signedData.hash differs from the digest file's hash")
    if problems:
        return SignatureCheck("invalid", **base, problems=tuple(problems))
    if mode == "anonymous":
        return _anonymous(signed, base)
    return _domain(signed, base, tuple(extra_roots))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _structure(signed: dict[str, Any], mode: Mode) -> list[str]:
    """The spec's shape: the fields of one format, all strings, no others."""
    allowed = _ANONYMOUS if mode == "anonymous" else _DOMAIN
    required = ({"hash", "signature", "publicKey"} if mode == "anonymous" else
                {"hash", "signature", "domain", "domainCert", "timeSignature", "timestampCert",
                 "created"})
    problems = [f"signedData has a field the {mode} format does not define: {name}"
                for name in sorted(set(signed) - allowed)]
    problems += [f"signedData lacks {name}" for name in sorted(required - set(signed))]
    problems += [f"signedData.{name} is not a string" for name in sorted(set(signed) & allowed)
                 if not isinstance(signed[name], str)]
    return problems


def _b64(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"{name} is not base64") from None


class _Invalid(ValueError):
    """A signature that does not verify, with the reason."""


def _verify_ecdsa(key: object, signature: bytes, message: bytes) -> None:
    """ECDSA with SHA-256, the signature as DER or as P1363 ``r||s``; raise _Invalid."""
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise _Invalid(f"the key is not an ECDSA key ({type(key).__name__})")
    candidates = [signature]
    size = (key.curve.key_size + 7) // 8
    if len(signature) == 2 * size:  # WebCrypto's encoding: r and s, each fixed width
        r, s = (int.from_bytes(signature[i:i + size], "big") for i in (0, size))
        candidates.append(encode_dss_signature(r, s))
    for candidate in candidates:
        try:
            key.verify(candidate, message, ec.ECDSA(hashes.SHA256()))
            return
        except (InvalidSignature, ValueError):
            continue
    raise _Invalid("the signature of the hash does not verify with the key")


def key_fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    """How an anonymous signer is named: the sha256 of its DER SubjectPublicKeyInfo."""
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"ecdsa key sha256:{hashlib.sha256(der).hexdigest()}"


def _anonymous(signed: dict[str, Any], base: dict[str, Any]) -> SignatureCheck:
    try:
        key = serialization.load_der_public_key(_b64(signed["publicKey"], "publicKey"))
    except (ValueError, UnsupportedAlgorithm) as exc:
        return SignatureCheck("invalid", **base, problems=(f"publicKey is no public key "
                                                           f"({exc})",))
    signer = key_fingerprint(key) if isinstance(key, ec.EllipticCurvePublicKey) else None
    try:
        _verify_ecdsa(key, _b64(signed["signature"], "signature"),
                      signed["hash"].encode("utf-8"))
    except _Invalid as exc:
        return SignatureCheck("invalid", **base, signer=signer, problems=(str(exc),))
    return SignatureCheck("verified", **base, signer=signer)


def _chain(pem: str, name: str) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise _Invalid(f"{name} is no PEM certificate chain ({exc})") from None
    for cert, issuer in pairwise(certs):
        if not _signed_by(cert, issuer):
            raise _Invalid(f"{name}: {cert.subject.rfc4514_string()} is not signed by the "
                           f"next certificate, {issuer.subject.rfc4514_string()}")
    return certs


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    algorithm = cert.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _names(cert: x509.Certificate) -> list[str]:
    names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        names += san.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    return names


@cache
def _store() -> tuple[x509.Certificate, ...]:
    """The roots in certifi's bundle (Mozilla's trust store)."""
    import certifi

    with open(certifi.where(), "rb") as fh, warnings.catch_warnings():
        # a root in the bundle has a serial number RFC 5280 forbids; it is a root all the same
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return tuple(x509.load_pem_x509_certificates(fh.read()))


@cache
def _store_fingerprints() -> frozenset[bytes]:
    """sha256 fingerprints of the roots in the trust store."""
    return frozenset(c.fingerprint(hashes.SHA256()) for c in _store())


def _trusted(chain: list[x509.Certificate], extra: tuple[x509.Certificate, ...]) -> bool:
    """Whether the chain (each certificate already checked to be signed by the next) reaches a
    trusted root: one of its certificates is a root of the store, or is signed by one. The
    second way anchors a chain that ends in a cross-signed copy of a root (Let's Encrypt's
    R3 -> ISRG Root X1 signed by DST Root CA X3) at the self-signed root the store holds."""
    roots = _store_fingerprints() | {c.fingerprint(hashes.SHA256()) for c in extra}
    anchors = (*_store(), *extra)
    for cert in chain:
        if cert.fingerprint(hashes.SHA256()) in roots:
            return True
        if any(root.subject == cert.issuer and _signed_by(cert, root) for root in anchors):
            return True
    return False


def _domain(signed: dict[str, Any], base: dict[str, Any],
            extra_roots: tuple[x509.Certificate, ...]) -> SignatureCheck:
    base = {**base, "signer": signed["domain"]}
    untrusted = []
    try:
        domain_chain = _chain(signed["domainCert"], "domainCert")
        stamp_chain = _chain(signed["timestampCert"], "timestampCert")
        if not domain_chain or not stamp_chain:
            raise _Invalid("a certificate chain is empty")
        leaf = domain_chain[0]
        _verify_ecdsa(leaf.public_key(), _b64(signed["signature"], "signature"),
                      signed["hash"].encode("utf-8"))
        if signed["domain"] not in _names(leaf):
            raise _Invalid(f"domain {signed['domain']!r} is not the certificate's subject "
                           f"({', '.join(_names(leaf)) or 'no name'})")
        stamped = _timestamp(signed, stamp_chain)
        created = _created(signed["created"])
        if not created - STAMP_WINDOW <= stamped <= created + STAMP_WINDOW:
            raise _Invalid(f"created {signed['created']} is not within 10 minutes of the "
                           f"timestamp {stamped:%Y-%m-%dT%H:%M:%SZ}")
        if not leaf.not_valid_before_utc <= created <= leaf.not_valid_after_utc:
            raise _Invalid(f"the domain certificate was not valid at {signed['created']}")
    except _Invalid as exc:
        return SignatureCheck("invalid", **base, problems=(str(exc),))
    when = f"{stamped:%Y-%m-%dT%H:%M:%SZ}"
    for name, chain in (("domainCert", domain_chain), ("timestampCert", stamp_chain)):
        if not _trusted(chain, extra_roots):
            untrusted.append(f"{name} does not end at a trusted root "
                             f"({chain[-1].subject.rfc4514_string()})")
    status: Status = "untrusted" if untrusted else "verified"
    return SignatureCheck(status, **base, timestamp=when, problems=tuple(untrusted))


def _created(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid(f"created {value!r} is no ISO 8601 date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamp(signed: dict[str, Any], chain: list[x509.Certificate]) -> datetime:
    """The time at which the TSA of ``chain[0]`` stamped the ``signature`` text."""
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(_b64(signed["timeSignature"], "timeSignature"))
    except ValueError as exc:
        raise _Invalid(f"timeSignature is no RFC 3161 timestamp response ({exc})") from None
    builder = VerifierBuilder().tsa_certificate(chain[0]).add_root_certificate(chain[-1])
    for cert in chain[1:-1]:
        builder = builder.add_intermediate_certificate(cert)
    try:
        builder.build().verify_message(response, signed["signature"].encode("ascii"))
    except VerificationError as exc:
        said = " ".join(str(exc).split())
        raise _Invalid(f"timeSignature does not verify as a timestamp of the signature by "
                       f"the timestampCert ({said[:160]})") from None
    return response.tst_info.gen_time.astimezone(UTC)
