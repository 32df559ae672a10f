"""RFC 3161 timestamps: ask a TSA for a token over a seal, and check any token offline at its
genTime, one way for ``seal``, ``verify`` and ``check-timestamp``.

The reply is kept as received. Only the copy handed to rfc3161-client (which verifies the
signature, the signer's certificate and its chain at genTime) has its ``certificates`` SET OF
put in DER order and its attribute certificates left out (``custody.der``): that field is
outside what the TSA signs. The chain is built here, a trusted root first at every step, so a
cross-signed copy of a root embedded in the token never outranks the root the verifier holds;
the TSA certificate must be the one the ESS signing-certificate attribute names."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from archiver.custody.der import HASHES, token_parts
from archiver.errors import ArchiverError

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampError(ArchiverError):
    """A token that does not verify (for ``seal``: one TSA failing is reported, not fatal)."""


class TimestampUntrusted(TimestampError):
    """A token whose chain ends at no root the verifier trusts."""


class TimestampUnreadable(TimestampError):
    """Bytes that are not an RFC 3161 reply at all."""


@dataclass
class TimestampCheck:
    """What checking a token found, as far as it got: verdict ``valid`` or ``invalid``, the
    authority, genTime, hash, chain (leaf to root), what was set aside, and why not valid."""

    verdict: str = "invalid"
    reason: str = ""
    tsa: str | None = None
    gen_time: datetime | None = None
    hash_name: str | None = None
    chain: list[x509.Certificate] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Token:
    """A verified timestamp: the TSA's reply as received and its chain, leaf to trusted root."""

    reply: bytes
    chain: list[x509.Certificate]
    gen_time: datetime
    tsa: str

    def chain_pem(self) -> bytes:
        """The chain as PEM, leaf first (for ``openssl ts -verify -untrusted``)."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    @property
    def root_fingerprint(self) -> str:
        """``sha256:<hex>`` of the root certificate (DER), to compare with the TSA's own."""
        return cert_fingerprint(self.chain[-1])


def cert_fingerprint(cert: x509.Certificate) -> str:
    """``sha256:<hex>`` of a certificate's DER (what ``openssl x509 -fingerprint -sha256``
    prints, without colons)."""
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex()


def cert_name(cert: x509.Certificate) -> str:
    """A certificate's common name, else its whole subject."""
    cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else cert.subject.rfc4514_string()


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _chain(leaf: x509.Certificate, roots: list[x509.Certificate],
           pool: list[x509.Certificate]) -> list[x509.Certificate]:
    """Leaf to a trusted root, each certificate signed by the next: at every step a trusted
    root that signed it ends the chain before any certificate of ``pool`` is tried."""
    chain = [leaf]
    while chain[-1] not in roots:
        last = chain[-1]
        root = next((r for r in roots if _issued_by(last, r)), None)
        if root is not None:
            return [*chain, root]
        if last.issuer == last.subject:
            raise TimestampUntrusted(None, f"its chain ends at {cert_name(last)!r} "
                                           f"({cert_fingerprint(last)[:23]}…), which is not "
                                           "among the trusted roots")
        issuer = next((c for c in pool if c not in chain and _issued_by(last, c)), None)
        if issuer is None:
            raise TimestampUntrusted(None, f"no certificate of its issuer "
                                           f"{last.issuer.rfc4514_string()} (give the TSA's "
                                           "CA as a trusted root)")
        chain.append(issuer)
    return chain


def _check_usage(leaf: x509.Certificate) -> None:
    """RFC 3161 2.3: the TSA certificate's extended key usage is id-kp-timeStamping, critical."""
    try:
        usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise TimestampError(None, "its TSA certificate has no extended key usage "
                                   "(RFC 3161 2.3: id-kp-timeStamping, critical)") from None
    except ValueError as exc:
        raise TimestampError(None, f"its TSA certificate cannot be read: {exc}") from None
    if x509.ExtendedKeyUsageOID.TIME_STAMPING not in usage.value:
        raise TimestampError(None, "its TSA certificate is not for timestamping (no "
                                   "id-kp-timeStamping)")
    if not usage.critical:
        raise TimestampError(None, "its TSA certificate's extended key usage "
                                   "id-kp-timeStamping is not critical (RFC 3161 2.3: it "
                                   "MUST be)")


