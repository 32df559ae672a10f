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
