"""The few parts of an RFC 3161 reply that rfc3161-client does not give as the authority sent
them, read with a small DER walker: the ``certificates`` SET OF (real authorities write it leaf
first, not in DER order, and may add attribute certificates) and the ESS signing-certificate
hash that binds the token's signature to the TSA's certificate."""

from __future__ import annotations

from dataclasses import dataclass

# CertificateChoices other than a plain X.509 certificate (RFC 5652 10.2.2), by tag
_CHOICES = {0xA0: "an extended certificate", 0xA1: "an attribute certificate (v1)",
            0xA2: "an attribute certificate (v2)", 0xA3: "another certificate format"}
_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12"  # ESSCertID, sha1
_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"  # ESSCertIDv2, sha256 by default
HASHES = {"1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256",
          "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512"}


@dataclass(frozen=True)
class _Tlv:
    tag: int
    start: int  # the tag's offset
    body: int  # the contents' offset
    end: int

    def raw(self, data: bytes) -> bytes:
        return data[self.start:self.end]


def _read(data: bytes, at: int, limit: int) -> _Tlv:
    """The TLV at ``at``; ValueError for anything that is not DER (indefinite length, a tag
    number of several bytes, a length running past ``limit``)."""
    if at + 2 > limit:
        raise ValueError(f"DER cut short at byte {at}")
    tag, first = data[at], data[at + 1]
    if tag & 0x1F == 0x1F:
        raise ValueError(f"a multi-byte DER tag at byte {at}")
    body = at + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or body + count > limit:
            raise ValueError(f"not a DER length at byte {at + 1}")
        length = int.from_bytes(data[body:body + count], "big")
        body += count
    if body + length > limit:
        raise ValueError(f"a DER value at byte {at} runs past its container")
    return _Tlv(tag, at, body, body + length)


def _children(data: bytes, tlv: _Tlv) -> list[_Tlv]:
    out, at = [], tlv.body
    while at < tlv.end:
        child = _read(data, at, tlv.end)
        out.append(child)
        at = child.end
    return out


def _encode(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _oid(data: bytes, tlv: _Tlv) -> str:
    if tlv.tag != 0x06:
        raise ValueError(f"no object identifier at byte {tlv.start}")
    arcs, value = [], 0
    for byte in data[tlv.body:tlv.end]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        raise ValueError(f"an empty object identifier at byte {tlv.start}")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first, *arcs[1:]])


@dataclass(frozen=True)
class TokenParts:
    """What the walker read: the reply with its certificates in DER order (only for the
    parser; the stored reply stays as received), the X.509 certificates as sent, what was set
    aside, and the ESS certificate ID (hash name, digest) or None."""

    for_parser: bytes
    certificates: list[bytes]
    set_aside: list[str]
    ess: tuple[str, bytes] | None


def _path(data: bytes) -> tuple[list[_Tlv], _Tlv]:
    """The nested TLVs from the TimeStampResp down to SignedData, and SignedData."""
    resp = _read(data, 0, len(data))
    if resp.tag != 0x30 or resp.end != len(data):
        raise ValueError("not one DER TimeStampResp")
    parts = _children(data, resp)
    if len(parts) < 2:
        raise ValueError("the reply holds no token (its status is not granted)")
    token = parts[1]
    content = _children(data, token)
    if len(content) != 2 or content[1].tag != 0xA0:
        raise ValueError("the token is not a CMS ContentInfo")
    [signed] = _children(data, content[1])
    return [resp, token, content[1], signed], signed


def _ess(data: bytes, signer_infos: _Tlv) -> tuple[str, bytes] | None:
    infos = _children(data, signer_infos)
    if len(infos) != 1:
        return None
    attrs = next((c for c in _children(data, infos[0]) if c.tag == 0xA0), None)
    for attr in _children(data, attrs) if attrs else ():
        kind, values = _children(data, attr)
        oid = _oid(data, kind)
        if oid not in (_SIGNING_CERTIFICATE, _SIGNING_CERTIFICATE_V2):
            continue
        [value] = _children(data, values)
        certs = _children(data, _children(data, value)[0])
        fields = _children(data, certs[0])
        name = "sha1" if oid == _SIGNING_CERTIFICATE else "sha256"
        if fields[0].tag == 0x30:  # ESSCertIDv2 with a hashAlgorithm other than sha256
            name = HASHES.get(_oid(data, _children(data, fields[0])[0]), "unknown")
            fields = fields[1:]
        return name, data[fields[0].body:fields[0].end]
    return None


def token_parts(reply: bytes) -> TokenParts:
    """Read ``reply``'s certificates and ESS certificate ID; ValueError if it is no DER reply.

    The ``certificates`` field is outside what the TSA signs, so sorting it (and leaving out
    attribute certificates, which no chain uses) changes nothing the signature covers."""
    nest, signed = _path(reply)
    fields = _children(reply, signed)
    certs_field = next((f for f in fields if f.tag == 0xA0), None)
    signer_infos = fields[-1]
    if signer_infos.tag != 0x31:
        raise ValueError("the token's SignedData ends in no signerInfos")
    try:
        ess = _ess(reply, signer_infos)
    except IndexError:
        raise ValueError("a signing-certificate attribute without its certificate ID") from None
    if certs_field is None:
        return TokenParts(reply, [], [], ess)
    kept, aside = [], []
    for child in _children(reply, certs_field):
        if child.tag == 0x30:
            kept.append(child.raw(reply))
        else:
            aside.append(_CHOICES.get(child.tag, f"an unknown choice (tag {child.tag:#x})"))
    ordered = sorted(kept)
    if ordered == kept and not aside:
        return TokenParts(reply, kept, [], ess)
    # rebuild only the containers whose length changed; every other byte is the reply's own
    inner = _encode(0xA0, b"".join(ordered))
    start, end = certs_field.start, certs_field.end
    for outer in reversed(nest):
        body = reply[outer.body:start] + inner + reply[end:outer.end]
        inner, start, end = _encode(outer.tag, body), outer.start, outer.end
    return TokenParts(inner, kept, aside, ess)
