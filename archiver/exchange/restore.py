"""``archiver restore``: bring back missing or damaged files from a replica.

A replica is another copy of the collection, a bag that ``export bagit`` wrote (its ``data/``
is a collection), or a WACZ package that ``export wacz`` wrote (texts and manifests under their
own paths, WARCs under ``archive/``). Nothing in a replica is believed: a file is taken only
when its bytes have the sha256 and size that this collection's manifest records, so a replica
that was itself damaged or altered can restore nothing wrong. The replica's place for a file
is tried first; failing that, any file of the same size in it is hashed, so a replica laid out
differently (renamed, or another tool's package) still serves.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from archiver.collection import Collection, UnsafePathError
from archiver.errors import ArchiverError
from archiver.fileio import TEMP_PREFIX, fsync_path, sha256_file
from archiver.manifest import FileEntry, ManifestError, load_manifest

_BLOCK = 1 << 20


@dataclass(frozen=True)
class Needed:
    """A file the manifest names that is missing or differs: what it must be, and what it is."""

    source: str
    entry: FileEntry
    found: tuple[str, int] | None  # (sha256, size) of the damaged copy; None when missing


@dataclass(frozen=True)
class Restored:
    """A file restored: where from (the replica's name for it), and what it replaced."""

    needed: Needed
    origin: str


@dataclass
class RestoreResult:
    """What was restored, what could not be, and what needed nothing."""

    replica: Path
    restored: list[Restored] = field(default_factory=list)
    missing: list[tuple[Needed, str]] = field(default_factory=list)  # (file, why not)
    intact: int = 0

    def as_dict(self) -> dict[str, object]:
        """The audit-log form: each restored file with the digest it was checked against."""
        return {"action": "restore", "replica": str(self.replica), "intact": self.intact,
                "restored": [{"id": r.needed.source, "path": r.needed.entry.path,
                              "sha256": r.needed.entry.sha256, "size": r.needed.entry.size,
                              "from": r.origin, "replaced": _described(r.needed.found)}
                             for r in self.restored],
                "not_restored": [{"id": n.source, "path": n.entry.path, "why": why}
                                 for n, why in self.missing]}


def _described(found: tuple[str, int] | None) -> dict[str, object] | None:
    return None if found is None else {"sha256": found[0], "size": found[1]}


class Replica(Protocol):
    """Where candidate bytes come from: named entries of known size, opened for reading."""

    def preferred(self, relpath: str) -> list[str]:
        """The replica's names for a collection path, most likely first."""

    def sized(self, size: int) -> list[str]:
        """Every entry of exactly ``size`` bytes."""

    def open(self, name: str) -> AbstractContextManager[IO[bytes]]:
        """The entry's bytes (raises OSError or KeyError if it is not there)."""


class FolderReplica:
    """A copy of the collection, or a bag whose ``data/`` is one."""

    def __init__(self, root: Path) -> None:
        self.root = root / "data" if (root / "bagit.txt").is_file() else root
        self._sizes: dict[int, list[str]] | None = None

    def preferred(self, relpath: str) -> list[str]:
        return [relpath]

    def sized(self, size: int) -> list[str]:
        if self._sizes is None:
            self._sizes = {}
            for dirpath, dirnames, filenames in os.walk(self.root):
                dirnames.sort()
                for name in sorted(filenames):
                    path = Path(dirpath) / name
                    if path.is_symlink() or not path.is_file():
                        continue  # a replica's links lead anywhere: only its own files serve
                    rel = path.relative_to(self.root).as_posix()
                    self._sizes.setdefault(path.stat().st_size, []).append(rel)
        return self._sizes.get(size, [])

    def open(self, name: str) -> AbstractContextManager[IO[bytes]]:
        path = self.root.joinpath(*name.split("/"))
        if path.is_symlink():
            raise OSError(f"{name} is a symbolic link")
        return open(path, "rb")


class ZipReplica:
    """A WACZ package (or any zip): texts and manifests by path, WARCs under ``archive/``."""

    def __init__(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
            self.infos = {i.filename: i for i in self.zip.infolist() if not i.is_dir()}
        except (OSError, zipfile.BadZipFile, ValueError) as exc:
            raise ArchiverError(path, f"not a readable WACZ or zip package ({exc})") from None

    def preferred(self, relpath: str) -> list[str]:
        return [relpath, f"archive/{relpath.rsplit('/', 1)[-1]}"]

    def sized(self, size: int) -> list[str]:
        return [n for n, i in self.infos.items() if i.file_size == size]

    def open(self, name: str) -> AbstractContextManager[IO[bytes]]:
        return self.zip.open(self.infos[name])


def open_replica(path: Path) -> FolderReplica | ZipReplica:
    """The replica at ``path``: a folder (collection copy or bag) or a WACZ/zip file."""
    if path.is_dir():
        return FolderReplica(path)
    if path.is_file():
        return ZipReplica(path)
    raise ArchiverError(path, "no such file or folder to restore from")


def needed_files(collection: Collection, ids: list[str]) -> tuple[list[Needed], int]:
    """The files of sources ``ids`` that are missing or differ from their manifest, and how
    many are intact. A manifest that cannot be read is an error: it is what says which bytes
    are right, and nothing here can vouch for a replacement of it."""
    needed, intact = [], 0
    for source_id in ids:
        path = collection.source_manifest_path(source_id)
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            raise ArchiverError(path, f"{exc.reason}; restore cannot tell which bytes are "
                                      "right without it; nothing was restored") from None
        for entry in manifest.files:
            try:
                found: tuple[str, int] | None = sha256_file(collection.resolve(entry.path))
            except UnsafePathError as exc:
                raise ArchiverError(entry.path, f"{exc.reason}; nothing was restored"
                                    ) from None
            except FileNotFoundError:
                found = None
            except OSError as exc:
                raise ArchiverError(entry.path, f"cannot read ({exc.strerror}); nothing was "
                                                "restored") from None
            if found == (entry.sha256, entry.size):
                intact += 1
            else:
                needed.append(Needed(source_id, entry, found))
    return needed, intact


def _copy_checked(replica: Replica, name: str, entry: FileEntry, target: Path) -> bool:
    """Copy the replica's ``name`` beside ``target`` and move it into place only if its bytes
    have the manifest's sha256 and size; return whether it was."""
    digest, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
    try:
        with replica.open(name) as source, open(tmp, "xb") as out:
            while block := source.read(_BLOCK):
                size += len(block)
                if size > entry.size:
                    break
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if (digest.hexdigest(), size) != (entry.sha256, entry.size):
            return False
        os.replace(tmp, target)
        fsync_path(target.parent)
        return True
    # a damaged, encrypted or oddly compressed entry (zlib.error, RuntimeError,
    # NotImplementedError) serves no one; another may
    except (OSError, KeyError, zipfile.BadZipFile, EOFError, zlib.error, RuntimeError,
            NotImplementedError):
        return False
    finally:
        tmp.unlink(missing_ok=True)


def restore(collection: Collection, ids: list[str] | None, replica_path: Path
            ) -> RestoreResult:
    """Restore the missing or damaged files of sources ``ids`` (default: all) from the replica
    at ``replica_path``, each only from bytes with its manifest's sha256 and size; change
    nothing else. Call under the write lock."""
    known = collection.ids()
    for source_id in ids or ():
        if source_id not in known:
            raise ArchiverError(source_id, "no such source in this collection")
    replica_root = replica_path.resolve()
    if replica_root == collection.root:
        raise ArchiverError(replica_path, "is this collection itself; give another copy")
    replica = open_replica(replica_path)
    needed, intact = needed_files(collection, sorted(set(ids)) if ids else known)
    result = RestoreResult(replica_path, intact=intact)
    for item in needed:
        target = collection.resolve(item.entry.path)
        names = replica.preferred(item.entry.path)
        names += [n for n in replica.sized(item.entry.size) if n not in names]
        origin = next((n for n in names if _copy_checked(replica, n, item.entry, target)),
                      None)
        if origin is None:
            why = ("no file in the replica has its sha256 and size" if names
                   else "the replica holds no file of its size")
            result.missing.append((item, why))
        else:
            result.restored.append(Restored(item, origin))
    return result


def entries(result: RestoreResult) -> Iterator[str]:
    """One line per file: restored (and from where) or not, then the totals."""
    for r in result.restored:
        how = "was missing" if r.needed.found is None else "was damaged"
        yield f"{r.needed.source}: restored {r.needed.entry.path} ({how}) from {r.origin}"
    for n, why in result.missing:
        yield f"{n.source}: could not restore {n.entry.path}: {why}"
    yield (f"restored {len(result.restored)} file(s), {len(result.missing)} not restored, "
           f"{result.intact} already intact")
