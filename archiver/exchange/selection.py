"""What an export takes from a collection: the chosen sources' manifests, as stored, and the
files they own, each read back against the sha256 and size its manifest records."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archiver.collection import KEYS, SEALS, Collection
from archiver.custody.keys import refuse_private_keys
from archiver.custody.seal import seal_dirs
from archiver.errors import ArchiverError
from archiver.manifest import FileEntry, Manifest, parse_manifest

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


@dataclass(frozen=True)
class Source:
    """One chosen source: its manifest, parsed, and the manifest file's bytes as stored."""

    manifest: Manifest
    manifest_bytes: bytes
    manifest_relpath: str


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
        sources.append(Source(parse_manifest(data, path), data, collection.relative(path)))
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


def text_entry(manifest: Manifest) -> FileEntry | None:
    """The file entry of the source's current text, if it has one."""
    return manifest.file(manifest.text.path) if manifest.text is not None else None


def relpath_in(root: Path, relpath: str) -> Path:
    """``relpath`` (a collection-relative POSIX path) under another folder."""
    return root.joinpath(*relpath.split("/"))
