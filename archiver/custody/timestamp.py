"""RFC 3161 timestamps (rfc3161-client): ask a TSA for a token over a seal, and verify one
offline at its genTime against the certificate chain stored beside it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from archiver.errors import ArchiverError

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampError(ArchiverError):
    """A TSA did not give a token that verifies (one TSA failing is reported, not fatal)."""


@dataclass(frozen=True)
class Token:
    """A verified timestamp: the TSA's reply as received and its chain, leaf to root."""

    reply: bytes
    chain: list[x509.Certificate]
    gen_time: datetime
    tsa: str

    def chain_pem(self) -> bytes:
        """The chain as PEM, leaf first (``openssl ts -verify -CAfile`` reads it whole)."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    @property
    def root_fingerprint(self) -> str:
        """``sha256:<hex>`` of the root certificate (DER), to compare with the TSA's own."""
        return "sha256:" + self.chain[-1].fingerprint(hashes.SHA256()).hex()


def _name(cert: x509.Certificate) -> str:
    cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else cert.subject.rfc4514_string()


def _signer(response: TimeStampResponse, certs: list[x509.Certificate]) -> x509.Certificate:
    infos = list(response.signed_data.signer_infos)
    if len(infos) != 1:
        raise VerificationError(f"{len(infos)} signer infos where one is expected")
    info = infos[0]
    for cert in certs:
        if cert.issuer == info.issuer and cert.serial_number == info.serial_number:
            return cert
    raise VerificationError("the token holds no certificate of its signer")


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _chain(leaf: x509.Certificate, pool: list[x509.Certificate]) -> list[x509.Certificate]:
    """Leaf to self-signed root, each certificate signed by the next, from ``pool``."""
    chain = [leaf]
    while chain[-1].issuer != chain[-1].subject:
        issuer = next((c for c in pool if c not in chain and _issued_by(chain[-1], c)), None)
        if issuer is None:
            raise VerificationError(f"no certificate of its issuer "
                                    f"{chain[-1].issuer.rfc4514_string()}")
        chain.append(issuer)
    return chain


def _verified(reply: bytes, data: bytes, chain: list[x509.Certificate] | None,
              roots: list[x509.Certificate], nonce: int | None = None) -> Token:
    """Verify ``reply`` over ``data`` at its genTime; raise VerificationError or ValueError."""
    response = decode_timestamp_response(reply)
    imprint = response.tst_info.message_imprint.message
    if imprint != hashlib.sha256(data).digest():
        raise VerificationError(f"its message imprint {imprint.hex()[:16]}… is not the "
                                f"seal's sha256 {hashlib.sha256(data).hexdigest()[:16]}…")
    certs = [x509.load_der_x509_certificate(c) for c in response.signed_data.certificates]
    if chain is None:
        chain = _chain(_signer(response, certs), certs + roots)
        if chain[-1] not in roots:
            raise VerificationError(f"its root {_name(chain[-1])!r} is not among the trusted "
                                    "roots (give the TSA's CA with --tsa-ca)")
    stored_roots = [c for c in chain if c.issuer == c.subject]
    if not stored_roots:
        raise VerificationError("the stored chain holds no root certificate")
    builder = VerifierBuilder(roots=stored_roots,
                              intermediates=[c for c in chain if c not in stored_roots],
                              nonce=nonce)
    # rfc3161-client checks every certificate at the token's genTime, not today: a TSA
    # certificate that expired since is still good evidence of that time
    builder.build().verify_message(response, data)
    leaf = _signer(response, certs + chain)
    return Token(reply, chain, response.tst_info.gen_time, _name(leaf))


def request_token(url: str, data: bytes, roots: list[x509.Certificate], *,
                  timeout: float = 30.0) -> Token:
    """Ask the TSA at ``url`` for a token over sha256(``data``), with a nonce and its
    certificates; verify it (nonce included) against ``roots`` before it is kept."""
    import requests

    request = (TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256)
               .nonce(nonce=True).cert_request(cert_request=True).build())
    try:
        answer = requests.post(url, data=request.as_bytes(), timeout=timeout,
                               headers={"Content-Type": QUERY_TYPE})
    except requests.RequestException as exc:
        raise TimestampError(url, f"no answer: {exc}") from None
    if answer.status_code != 200:
        raise TimestampError(url, f"HTTP {answer.status_code}")
    try:
        return _verified(answer.content, data, None, roots, nonce=request.nonce)
    except (VerificationError, ValueError, x509.InvalidVersion) as exc:
        raise TimestampError(url, f"its token does not verify: {exc}") from None


def verify_token(reply: bytes, data: bytes, chain_pem: bytes) -> Token:
    """Verify a stored token over ``data`` at its genTime against its stored chain."""
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
        return _verified(reply, data, chain, [])
    # InvalidVersion is no ValueError: a certificate that claims a version past v3
    except (VerificationError, ValueError, x509.InvalidVersion) as exc:
        raise TimestampError(None, str(exc)) from None


def load_roots(paths: list[Path]) -> list[x509.Certificate]:
    """Trusted TSA roots from PEM files; without any, the certifi bundle (public TSAs such
    as DigiCert's and Sectigo's chain to roots in it)."""
    if not paths:
        import certifi

        paths = [Path(certifi.where())]
    roots = []
    for path in paths:
        try:
            roots += x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError, x509.InvalidVersion) as exc:
            raise ArchiverError(path, f"not a readable PEM certificate file ({exc})") from None
    return roots
