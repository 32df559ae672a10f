"""WACZ package check: the zip, every file against ``datapackage.json``, and each WARC inside.

Unlike py-wacz's validator, every check here can fail: a zip entry that fails its CRC, a
listed file that is absent or whose sha256 or size differs, a file that is not listed, a
``datapackage.json`` that differs from ``datapackage-digest.json``, a signature there that does
not verify (``waczsig``), a package without WARCs, index or pages, and damage in any WARC it
holds (reported as for a WARC file, under ``<wacz>/<path inside>``).
"""

from __future__ import annotations

import hashlib
import json
import lzma
import re
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from archiver.findings import Finding
from archiver.warc.check import sniff
from archiver.warc.stream import HashingFile
from archiver.warc.verdict import WarcReport
from archiver.warc.waczsig import SignatureCheck, verify_digest
from archiver.warc.walk import check_stream

_PACKAGE = "datapackage.json"
_DIGEST = "datapackage-digest.json"
_DRIVE = re.compile(r"[A-Za-z]:")  # C:evil.warc, unpacked on Windows, lands on drive C
# what an archive/ entry that is no WARC is, by what sniff says of it
_NOT_WARC = {None: "its bytes start as no WARC does", "empty": "it is empty",
             "arc": "it is an ARC file", "wacz": "it is a zip file"}
_HASHES = ("sha256:", "md5:")  # what py-wacz's --hash-type writes
MULTI_PROFILE = "multi-wacz-package"  # a package of WACZ packages
_INDEX_SUFFIXES = (".cdx", ".cdx.gz", ".cdxj", ".cdxj.gz", ".idx")
# what zipfile raises for a damaged archive or entry: a bad CRC or structure, a compression
# method, version or flag it does not support (NotImplementedError), an encrypted entry
# (RuntimeError), a deflate, lzma or bzip2 stream that is corrupt (bzip2: OSError) or cut short,
# an entry name flagged as UTF-8 that is not (UnicodeDecodeError)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, NotImplementedError,
               RuntimeError, EOFError, OSError, UnicodeDecodeError)


class _Problem(ValueError):
    """A WACZ whose package metadata cannot be used: (finding code, message)."""


def check_wacz(report: WarcReport, path: Path) -> None:
    """Check the WACZ at ``path``, adding findings (and its WARCs' records) to ``report``."""

    def find(code: str, message: str) -> None:
        report.findings.append(Finding(code, message, path=str(path)))

    try:
        wacz = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        find("wacz-invalid", f"not a readable zip file ({exc})")
        return
    with wacz:
        try:
            _check(wacz, report, path, find)
        except _Problem as exc:
            find("wacz-invalid", str(exc))


def _check_entries(wacz: zipfile.ZipFile, find: Any) -> None:
    """The zip's own entries: each name once, each inside the package."""
    counts = Counter(wacz.namelist())
    for name, n in sorted(counts.items()):
        if n > 1:  # zipfile reads the last copy, unzip asks or extracts the first
            find("wacz-entry-duplicate", f"{name!r} is {n} entries of the zip: tools differ "
                 "on which one they read")
        if _outside(name):
            find("wacz-entry-unsafe", f"{name!r} would be written outside the package when "
                 "unpacked (an absolute path, a drive, a backslash or a '..' part)")


def _outside(name: str) -> bool:
    """Whether an entry name leaves the folder it is unpacked in, on any system."""
    return (name.startswith("/") or "\\" in name or _DRIVE.match(name) is not None
            or ".." in name.split("/"))


