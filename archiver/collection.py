"""A collection on disk: ``manifests/<id>.json`` and ``corpus/``; refuses paths that leave it."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sqlite3
import stat
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import filelock

from archiver.errors import ArchiverError
from archiver.fileio import TEMP_PREFIX, atomic_write_bytes, write_linked
from archiver.manifest import ID_PATTERN, Manifest, ManifestError, load_manifest, save_manifest

MANIFESTS = "manifests"
CORPUS = "corpus"
KEYS = "keys"  # the public keys that sign seals (custody.keys)
SEALS = "seals"  # the seals, in order (custody.seal)
SCHEMA_FILE = "schema.json"
FOLDERS = (MANIFESTS, CORPUS, SEALS, KEYS)  # the collection's own: never a symlink
LOCK_FILE = ".archiver-lock"
JOURNAL_PREFIX = f"{TEMP_PREFIX}journal-"  # corpus/.archiver-tmp-journal-<run id>.json
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_JOURNAL_LIMIT = 16 << 20  # a run lists a few paths; more is no journal of ours
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


class JournalError(ArchiverError):
    """A journal that lists a file its own run did not make: it is acted on in no part."""


@dataclass(frozen=True)
class Collection:
    """A collection rooted at ``root`` (the folder holding manifests/ and corpus/)."""

    root: Path

    @classmethod
    def open(cls, root: Path) -> Collection:
        """Open the collection at ``root``; raise ArchiverError if there is none."""
        root = root.resolve()
        if not root.exists():
            raise ArchiverError(root, "no such folder; give the collection's folder with "
                                      "--root")
        if not root.is_dir():
            raise ArchiverError(root, "not a folder; give the collection's folder with --root")
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
        if (outer := enclosing(root)) is not None:
            raise ArchiverError(root.resolve(), f"inside the collection {outer.root}, whose "
                                                "files it would mix with; make it outside; "
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

    def held(self) -> str | None:
        """The lock this thread holds on the collection: "read", "write" or None."""
        return _holds().get((os.getpid(), self.root))

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
            for name, reason in self.unsafe_folders():  # no run writes through one
                raise UnsafePathError(self.root / name, f"{reason}; nothing was written")
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
            # never through a symlink, which could point anywhere
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0),
                             0o666))
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePathError(path, "a symlink, not the collection's lock; remove "
                                            "it") from None
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

    def unsafe_folders(self) -> list[tuple[str, str]]:
        """(name, reason) of each of the collection's own folders (``manifests/``,
        ``corpus/``, ``seals/``, ``keys/``) that is a symlink or resolves outside it: what
        is written there would land wherever the link points (``path-unsafe``)."""
        unsafe = []
        for name in FOLDERS:
            path = self.root / name
            if path.is_symlink():
                unsafe.append((name, f"a symlink (to {os.readlink(path)}), not a folder of "
                                     "the collection"))
            elif path.exists() and Path(os.path.realpath(path)).parent != self.root:
                unsafe.append((name, f"resolves outside the collection (to "
                                     f"{os.path.realpath(path)})"))
        return unsafe

    def roll_back(self) -> list[str]:
        """Remove what interrupted runs left: the files their journals show they made and no
        manifest names, and temp files; call only under the write lock. Return one line per
        journal. A journal that lists anything else is left in place, and nothing it lists
        is removed (``verify`` reports it as ``journal-invalid``)."""
        named: set[str] | None = None
        done, kept = [], set()
        for journal in sorted(self.corpus_dir.glob(f"{JOURNAL_PREFIX}*.json")):
            if named is None:
                named = self._named_files()
            rel = f"{CORPUS}/{journal.name}"
            try:
                made = self.journal_files(journal, named)
            except JournalError as exc:
                kept.add(journal)
                done.append(f"{rel}: {exc.reason}; left in place, nothing it lists was removed")
                continue
            removed = 0
            for path, temp in made:
                removed += path is not None and self._unlink(path)
                self._unlink(temp)
            journal.unlink(missing_ok=True)
            done.append(f"rolled back an interrupted run ({rel}): "
                        f"removed {removed} unrecorded file(s)")
        for folder in (self.corpus_dir, self.manifests_dir):
            for dirpath, _, filenames in os.walk(folder):  # never into a symlinked folder
                for name in sorted(filenames):
                    temp = Path(dirpath, name)
                    if name.startswith(TEMP_PREFIX) and temp not in kept and temp.is_file():
                        temp.unlink(missing_ok=True)
                        done.append(f"removed {temp.relative_to(self.root).as_posix()}, "
                                    "left by an interrupted write")
        return done

    def journal_files(self, journal: Path, named: set[str]) -> list[tuple[str | None, str]]:
        """(file, temp) of each file the run of ``journal`` made under corpus/, the file None
        where a manifest names it (the run committed it): what a roll-back may remove.

        A run writes each new file under a temp name bound to its run id
        (``.archiver-tmp-<run>-<n>``, a name no committed file can have) and links the final
        name to it, keeping the temp until the run ends: a file is the run's only while it
        is one file with that temp. Raise JournalError for a journal that is not one run's
        record, or lists any other file (a manifest, seal, key, another run's text)."""
        rel = f"{CORPUS}/{journal.name}"
        run = journal.name[len(JOURNAL_PREFIX):-len(".json")]
        data = _read_journal(journal)
        files = data.get("files") if isinstance(data, dict) else None
        if (not isinstance(data, dict) or not _RUN_ID.match(run) or data.get("run") != run
                or not isinstance(files, list)
                or not all(f is None or isinstance(f, str) for f in files)):
            raise JournalError(rel, "not a journal archiver wrote (a run id, and the list "
                                    "of the files that run made)")
        made: list[tuple[str | None, str]] = []
        for index, path in enumerate(files):
            if path is None:  # a name the run found taken: not its file
                continue
            temp = staged_temp(path, run, index)
            problem = self._not_made(path, temp, path in named)
            if problem:
                raise JournalError(rel, f"lists {path!r}, {problem}")
            made.append((None if path in named else path, temp))
        return made

    def _not_made(self, path: str, temp: str, recorded: bool) -> str | None:
        """Why ``path`` cannot be a file its run made as ``temp``, or None."""
        parts = path.split("/")
        if parts[0] != CORPUS or len(parts) < 2 or any(p in ("", ".", "..") for p in parts):
            return "which is not a path under corpus/"
        if parts[-1].startswith(TEMP_PREFIX):
            return "a temp name, which no run commits"
        try:
            final, made = self.resolve(path), self.resolve(temp)
        except UnsafePathError:
            return "which resolves outside the collection"
        try:
            found = os.lstat(final)
        except FileNotFoundError:
            # never written, or removed already; a recorded file must be the run's own
            return "which a manifest records and its run did not make" if recorded else None
        except OSError as exc:
            return f"which cannot be read ({exc.strerror})"
        try:
            own = os.lstat(made)
        except OSError:
            own = None
        if (own is None or not stat.S_ISREG(found.st_mode)
                or (found.st_dev, found.st_ino) != (own.st_dev, own.st_ino)):
            return (f"which {'a manifest records and ' if recorded else ''}its run did not "
                    f"make (it is not one file with {temp})")
        return None

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
        # a folder, a path through a file, or one no file can have (a NUL, a lone surrogate):
        # a journal written by hand, not one of our runs'
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError,
                UnsafePathError):
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
        """The collection-relative POSIX form of ``path``; UnsafePathError if it resolves
        outside (through a symlinked folder)."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            raise UnsafePathError(path, f"resolves outside the collection (to "
                                        f"{path.resolve()})") from None

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

        A journal under corpus/ lists each file before it is written, and each file is
        written under a temp name bound to the run and linked to its name, so a run killed
        before the manifest is saved leaves only ``temp-file`` warnings (rolled back by the
        next writer, which removes nothing the run did not make); on an error before the
        commit, the files this run wrote are removed again. Call under ``writing()``. The
        temp names and the journal go once the run ends.
        """
        run = uuid.uuid4().hex
        staged = Staging(self, self.corpus_dir / f"{JOURNAL_PREFIX}{run}.json", run)
        try:
            yield staged
        except BaseException:
            if not staged.committed:
                for relpath, temp in staged.created:
                    path = self.resolve(relpath)
                    path.unlink(missing_ok=True)
                    self.resolve(temp).unlink(missing_ok=True)
                    self._remove_if_empty(path.parent)
            raise
        finally:
            for _, temp in staged.created:
                self.resolve(temp).unlink(missing_ok=True)
            staged.journal.unlink(missing_ok=True)

    def _remove_if_empty(self, folder: Path) -> None:
        """Remove a folder under corpus/ that a rolled-back run left empty (not corpus/)."""
        if folder != self.corpus_dir and self.corpus_dir in folder.parents:
            # not empty: another source's files, or a concurrent writer's
            with contextlib.suppress(OSError):
                folder.rmdir()

    def journals(self) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """What journals of interrupted runs say: the files (and temps) each run made, mapped
        to its journal's path; and (path, reason) of each journal that lists a file its run
        did not make (``journal_files``)."""
        staged: dict[str, str] = {}
        problems = []
        journals = sorted(self.corpus_dir.glob(f"{JOURNAL_PREFIX}*.json"))
        named = self._named_files() if journals else set()
        for journal in journals:
            rel = f"{CORPUS}/{journal.name}"
            try:
                for path, temp in self.journal_files(journal, named):
                    staged[temp] = rel
                    if path is not None:
                        staged[path] = rel
            except JournalError as exc:
                problems.append((rel, exc.reason))
        return staged, problems


