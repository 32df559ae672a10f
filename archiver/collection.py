"""A collection on disk: ``manifests/<id>.json`` and ``corpus/``; refuses paths that leave it."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import filelock

from archiver.errors import ArchiverError
from archiver.fileio import TEMP_PREFIX, atomic_write, atomic_write_bytes
from archiver.manifest import ID_PATTERN, Manifest, ManifestError, load_manifest, save_manifest

MANIFESTS = "manifests"
CORPUS = "corpus"
KEYS = "keys"  # the public keys that sign seals (custody.keys)
SEALS = "seals"  # the seals, in order (custody.seal)
SCHEMA_FILE = "schema.json"
LOCK_FILE = ".archiver-lock"
JOURNAL_PREFIX = f"{TEMP_PREFIX}journal-"
DEFAULT_WAIT = 60.0
_ID = re.compile(ID_PATTERN)
# ids whose files would collide with the collection's own: the schema, and a text version
# (repair writes source x's second version as corpus/x.v2.txt)
_RESERVED = re.compile(r"^(schema|.*\.v[0-9]+)$", re.IGNORECASE)
# The locks this thread holds, by process and collection root: "read" or "write". A nested
# ``writing()`` (the CLI's, then the library function's) must not wait for its own lock.
_held = threading.local()


def _holds() -> dict[tuple[int, Path], str]:
    if not hasattr(_held, "modes"):
        _held.modes = {}
    return _held.modes


class BusyError(ArchiverError):
    """Another archiver run holds the collection's lock for longer than we wait."""


class UnsafePathError(ArchiverError):
    """A path named by a manifest resolves outside the collection."""