def _check(found: TimestampCheck, reply: bytes, expected: tuple[str, bytes] | bytes,
           roots: list[x509.Certificate], untrusted: list[x509.Certificate],
           nonce: int | None) -> Token:
    """Check ``reply`` over data (bytes) or a digest (hash name, digest), filling ``found``;
    raise TimestampError (or its kinds) with the reason it is not valid."""
    try:  # rfc3161-client parses some parts only when asked: ask for each here
        parts = token_parts(reply)
        response = decode_timestamp_response(parts.for_parser)
        info = response.tst_info
        found.gen_time = info.gen_time
        algorithm = info.message_imprint.hash_algorithm.dotted_string
        imprint = info.message_imprint.message
        signers = list(response.signed_data.signer_infos)
    except ValueError as exc:
        raise TimestampUnreadable(None, f"not an RFC 3161 reply with a token: {exc}") from None
    found.set_aside = parts.set_aside
    found.hash_name = HASHES.get(algorithm, algorithm)
    if found.hash_name not in ("sha256", "sha384", "sha512"):
        raise TimestampError(None, f"it stamps a {found.hash_name} digest, which is not "
                                   "checked (sha256, sha384 or sha512)")
    if isinstance(expected, bytes):
        digest = hashlib.new(found.hash_name, expected).digest()
    elif expected[0] != found.hash_name:
        raise TimestampError(None, f"it stamps a {found.hash_name} digest, not {expected[0]}")
    else:
        digest = expected[1]
    if imprint != digest:
        raise TimestampError(None, f"its message imprint {imprint.hex()[:16]}… is not the "
                                   f"data's {found.hash_name} {digest.hex()[:16]}…")
    try:  # names are decoded when first used: decode them all here
        embedded = [x509.load_der_x509_certificate(c) for c in parts.certificates]
        for cert in embedded + untrusted:
            cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        if len(signers) != 1:
            raise TimestampError(None, f"{len(signers)} signer infos where one is expected")
        issuer, serial = signers[0].issuer, signers[0].serial_number
        signer = f"serial {serial:x}, issuer {issuer.rfc4514_string()}"
    except (ValueError, TypeError, x509.InvalidVersion) as exc:
        raise TimestampError(None, f"a certificate or signer name in the token cannot be "
                                   f"read: {exc}") from None
    leaf = next((c for c in embedded + untrusted
                 if c.issuer == issuer and c.serial_number == serial), None)
    if leaf is None:
        raise TimestampError(None, f"no certificate of its signer ({signer}); give the TSA's "
                                   "certificate")
    found.tsa = cert_name(leaf)
    if parts.ess is None:
        raise TimestampError(None, "no ESS signing-certificate attribute names the TSA's "
                                   "certificate (RFC 3161 2.4.1 requires one)")
    ess_hash, ess_digest = parts.ess
    der = leaf.public_bytes(serialization.Encoding.DER)
    if ess_hash not in ("sha1", "sha256", "sha384", "sha512") or \
            hashlib.new(ess_hash, der).digest() != ess_digest:
        raise TimestampError(None, f"the TSA certificate {found.tsa!r} is not the one its "
                                   f"signature names (ESS {ess_hash} certificate ID): it was "
                                   "changed")
    _check_usage(leaf)
    found.chain = _chain(leaf, roots, embedded + untrusted)
    builder = VerifierBuilder(roots=[found.chain[-1]], intermediates=found.chain[1:-1],
                              tsa_certificate=leaf, nonce=nonce)
    try:
        # rfc3161-client checks every certificate at the token's genTime, not today: a TSA
        # certificate that expired since is still good evidence of that time
        builder.build().verify(response, digest)
    except (VerificationError, ValueError) as exc:
        # OpenSSL's error stack, through rfc3161-client's Rust: its reason is the "data"
        reason = re.findall(r'data: "([^"]+)"', str(exc))
        raise TimestampError(None, reason[-1] if reason else str(exc)) from None
    found.verdict = "valid"
    return Token(reply, found.chain, info.gen_time, found.tsa)


def check_token(reply: bytes, expected: tuple[str, bytes] | bytes,
                roots: list[x509.Certificate], untrusted: list[x509.Certificate] | None = None,
                nonce: int | None = None) -> Token:
    """Verify ``reply`` over data or (hash name, digest) at its genTime, its chain ending at
    one of ``roots`` (``untrusted``: more certificates to build it from, trusted for nothing);
    raise TimestampError, TimestampUntrusted or TimestampUnreadable."""
    return _check(TimestampCheck(), reply, expected, roots, untrusted or [], nonce)


def check_timestamp(reply: bytes, expected: tuple[str, bytes] | bytes,
                    roots: list[x509.Certificate], untrusted: list[x509.Certificate]
                    ) -> TimestampCheck:
    """``check_token`` as a report (``check-timestamp``): what was found, and the verdict;
    TimestampUnreadable for bytes that are no RFC 3161 reply."""
    found = TimestampCheck()
    try:
        _check(found, reply, expected, roots, untrusted, None)
    except TimestampUnreadable:
        raise
    except TimestampError as exc:
        found.reason = exc.reason
    return found


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
        return check_token(answer.content, data, roots, nonce=request.nonce)
    except TimestampError as exc:
        raise TimestampError(url, f"its token does not verify: {exc.reason}") from None


def parse_digest(text: str) -> tuple[str, bytes]:
    """``ALG:HEX`` (sha256, sha384 or sha512) as (name, digest); ArchiverError otherwise."""
    name, _, hexdigest = text.partition(":")
    size = {"sha256": 32, "sha384": 48, "sha512": 64}.get(name.lower())
    try:
        digest = bytes.fromhex(hexdigest)
    except ValueError:
        digest = b""
    if size is None or len(digest) != size:
        raise ArchiverError(text, "not a digest (give sha256:HEX, sha384:HEX or sha512:HEX)")
    return name.lower(), digest


def load_certificates(paths: list[Path]) -> list[x509.Certificate]:
    """Certificates from PEM files; ArchiverError naming a file that holds none."""
    certs = []
    for path in paths:
        try:
            certs += x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError, x509.InvalidVersion) as exc:
            raise ArchiverError(path, f"not a readable PEM certificate file ({exc})") from None
    return certs


def default_roots() -> list[x509.Certificate]:
    """The certifi bundle (public TSAs such as DigiCert's and GlobalSign's chain to roots in
    it)."""
    import warnings

    import certifi
    from cryptography.utils import CryptographyDeprecationWarning

    with warnings.catch_warnings():  # a few of its roots have a serial number of 0
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return load_certificates([Path(certifi.where())])


def load_roots(paths: list[Path]) -> list[x509.Certificate]:
    """Trusted TSA roots from PEM files; without any, the certifi bundle."""
    return load_certificates(paths) if paths else default_roots()