def enclosing(path: Path) -> Collection | None:
    """The collection whose own folders (manifests/, corpus/, seals/, keys/) hold ``path``."""
    path = path.resolve()
    for folder in (path, *path.parents):
        if folder.name in (MANIFESTS, CORPUS, SEALS, KEYS):
            root = folder.parent
            if (root / MANIFESTS).is_dir() and (root / CORPUS).is_dir():
                return Collection(root)
    return None


def _read_journal(journal: Path) -> object:
    """The JSON of a journal, or None for one archiver cannot have written: not a regular
    file, over _JOURNAL_LIMIT bytes, or not JSON (journals are written whole)."""
    try:
        fd = os.open(journal, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        data = fh.read(_JOURNAL_LIMIT + 1)
    if len(data) > _JOURNAL_LIMIT:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def staged_temp(relpath: str, run: str, index: int) -> str:
    """Where run ``run`` writes its ``index``-th new file before linking it to
    ``relpath``: beside it, under a temp name that names the run."""
    folder = relpath.rpartition("/")[0]
    return f"{folder}/{TEMP_PREFIX}{run}-{index}"


@dataclass
class Staging:
    """Files being written for one manifest; ``commit`` saves the manifest that names them."""

    collection: Collection
    journal: Path
    run: str
    committed: bool = False
    declared: list[str | None] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)  # (file, its temp)

    def write(self, relpath: str, chunks: Iterable[bytes]) -> Path:
        """Write a new file (never replacing one), first listing it in the journal."""
        path = self.collection.resolve(relpath)
        index = len(self.declared)
        temp = staged_temp(relpath, self.run, index)
        self.declared.append(relpath)
        self._save_journal()
        try:
            write_linked(path, self.collection.resolve(temp), chunks)
        except FileExistsError:
            self.declared[index] = None  # not ours: a rollback must never remove it
            self._save_journal()
            raise
        self.created.append((relpath, temp))
        return path

    def _save_journal(self) -> None:
        atomic_write_bytes(self.journal, json.dumps({"run": self.run, "files": self.declared}
                                                    ).encode("utf-8"))

    def commit(self, manifest: Manifest) -> None:
        """Save ``manifest`` atomically: from here on the staged files are recorded."""
        save_manifest(self.collection.manifest_path(manifest.id), manifest)
        self.committed = True