@dataclass(frozen=True)
class Collection:
    """A collection rooted at ``root`` (the folder holding manifests/ and corpus/)."""

    root: Path

    @classmethod
    def open(cls, root: Path) -> Collection:
        """Open the collection at ``root``; raise ArchiverError if there is none."""
        root = root.resolve()
        for name in (MANIFESTS, CORPUS):
            if not (root / name).is_dir():
                raise ArchiverError(root, f"no collection here (missing {name}/); "
                                          "run 'archiver init' or pass --root")
        return cls(root)

    @classmethod
    def init(cls, root: Path) -> Collection:
        """Create an empty collection at ``root``; refuse (changing nothing) if one is there."""
        if any((root / name).exists() for name in (MANIFESTS, CORPUS)):
            raise ArchiverError(root.resolve(), "a collection exists here already; "
                                                "nothing was changed")
        for name in (MANIFESTS, CORPUS):
            try:
                (root / name).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ArchiverError(root / name, f"cannot create: {exc.strerror}") from None
        return cls(root.resolve())

    @property
    def manifests_dir(self) -> Path:
        """The folder of manifests."""
        return self.root / MANIFESTS

    @property
    def corpus_dir(self) -> Path:
        """The folder of texts and WARCs."""
        return self.root / CORPUS

    def manifest_path(self, source_id: str) -> Path:
        """Where the manifest of ``source_id`` lives; refuses ids that are not plain names."""
        if not _ID.match(source_id):
            raise ArchiverError(source_id, f"not a valid source id (must match {ID_PATTERN})")
        if source_id.lower() == "schema":
            raise ArchiverError(source_id, "a reserved id (manifests/schema.json is the schema)")
        return self.manifests_dir / f"{source_id}.json"

    def source_manifest_path(self, source_id: str) -> Path:
        """The manifest of ``source_id``, which must be a source of this collection."""
        path = self.manifest_path(source_id)
        if not path.is_file():
            raise ArchiverError(source_id, "no such source in this collection")
        return path

    def new_manifest_path(self, source_id: str) -> Path:
        """Where a new source's manifest goes; refuses ids whose files would collide with
        the collection's own (``schema``, ``<id>.v2``: another source's text version)."""
        path = self.manifest_path(source_id)
        if _RESERVED.match(source_id):
            raise ArchiverError(source_id, "a reserved id (it would collide with the schema or "
                                           "with another source's text version); give --id")
        return path

    @contextmanager
    def writing(self, wait: float = DEFAULT_WAIT, on_wait: Callable[[], None] | None = None
                ) -> Iterator[list[str]]:
        """Hold the collection's write lock (waiting at most ``wait`` seconds, calling
        ``on_wait`` if it must wait) and roll back what killed runs left; yield one line
        for each roll-back. Every writer holds it. Re-entrant: within a thread that holds
        it already this waits for nothing and rolls nothing back (the outer run's staged
        files are not leftovers), yielding no line."""
        key = (os.getpid(), self.root)
        held = _holds().get(key)
        if held == "write":
            yield []
            return
        if held == "read":
            raise ArchiverError(self.root, "cannot write while this run holds the read lock")
        with self._locked(write=True, wait=wait, on_wait=on_wait):
            _holds()[key] = "write"
            try:
                yield self.roll_back()
            finally:
                del _holds()[key]

    @contextmanager
    def reading(self, wait: float = DEFAULT_WAIT, on_wait: Callable[[], None] | None = None
                ) -> Iterator[None]:
        """Hold the collection's read lock: no writer commits while ``verify`` looks. Within a
        thread that holds either lock already, this waits for nothing."""
        key = (os.getpid(), self.root)
        if key in _holds():
            yield
            return
        with self._locked(write=False, wait=wait, on_wait=on_wait):
            _holds()[key] = "read"
            try:
                yield
            finally:
                del _holds()[key]

    @contextmanager
    def _locked(self, *, write: bool, wait: float, on_wait: Callable[[], None] | None
                ) -> Iterator[None]:
        # SQLite's locks (filelock.ReadWriteLock) end with the process, even on SIGKILL
        path = self.root / LOCK_FILE
        try:
            # made here, as any file (0666 less the umask): filelock's own 0600 would lock
            # colleagues sharing the folder out; an empty file is an empty SQLite database
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o666))
        except OSError as exc:
            if write or exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise ArchiverError(path, f"cannot make the collection's lock: "
                                          f"{exc.strerror}") from None
            yield  # read-only media: no run can write here, so there is nothing to wait for
            return
        lock = filelock.ReadWriteLock(path, is_singleton=False)
        acquire = lock.acquire_write if write else lock.acquire_read
        try:
            try:
                acquire(blocking=False)
            except filelock.Timeout:
                if on_wait is not None:
                    on_wait()
                acquire(timeout=wait)
        except filelock.Timeout:
            lock.close()
            raise BusyError(self.root, f"collection is busy: another archiver run has held "
                                       f"its lock for {wait:g} s; try again later") from None
        except (OSError, sqlite3.DatabaseError) as exc:
            lock.close()
            raise ArchiverError(path, f"cannot use the collection's lock ({exc}); if no "
                                      "archiver run is going, delete it") from None
        try:
            yield
        finally:
            lock.release()
            lock.close()

    def roll_back(self) -> list[str]:
        """Remove what interrupted runs left: the files their journals list that no manifest
        names, and temp files; call only under the write lock. Return one line per journal."""
        named: set[str] | None = None
        done = []
        for journal in sorted(self.corpus_dir.glob(f"{JOURNAL_PREFIX}*.json")):
            if named is None:
                named = self._named_files()
            paths = _journal_paths(journal)
            removed = [p for p in paths if p not in named and self._unlink(p)]
            journal.unlink(missing_ok=True)
            done.append(f"rolled back an interrupted run ({self.relative(journal)}): "
                        f"removed {len(removed)} unrecorded file(s)")
        for folder in (self.corpus_dir, self.manifests_dir):
            for temp in folder.rglob(f"{TEMP_PREFIX}*"):
                if temp.is_file():
                    temp.unlink(missing_ok=True)
                    done.append(f"removed {self.relative(temp)}, left by an interrupted write")
        return done

    def _named_files(self) -> set[str]:
        named: set[str] = set()
        for source_id in self.ids():
            try:
                named.update(f.path for f in load_manifest(self.manifests_dir /
                                                           f"{source_id}.json").files)
            except ManifestError:
                # its files are unknown: keep every file under its name
                named.update(p for p in self.corpus_files()
                             if p.startswith((f"corpus/{source_id}.", f"corpus/{source_id}/")))
        return named

    def _unlink(self, relpath: str) -> bool:
        try:
            self.resolve(relpath).unlink()
        except (FileNotFoundError, UnsafePathError):
            return False
        return True

    def ids(self) -> list[str]:
        """Every source id with a manifest, sorted."""
        return sorted(
            p.name[: -len(".json")]
            for p in self.manifests_dir.glob("*.json")
            if p.name != SCHEMA_FILE and not p.name.startswith(".")
        )

    def resolve(self, relpath: str) -> Path:
        """The absolute path of a collection-relative POSIX path, refusing any way out.

        The manifest model already refuses absolute paths and ``..``; this also refuses a
        symlink anywhere on the way that points outside the collection.
        """
        candidate = self.root.joinpath(*relpath.split("/"))
        real = Path(os.path.realpath(candidate))
        if real != self.root and self.root not in real.parents:
            raise UnsafePathError(relpath, f"resolves outside the collection (to {real})")
        return candidate

    def relative(self, path: Path) -> str:
        """The collection-relative POSIX form of ``path``."""
        return path.resolve().relative_to(self.root).as_posix()

    def corpus_files(self) -> Iterator[str]:
        """Every file under corpus/, as collection-relative POSIX paths, in sorted order."""
        for dirpath, dirnames, filenames in os.walk(self.corpus_dir):
            dirnames.sort()
            base = Path(dirpath)
            for name in sorted(filenames):
                yield (base / name).relative_to(self.root).as_posix()

    @contextmanager
    def staging(self) -> Iterator[Staging]:
        """Write a run's new files with ``Staging.write``; commit by saving the manifest.

        A journal under corpus/ lists each file before it is written, so a run killed before
        the manifest is saved leaves only ``temp-file`` warnings (rolled back by the next
        writer); on an error before the commit, the files this run wrote are removed again.
        Call under ``writing()``. The journal goes once the run ends.
        """
        staged = Staging(self, self.corpus_dir / f"{JOURNAL_PREFIX}{uuid.uuid4().hex}.json")
        try:
            yield staged
        except BaseException:
            if not staged.committed:
                for relpath in staged.created:
                    path = self.resolve(relpath)
                    path.unlink(missing_ok=True)
                    self._remove_if_empty(path.parent)
            raise
        finally:
            staged.journal.unlink(missing_ok=True)

    def _remove_if_empty(self, folder: Path) -> None:
        """Remove a folder under corpus/ that a rolled-back run left empty (not corpus/)."""
        if folder != self.corpus_dir and self.corpus_dir in folder.parents:
            # not empty: another source's files, or a concurrent writer's
            with contextlib.suppress(OSError):
                folder.rmdir()

    def staged_paths(self) -> dict[str, str]:
        """Files declared by journals of interrupted runs, mapped to their journal's path."""
        staged: dict[str, str] = {}
        for journal in self.corpus_dir.glob(f"{JOURNAL_PREFIX}*.json"):
            rel = self.relative(journal)
            staged.update(dict.fromkeys(_journal_paths(journal), rel))
        return staged


def _journal_paths(journal: Path) -> list[str]:
    try:
        paths = json.loads(journal.read_bytes())
    except (OSError, ValueError):
        return []  # a torn journal is itself reported as a temp file
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


@dataclass
class Staging:
    """Files being written for one manifest; ``commit`` saves the manifest that names them."""

    collection: Collection
    journal: Path
    committed: bool = False
    declared: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)

    def write(self, relpath: str, chunks: Iterable[bytes]) -> Path:
        """Write a new file (never replacing one), first listing it in the journal."""
        path = self.collection.resolve(relpath)
        self.declared.append(relpath)
        atomic_write_bytes(self.journal, json.dumps(self.declared).encode("utf-8"))
        try:
            atomic_write(path, chunks, overwrite=False)
        except FileExistsError:
            self.declared.remove(relpath)  # not ours: a rollback must never remove it
            atomic_write_bytes(self.journal, json.dumps(self.declared).encode("utf-8"))
            raise
        self.created.append(relpath)
        return path

    def commit(self, manifest: Manifest) -> None:
        """Save ``manifest`` atomically: from here on the staged files are recorded."""
        save_manifest(self.collection.manifest_path(manifest.id), manifest)
        self.committed = True
