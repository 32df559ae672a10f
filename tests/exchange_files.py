"""Files made by other tools, in the test: a WARC written by warcio's own WARCWriter, a WACZ
packed by py-wacz (``wacz create``), a wget ``--warc-file`` capture, and a WACZ signed in
anonymous mode exactly as ArchiveWeb.page signs (ECDSA P-384, WebCrypto's ``r||s``)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

WACZ_CLI = Path(sys.executable).with_name("wacz")  # py-wacz, from the test extra
WGET = Path("/usr/bin/wget")


def warcio_warc(path: Path, url: str, body: bytes, *, date: str = "2024-05-01T10:00:00Z",
                extra: tuple[tuple[str, bytes, str], ...] = ()) -> Path:
    """A gzipped WARC written by warcio: warcinfo, then a response for ``url`` (and one for
    each (url, body, date) of ``extra``), as warcio's WARCWriter frames and digests them."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(
            path.name, {"software": "warcio test writer", "format": "WARC File Format 1.0"}))
        for target, payload, when in ((url, body, date), *extra):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                  ("Content-Length", str(len(payload)))],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                target, "response", payload=io.BytesIO(payload), http_headers=headers,
                warc_headers_dict={"WARC-Date": when}))
    return path


def py_wacz(warc: Path, url: str, out: Path) -> Path:
    """``wacz create`` over ``warc``: the WACZ py-wacz packs, with its pages file for ``url``."""
    subprocess.run([str(WACZ_CLI), "create", "--url", url, "-o", str(out), str(warc)],
                   check=True, capture_output=True, cwd=out.parent, timeout=120)
    return out


def wget_warc(url: str, folder: Path, name: str = "wget") -> Path:
    """wget's own capture of ``url``: ``wget --warc-file`` writes ``<name>.warc.gz``."""
    subprocess.run([str(WGET), "--quiet", "--no-config", f"--warc-file={name}", "-O",
                    str(folder / "page.html"), url], check=True, cwd=folder, timeout=60)
    return folder / f"{name}.warc.gz"


def sign_anonymous(wacz: Path, out: Path, key: ec.EllipticCurvePrivateKey, *,
                   der: bool = False) -> Path:
    """A copy of ``wacz`` whose datapackage-digest.json carries an anonymous signedData as the
    spec gives it: ECDSA/SHA-256 of the ``hash`` text, publicKey as base64 SubjectPublicKeyInfo;
    the signature as WebCrypto writes it (``r||s``) or, with ``der``, as DER."""
    with zipfile.ZipFile(wacz) as old:
        package = old.read("datapackage.json")
        digest = json.loads(old.read("datapackage-digest.json"))
        entries = [(info, old.read(info)) for info in old.infolist()]
    text = "sha256:" + hashlib.sha256(package).hexdigest()
    signature = key.sign(text.encode(), ec.ECDSA(hashes.SHA256()))
    if not der:
        r, s = decode_dss_signature(signature)
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    digest["signedData"] = {
        "hash": text, "created": "2024-05-01T10:00:00Z", "software": "archiver tests",
        "signature": base64.b64encode(signature).decode(),
        "publicKey": base64.b64encode(public).decode(),
    }
    return rewrite(entries, out, {"datapackage-digest.json": json.dumps(digest).encode()})


def rewrite(entries: list[tuple[zipfile.ZipInfo, bytes]], out: Path,
            replace: dict[str, bytes]) -> Path:
    """A zip of ``entries`` with the data of the names in ``replace`` replaced."""
    with zipfile.ZipFile(out, "w") as new:
        for info, data in entries:
            new.writestr(info, replace.get(info.filename, data))
    return out


def edit_digest(wacz: Path, out: Path, change: dict[str, str]) -> Path:
    """A copy of ``wacz`` with fields of its signedData replaced by ``change``."""
    with zipfile.ZipFile(wacz) as old:
        digest = json.loads(old.read("datapackage-digest.json"))
        entries = [(info, old.read(info)) for info in old.infolist()]
    digest["signedData"].update(change)
    return rewrite(entries, out, {"datapackage-digest.json": json.dumps(digest).encode()})


def certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple | None = None, *,
                ca: bool = False, timestamping: bool = False, dns: str | None = None):
    """An X.509 certificate for ``subject`` (self-signed unless ``issuer`` = (cert, key))."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_cert, issuer_key = issuer or (None, key)
    start = datetime.now(UTC) - timedelta(days=1)
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer_cert.subject if issuer_cert else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def pem(*certs) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def openssl_timestamp(data: bytes, tsa_cert, tsa_key, chain: list, folder: Path) -> bytes:
    """An RFC 3161 TimeStampResp over ``data`` (sha256), made by OpenSSL's own TSA
    (``openssl ts -query``, ``-reply``) with ``tsa_cert``: the DER that authsign stores."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").write_bytes(data)
    (folder / "tsa.pem").write_text(pem(tsa_cert))
    (folder / "chain.pem").write_text(pem(*chain))
    (folder / "tsa.key").write_bytes(tsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "serial").write_text("01\n")
    (folder / "ts.cnf").write_text(f"""[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {folder}
serial = $dir/serial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
    subprocess.run(["openssl", "ts", "-query", "-data", "data", "-sha256", "-cert", "-out",
                    "req.tsq"], cwd=folder, check=True, capture_output=True, timeout=60)
    subprocess.run(["openssl", "ts", "-reply", "-config", "ts.cnf", "-queryfile", "req.tsq",
                    "-signer", "tsa.pem", "-inkey", "tsa.key", "-chain", "chain.pem", "-out",
                    "resp.tsr"], cwd=folder, check=True, capture_output=True, timeout=60)
    return (folder / "resp.tsr").read_bytes()


def domain_signed(hash_text: str, folder: Path, *, domain: str = "signer.example",
                  created: str | None = None) -> tuple[dict, list]:
    """A domain-mode signedData of ``hash_text`` as authsign makes it (DER ECDSA signature of
    the hash by the domain certificate's key; an RFC 3161 stamp of the signature text), with
    a test CA for the domain and one for the TSA; returns it and the two roots."""
    from datetime import UTC, datetime

    root_key, tsa_root_key = ec.generate_private_key(ec.SECP384R1()), \
        ec.generate_private_key(ec.SECP384R1())
    root = certificate("Test Domain Root", root_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate(domain, leaf_key, (root, root_key), dns=domain)
    tsa_root = certificate("Test TSA Root", tsa_root_key, ca=True)
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = certificate("Test TSA", tsa_key, (tsa_root, tsa_root_key), timestamping=True)
    signature = base64.b64encode(leaf_key.sign(hash_text.encode(),
                                               ec.ECDSA(hashes.SHA256()))).decode()
    stamp = openssl_timestamp(signature.encode(), tsa, tsa_key, [tsa_root], folder)
    signed = {
        "hash": hash_text,
        "created": created or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": "authsign-like test signer", "signature": signature,
        "domain": domain, "domainCert": pem(leaf, root),
        "timeSignature": base64.b64encode(stamp).decode(), "timestampCert": pem(tsa, tsa_root),
    }
    return signed, [root, tsa_root]
