"""``archiver export wacz``: a WACZ 1.1.1 package of chosen sources, for ReplayWeb.page and pywb.

The package holds each capture's WARC under ``archive/`` byte for byte (stored, not
recompressed), a CDXJ index of them made by cdxj-indexer (``indexes/index.cdx``: the name
wabac.js and pywb's ``wb-manager add --unpack-wacz`` both read), ``pages/pages.jsonl`` with
each capture's URL, time, title and the source's text, and, so the package carries its
provenance, every manifest (``manifests/``) and text version (``corpus/``) under the path it
has in the collection, and the collection's custody: every public key (``keys/*.pub``) and
every seal's files (statement, signature, timestamp tokens and their chains), each as
``seals/<seal>.<file>`` (see ``custody_name``).
``datapackage.json`` lists every file with its sha256 and size; ``datapackage-digest.json``
holds its digest and, given a key, its signature.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from archiver import __version__
from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.exchange.output import new_file
from archiver.exchange.selection import (
    Description,
    Source,
    choose,
    collection_folders,
    custody_files,
    read_custody,
    read_verified,
    verified_blocks,
)
from archiver.manifest import (
    SCHEMA_VERSION,
    FileEntry,
    FileRole,
    schema_text,
)
from archiver.warc.check import sniff

WACZ_VERSION = "1.1.1"
INDEX = "indexes/index.cdx"
PAGES = "pages/pages.jsonl"
PACKAGE = "datapackage.json"
DIGEST = "datapackage-digest.json"
SCHEMA = f"schemas/manifest-v{SCHEMA_VERSION}.json"
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
_WARC_SUFFIXES = (".warc", ".warc.gz")
_BLOCK = 1 << 20


@dataclass(frozen=True)
class WaczResult:
    """What was exported: sources, WARCs, pages, and whether the package is signed."""

    path: Path
    sources: int
    warcs: int
    pages: int
    signed: bool


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _resource_name(path: str) -> str:
    """The file's name as a Data Package resource name: lower case, ``-`` for any character
    the spec does not allow (a seal's or key's name has capitals)."""
    return re.sub(r"[^-a-z0-9._]", "-", path.rsplit("/", 1)[-1].lower())


class _Package:
    """A zip being written, keeping the datapackage resource of every file put in it."""

    def __init__(self, zf: zipfile.ZipFile, stamp: datetime) -> None:
        self.zf = zf
        self.date_time = stamp.astimezone(UTC).timetuple()[:6]
        self.resources: list[dict[str, Any]] = []

    def _info(self, name: str, compress: int) -> zipfile.ZipInfo:
        if name in self.zf.NameToInfo:
            raise ArchiverError(name, "two files of the export would have this name in the "
                                      "package")
        info = zipfile.ZipInfo(name, self.date_time)
        info.compress_type = compress
        info.external_attr = 0o644 << 16
        return info

    def add_blocks(self, name: str, blocks: Iterable[bytes], size: int, compress: int) -> None:
        """Stream ``blocks`` into entry ``name``, hashing them on the way; ``size`` (exact, or a
        bound) says whether the entry needs ZIP64."""
        digest = hashlib.sha256()
        written = 0
        with self.zf.open(self._info(name, compress), "w",
                          force_zip64=size >= zipfile.ZIP64_LIMIT) as out:
            for block in blocks:
                digest.update(block)
                written += len(block)
                out.write(block)
        self.resources.append({"name": _resource_name(name), "path": name,
                               "hash": f"sha256:{digest.hexdigest()}", "bytes": written})

    def add_bytes(self, name: str, data: bytes) -> None:
        """Add a small file, deflated, listed as a resource."""
        self.add_blocks(name, (data,), len(data), _DEFLATED)

    def add_unlisted(self, name: str, data: bytes) -> None:
        """Add datapackage.json or its digest: the two files the resources do not list."""
        self.zf.writestr(self._info(name, _DEFLATED), data)


def custody_name(relpath: str) -> str:
    """A key or seal file's name in the package: ``seals/<seal>/<file>`` becomes
    ``seals/<seal>.<file>``, as py-wacz's validator matches each file to its resource by the
    last two parts of its path only (seal names hold no dot, so the name maps back)."""
    parts = relpath.split("/")
    return f"{parts[0]}/{'.'.join(parts[1:])}"


def _pages(collection: Collection, sources: list[Source]) -> Iterator[bytes]:
    """pages.jsonl, a source at a time (a text is read when its source's pages are written,
    never every text at once): its header, then one page per capture; the source's text goes
    with its text capture."""
    has_text = any(s.text is not None and s.text_capture is not None for s in sources)
    header = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages",
              "hasText": has_text}
    yield (json.dumps(header, ensure_ascii=False) + "\n").encode("utf-8")
    for source in sources:
        # the page's text is a search aid; the text file itself goes in byte for byte, so a
        # text that is not UTF-8 (verify's text-undecodable) is searched as best it reads
        text = (read_verified(collection, source.text).decode("utf-8", errors="replace")
                if source.text else None)
        lines = []
        for capture in source.captures:
            page: dict[str, Any] = {"id": capture.id, "url": capture.requested_url,
                                    "ts": _rfc3339(capture.captured_at)}
            if source.title is not None:
                page["title"] = source.title
            if text is not None and capture.id == source.text_capture:
                page["text"] = text
            lines.append(json.dumps(page, ensure_ascii=False) + "\n")
        yield "".join(lines).encode("utf-8")


def _pages_bound(sources: list[Source]) -> int:
    """At most how many bytes pages.jsonl takes (JSON writes a character in at most six)."""
    bound = 0
    for source in sources:
        bound += 6 * (source.text.size if source.text else 0)
        bound += sum(6 * (len(c.requested_url) + len(source.title or "")) + 128
                     for c in source.captures)
    return bound + 128


def _warcs(sources: list[Source]) -> list[FileEntry]:
    """Each WARC the sources' captures name, once, in the sources' order."""
    seen: dict[str, FileEntry] = {}
    for source in sources:
        for capture in source.captures:
            entry = source.file(capture.warc_path)
            if entry is not None and entry.role is FileRole.WARC:
                seen.setdefault(entry.path, entry)
    return list(seen.values())


@dataclass(frozen=True)
class _Archived:
    """One WARC the package holds under ``archive/``: a capture's WARC file, or a WARC inside
    a capture's WACZ (an imported package: its WARCs go in, not the package itself)."""

    name: str  # its name under archive/
    entry: FileEntry  # the capture's file
    path: Path  # where that file is
    member: str | None = None  # the WARC's name inside the WACZ at ``path``
    size: int = 0  # the WARC's size, uncompressed

    def open(self) -> IO[bytes]:
        """The WARC's bytes, open for reading."""
        if self.member is None:
            return open(self.path, "rb")
        return _ZipMember(self.path, self.member)

    def blocks(self, collection: Collection) -> Iterator[bytes]:
        """The WARC's bytes in blocks; a WARC file's checked against its manifest as read."""
        if self.member is None:
            yield from verified_blocks(collection, self.entry)
            return
        with self.open() as fh:
            while block := fh.read(_BLOCK):
                yield block