def _check(wacz: zipfile.ZipFile, report: WarcReport, path: Path, find: Any) -> None:
    _check_entries(wacz, find)
    names = set(wacz.namelist())
    package_bytes = _member(wacz, _PACKAGE)
    package = _json(package_bytes, _PACKAGE)
    if isinstance(package, dict) and package.get("profile") == MULTI_PROFILE:
        _check_multi(wacz, report, path, find, _resources(package_bytes))
        # last, so that the signature shown is the package's own, not its members'
        _check_digest(_json(_member(wacz, _DIGEST), _DIGEST), package_bytes, report, find)
        return
    resources = _resources(package_bytes)
    if _DIGEST not in names and package_version(package) == "1.0.0":
        # WACZ 1.0.0 had no digest file (1.1.1 added it): read as its makers meant it
        find("wacz-nonconformant", f"a WACZ 1.0.0 package: it has no {_DIGEST} (WACZ 1.1.1 "
             f"added it), so no digest vouches for {_PACKAGE}; the files it lists are "
             "checked against it")
        report.signature = "not signed"
    else:
        _check_digest(_json(_member(wacz, _DIGEST), _DIGEST), package_bytes, report, find)
    for resource in resources:
        _check_listed(wacz, names, resource, report, path, find)
    listed = [r["path"] for r in resources]
    _check_unlisted(wacz, names, listed, find)
    if not any(n.startswith("archive/") for n in listed):
        find("wacz-invalid", f"{_PACKAGE} lists no WARC under archive/")
    if not any(n.startswith("indexes/") and n.endswith(_INDEX_SUFFIXES) for n in listed):
        find("wacz-invalid", f"{_PACKAGE} lists no index under indexes/")
    if not any(n.startswith("pages/") and n.endswith(".jsonl") for n in listed):
        # py-wacz 0.6 packs none without --detect-pages; every archived byte is still there
        find("wacz-nonconformant", f"{_PACKAGE} lists no pages file under pages/ (nothing "
             "archived is lost; a replay tool has no list of pages to offer)")


def _check_digest(digest: object, package_bytes: bytes, report: WarcReport, find: Any) -> None:
    """datapackage-digest.json against datapackage.json as found, and its signature."""
    found = hashlib.sha256(package_bytes).hexdigest()
    recorded = digest.get("hash") if isinstance(digest, dict) else None
    if not isinstance(recorded, str):
        find("wacz-invalid", f"{_DIGEST} has no hash of {_PACKAGE}")
    elif recorded != f"sha256:{found}":
        find("wacz-hash-mismatch", f"{_PACKAGE} does not match {_DIGEST}: {recorded} recorded,"
             f" sha256:{found} found")
    signature = verify_digest(digest, found)
    report.signature = signature.message
    if isinstance(digest, dict) and "signedData" in digest and signature.status == "invalid":
        find("wacz-signature-invalid", signature.message)


def package_version(package: object) -> str | None:
    """The ``wacz_version`` a parsed datapackage.json declares, if any."""
    version = package.get("wacz_version") if isinstance(package, dict) else None
    return version if isinstance(version, str) else None


def _check_multi(wacz: zipfile.ZipFile, report: WarcReport, path: Path, find: Any,
                 resources: list[dict[str, Any]]) -> None:
    """A multi-WACZ package: each member package listed, hashed, and checked as a WACZ, its
    findings under ``<file>.wacz/<member>.wacz``."""
    names = set(wacz.namelist())
    members = [r for r in resources if r["path"].endswith(".wacz")]
    if not members:
        find("wacz-invalid", f"a multi-WACZ package whose {_PACKAGE} lists no .wacz member")
    for resource in resources:
        name = resource["path"]
        if not (_check_listed(wacz, names, resource, report, path, find)
                and name.endswith(".wacz")):
            continue
        try:
            with wacz.open(name) as fh, zipfile.ZipFile(fh) as inner:
                inner_path = path / name

                def find_inner(code: str, message: str, where: Path = inner_path) -> None:
                    report.findings.append(Finding(code, message, path=str(where)))
                try:
                    _check(inner, report, inner_path, find_inner)
                except _Problem as exc:
                    find_inner("wacz-invalid", str(exc))
        except _ZIP_ERRORS as exc:
            find("wacz-invalid", f"the zip entry {name} is damaged ({exc})")
    _check_unlisted(wacz, names, [r["path"] for r in resources], find)


def _check_listed(wacz: zipfile.ZipFile, names: set[str], resource: dict[str, Any],
                  report: WarcReport, path: Path, find: Any) -> bool:
    """One file the package lists: there, readable, and of the hash and size it records
    (a WARC checked on the same read); whether it could be read."""
    name = resource["path"]
    if name not in names:
        find("wacz-file-missing", f"{name} is listed in {_PACKAGE} but not in the zip")
        return False
    algorithm = resource["hash"].partition(":")[0]
    try:
        found, size = _hash_member(wacz, name, report, path, algorithm)
    except _ZIP_ERRORS as exc:
        find("wacz-invalid", f"the zip entry {name} is damaged ({exc})")
        return False
    if (f"{algorithm}:{found}", size) != (resource["hash"], resource["bytes"]):
        find("wacz-hash-mismatch", f"{name}: {_PACKAGE} records {resource['bytes']} bytes "
             f"{resource['hash']}, found {size} bytes {algorithm}:{found}")
    return True


