"""What an export takes from a collection: the chosen sources' manifests, as stored, and the
files they own, each read back against the sha256 and size its manifest records."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archiver.collection import KEYS, SEALS, Collection
from archiver.custody.keys import refuse_private_keys
from archiver.custody.seal import seal_dirs
from archiver.errors import ArchiverError
from archiver.manifest import Capture, FileEntry, Manifest, Status, parse_manifest

_BLOCK = 1 << 20


@dataclass(frozen=True)
class Description:
    """What a package says about itself: a one-line title and a longer Markdown description."""

    title: str
    description: str


def describe(collection: Collection, title: str | None, description: str | None
             ) -> Description:
    """The package's title and description: as given, else named after the collection."""
    title = title or f"archiver collection {collection.root.name}"
    return Description(title, description or (
        f"{title}: sources exported by archiver with their archived captures (WARC), texts "
        "and manifests, which record each text's origin, fixity and history."))


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """What an export needs of a capture: its id, URL, time and WARC."""

    id: str
    requested_url: str
    captured_at: datetime
    warc_path: str


@dataclass(frozen=True, slots=True)
class Source:
    """One chosen source: what an export takes of its manifest, which is parsed once, to be
    checked, then let go (a parsed manifest takes about five times its bytes, and an export of
    100,000 sources would hold them all), and where the manifest is, with the sha256 of its
    bytes as checked (``manifest_bytes`` reads them again, against it)."""

    manifest_relpath: str
    manifest_sha256: str
    files: tuple[FileEntry, ...]
    captures: tuple[CaptureRef, ...]
    text: FileEntry | None  # the current text's file, if it has one
    text_capture: str | None  # the capture whose page carries the text (see _text_capture)
    title: str | None  # the title, when it is known

    @classmethod
    def of(cls, manifest: Manifest, data: bytes, relpath: str) -> Source:
        """The parts of ``manifest`` (parsed from ``data``, at ``relpath``) an export takes."""
        capture = _text_capture(manifest)
        title = manifest.metadata.title
        return cls(
            relpath, hashlib.sha256(data).hexdigest(), tuple(manifest.files),
            tuple(CaptureRef(c.id, c.requested_url, c.captured_at, c.warc_path)
                  for c in manifest.captures),
            manifest.file(manifest.text.path) if manifest.text is not None else None,
            capture.id if capture is not None else None,
            title.value if title.status is not Status.UNKNOWN else None)

    def file(self, path: str) -> FileEntry | None:
        """The source's file at ``path``, if it has one."""
        return next((f for f in self.files if f.path == path), None)

    def manifest_bytes(self, collection: Collection) -> bytes:
        """The manifest's bytes, as stored and as checked when the source was chosen."""
        path = collection.resolve(self.manifest_relpath)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ArchiverError(path, f"cannot read: {exc.strerror}") from None
        if hashlib.sha256(data).hexdigest() != self.manifest_sha256:
            raise ArchiverError(path, "changed during the export; nothing was exported, run "
                                      "the export again")
        return data


def _text_capture(manifest: Manifest) -> Capture | None:
    """The capture whose page carries the source's text: the one it was extracted from, or
    (a text received as given) the source's latest; None without a text."""
    if manifest.text is None:
        return None
    origin = getattr(manifest.text.origin, "capture_id", None)
    latest = max(manifest.captures, key=lambda c: c.captured_at, default=None)
    return manifest.capture(origin) if origin else latest


def choose(collection: Collection, ids: list[str] | None) -> list[Source]:
    """The sources ``ids`` (default: every source), in id order; refuses unknown ids."""
    known = collection.ids()
    for source_id in ids or ():
        if source_id not in known:
            raise ArchiverError(source_id, "no such source in this collection")
    chosen = sorted(set(ids)) if ids else known
    if not chosen:
        raise ArchiverError(collection.root, "the collection has no sources to export")
    sources = []
    for source_id in chosen:
        path = collection.manifest_path(source_id)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ArchiverError(path, f"cannot read: {exc.strerror}") from None
        sources.append(Source.of(parse_manifest(data, path), data, collection.relative(path)))
    return sources


def verified_blocks(collection: Collection, entry: FileEntry) -> Iterator[bytes]:
    """The bytes of ``entry`` in blocks; raise ArchiverError at the end if they differ from
    the manifest, so an export never passes a silently changed file off as intact."""
    path = collection.resolve(entry.path)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as fh:
            while block := fh.read(_BLOCK):
                digest.update(block)
                size += len(block)
                yield block
    except OSError as exc:
        raise ArchiverError(path, f"cannot read: {exc.strerror}") from None
    if (digest.hexdigest(), size) != (entry.sha256, entry.size):
        raise ArchiverError(path, f"differs from its manifest ({size} bytes sha256:"
                                  f"{digest.hexdigest()}, recorded {entry.size} bytes sha256:"
                                  f"{entry.sha256}); nothing was exported, run archiver verify")


def read_verified(collection: Collection, entry: FileEntry) -> bytes:
    """The whole of a (small) file, checked as ``verified_blocks`` checks it."""
    return b"".join(verified_blocks(collection, entry))


def collection_folders(collection: Collection) -> tuple[Path, ...]:
    """The folders an export exports from, and so must not be written into."""
    return (collection.corpus_dir, collection.manifests_dir, collection.root / SEALS,
            collection.root / KEYS)


def custody_files(collection: Collection) -> list[str]:
    """Every public key (``keys/*.pub``) and every file of every seal (``seals/<seal>/...``),
    as collection paths. An export carries them all, whichever sources it holds: a seal is
    one signed statement of every source, and its bytes only verify whole. Refuses a
    collection with a private key anywhere in ``keys/``: an export must never carry it."""
    refuse_private_keys(collection, "nothing was exported")
    keys = sorted((collection.root / KEYS).glob("*.pub"))
    files = [p for p in keys if p.is_file()]
    for folder in seal_dirs(collection):
        files += sorted(p for p in folder.iterdir() if p.is_file())
    return [p.relative_to(collection.root).as_posix() for p in files]


def read_custody(collection: Collection, relpath: str) -> bytes:
    """A key or seal file's bytes, as stored (verify, not export, judges them)."""
    path = collection.resolve(relpath)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ArchiverError(path, f"cannot read: {exc.strerror}") from None


def relpath_in(root: Path, relpath: str) -> Path:
    """``relpath`` (a collection-relative POSIX path) under another folder."""
    return root.joinpath(*relpath.split("/"))