class _ZipMember(io.BufferedReader):
    """A WARC inside a WACZ, open for reading, that closes the WACZ with itself."""

    def __init__(self, path: Path, member: str) -> None:
        self._zip = zipfile.ZipFile(path)
        super().__init__(self._zip.open(member))  # type: ignore[arg-type]

    def close(self) -> None:
        super().close()
        self._zip.close()


def _archived(collection: Collection, warcs: list[FileEntry]) -> list[_Archived]:
    """What goes under archive/ for the WARCs. A WACZ is read whole against its manifest
    first, so that no WARC is taken from a package that changed since it was recorded."""
    archived = []
    for entry in warcs:
        path = collection.resolve(entry.path)
        name = entry.path.rsplit("/", 1)[-1]
        try:
            with open(path, "rb") as fh:
                kind = sniff(fh.read(8))
        except OSError as exc:
            raise ArchiverError(path, f"cannot read: {exc.strerror}") from None
        if kind != "wacz":
            archived.append(_Archived(f"archive/{name}", entry, path, size=entry.size))
            continue
        for _ in verified_blocks(collection, entry):
            pass
        try:
            with zipfile.ZipFile(path) as package:
                members = [i for i in package.infolist() if i.filename.startswith("archive/")
                           and i.filename.endswith(_WARC_SUFFIXES)]
        except (zipfile.BadZipFile, UnicodeDecodeError) as exc:
            raise ArchiverError(path, f"not a readable WACZ ({exc}); run archiver verify"
                                ) from None
        stem = name.removesuffix(".wacz")
        archived += [_Archived(f"archive/{stem}-{i.filename.rsplit('/', 1)[-1]}", entry, path,
                               i.filename, i.file_size) for i in members]
    return archived