def _check_unlisted(wacz: zipfile.ZipFile, names: set[str], listed: list[str],
                    find: Any) -> None:
    """Entries outside the package's hash chain: nothing vouches for them, and a replay tool
    may still serve them (a WARC under archive/, an index)."""
    for name in sorted(names - set(listed) - {_PACKAGE, _DIGEST}):
        if not name.endswith("/") or wacz.getinfo(name).file_size:  # a folder holds no bytes
            find("wacz-file-unlisted", f"{name} is in the zip but not listed in {_PACKAGE}, "
                 "so no hash vouches for it")


def _member(wacz: zipfile.ZipFile, name: str) -> bytes:
    try:
        return wacz.read(name)
    except KeyError:
        raise _Problem(f"no {name} in the zip") from None
    except _ZIP_ERRORS as exc:
        raise _Problem(f"the zip entry {name} is damaged ({exc})") from None


def _json(data: bytes, name: str) -> object:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Problem(f"{name} is not JSON ({exc})") from None


def _resources(data: bytes) -> list[dict[str, Any]]:
    """The package's resources, each with a path, a sha256 hash and a byte count."""
    package = _json(data, _PACKAGE)
    resources = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources, list):
        raise _Problem(f"{_PACKAGE} has no resources list")
    resources = [_current_form(r) for r in resources]
    for r in resources:
        if not (isinstance(r, dict) and isinstance(r.get("path"), str)
                and isinstance(r.get("hash"), str) and r["hash"].startswith(_HASHES)
                and isinstance(r.get("bytes"), int)):
            raise _Problem(f"{_PACKAGE} has a resource without path, sha256 (or md5) hash "
                           f"and bytes: {json.dumps(r)[:80]}")
    return resources


def _current_form(resource: object) -> object:
    """A resource as WACZ 1.1 writes it: WACZ 1.0.0 kept the hash (bare hex, algorithm in
    ``hashing``) and byte count under ``stats``."""
    if not isinstance(resource, dict) or "hash" in resource:
        return resource
    stats = resource.get("stats")
    if not isinstance(stats, dict) or not isinstance(stats.get("hash"), str):
        return resource
    return {**resource, "hash": f"{resource.get('hashing', 'sha256')}:{stats['hash']}",
            "bytes": stats.get("bytes")}


def _hash_member(wacz: zipfile.ZipFile, name: str, report: WarcReport,
                 path: Path, algorithm: str = "sha256") -> tuple[str, int]:
    """Hex digest (``algorithm``) and size of one zip entry; a WARC is checked on the same
    read."""
    with wacz.open(name) as raw:
        fh = HashingFile(raw, algorithm)
        kind = sniff(raw.peek(1 << 16)) if name.startswith("archive/") else None
        if kind == "warc":
            inner = WarcReport(path=path / name)
            check_stream(inner, fh)
            report.findings += inner.findings
            report.records += inner.records
        elif name.startswith("archive/"):  # what replay tools load as a WARC, and is none
            report.findings.append(Finding("wacz-archive-not-warc", f"{name} is under "
                                           f"archive/ but is not a WARC: {_NOT_WARC[kind]}",
                                           path=str(path)))
        return fh.finish()


def wacz_signature(path: Path) -> SignatureCheck:
    """Whether the WACZ at ``path`` is signed, by whom, and whether the signature verifies
    against its ``datapackage.json`` as found (not against the files it lists: check_wacz)."""
    with zipfile.ZipFile(path) as wacz:
        package_bytes = _member(wacz, _PACKAGE)
        if _DIGEST not in wacz.namelist():  # a WACZ 1.0.0 package: never signed
            return SignatureCheck("unsigned")
        digest = _json(_member(wacz, _DIGEST), _DIGEST)
    return verify_digest(digest, hashlib.sha256(package_bytes).hexdigest())
