"""``archiver export bagit``: an RFC 8493 bag of chosen sources, made with bagit-python.

The payload (``data/``) is the chosen part of the collection as it is laid out on disk:
``manifests/<id>.json`` as stored, the manifest schema, and every text version and WARC under
``corpus/``, and the collection's public keys (``keys/``) and seals (``seals/``), so ``data/`` is
itself a collection that ``archiver verify`` can check, seals included. Each file is
copied (never linked: editing the bag must not edit the evidence) and read back against its
manifest on the way; the bag has sha256 and sha512 manifests and tag manifests.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.exchange.output import new_folder
from archiver.exchange.selection import (
    Description,
    choose,
    collection_folders,
    custody_files,
    read_custody,
    relpath_in,
    verified_blocks,
)
from archiver.manifest import schema_text

CHECKSUMS = ("sha256", "sha512")


@dataclass(frozen=True)
class BagResult:
    """What was bagged: sources and payload files and bytes (the bag's Payload-Oxum)."""

    path: Path
    sources: int
    files: int
    payload_bytes: int


def _write(path: Path, blocks: Iterable[bytes]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with open(path, "xb") as out:
        for block in blocks:
            out.write(block)
            size += len(block)
    return size


def export_bag(collection: Collection, ids: list[str] | None, out: Path, about: Description,
               info: dict[str, str] | None = None) -> BagResult:
    """Write the sources ``ids`` (default: all) as the bag ``out``, with ``info`` added to
    bag-info.txt (Source-Organization, Contact-Name, ...). Call under the read lock."""
    import bagit

    sources = choose(collection, ids)
    fields = {"External-Description": " ".join(about.description.split()),
              "Source-Count": str(len(sources)), **(info or {})}
    files = size = 0
    with new_folder(out, not_in=collection_folders(collection)) as tmp:
        for source in sources:
            size += _write(relpath_in(tmp, source.manifest_relpath),
                           [source.manifest_bytes(collection)])
            for entry in source.files:
                size += _write(relpath_in(tmp, entry.path), verified_blocks(collection, entry))
            files += 1 + len(source.files)
        size += _write(tmp / "manifests" / "schema.json", [schema_text().encode("utf-8")])
        custody = custody_files(collection)
        for relpath in custody:
            size += _write(relpath_in(tmp, relpath), [read_custody(collection, relpath)])
        files += 1 + len(custody)
        try:
            bagit.make_bag(os.fspath(tmp), bag_info=fields, checksums=list(CHECKSUMS))
        except (bagit.BagError, RuntimeError) as exc:
            raise ArchiverError(out, f"cannot make the bag: {exc}") from None
    return BagResult(out, len(sources), files, size)