def _index(archived: list[_Archived]) -> bytes:
    """The CDXJ index of the WARCs, sorted, each line naming its WARC by its name in archive/."""
    from cdxj_indexer import CDXJIndexer
    from cdxj_indexer.main import SortingWriter

    out = io.StringIO()
    lines = SortingWriter(out)
    indexer = CDXJIndexer(out, [])
    for warc in archived:
        with warc.open() as fh:
            indexer.process_one(fh, lines, warc.name)
    lines.flush()
    return out.getvalue().encode("utf-8")


def export_wacz(collection: Collection, ids: list[str] | None, out: Path,
                about: Description, *,
                sign_key: EllipticCurvePrivateKey | None = None) -> WaczResult:
    """Write the sources ``ids`` (default: all) as the WACZ ``out``; with ``sign_key`` (an
    ECDSA P-384 private key, see waczsign) the package is signed. Call under the read lock."""
    sources = choose(collection, ids)
    warcs = _warcs(sources)
    if not warcs:
        raise ArchiverError(out, "none of the chosen sources has a capture, and a WACZ needs "
                                 "WARCs (export bagit takes texts alone)")
    created = datetime.now(UTC).replace(microsecond=0)
    with (new_file(out, not_in=collection_folders(collection)) as tmp,
          zipfile.ZipFile(tmp, "w", allowZip64=True) as zf):
        package = _Package(zf, created)
        archived = _archived(collection, warcs)
        for warc in archived:
            package.add_blocks(warc.name, warc.blocks(collection), warc.size, _STORED)
        package.add_bytes(INDEX, _index(archived))
        package.add_blocks(PAGES, _pages(collection, sources), _pages_bound(sources),
                           _DEFLATED)
        for source in sources:
            package.add_bytes(source.manifest_relpath, source.manifest_bytes(collection))
        # not manifests/schema.json: Frictionless (py-wacz's validator) reads any resource
        # named *schema.json as a Table Schema and rejects the package
        package.add_bytes(SCHEMA, schema_text().encode("utf-8"))
        for source in sources:
            for entry in source.files:
                if entry.role is FileRole.TEXT:
                    package.add_bytes(entry.path, read_verified(collection, entry))
        for relpath in custody_files(collection):
            package.add_bytes(custody_name(relpath), read_custody(collection, relpath))
        stamp = _rfc3339(created)
        datapackage = {"profile": "data-package", "wacz_version": WACZ_VERSION,
                       "title": about.title, "description": about.description,
                       "created": stamp, "modified": stamp,
                       "software": f"archiver {__version__}", "resources": package.resources}
        package_bytes = json.dumps(datapackage, indent=2, ensure_ascii=False).encode("utf-8")
        package.add_unlisted(PACKAGE, package_bytes)
        digest: dict[str, Any] = {"path": PACKAGE,
                                  "hash": f"sha256:{hashlib.sha256(package_bytes).hexdigest()}"}
        if sign_key is not None:
            from archiver.exchange.waczsign import signed_data

            digest["signedData"] = signed_data(digest["hash"], stamp, sign_key)
        package.add_unlisted(DIGEST, json.dumps(digest, indent=2).encode("utf-8"))
    pages = sum(len(source.captures) for source in sources)
    return WaczResult(out, len(sources), len(warcs), pages, sign_key is not None)
