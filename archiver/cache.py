"""Saved verification results, per user and outside every collection, in one SQLite file.

A collection travels and anyone who held a copy could have written into it, so nothing
cached is kept in it: the cache is the user's own (``$XDG_CACHE_HOME/archiver/cache.sqlite``,
default ``~/.cache/archiver``), shared by all their collections, its keys made of the content
hashes a result depends on. Each value is stored with an HMAC-SHA256 under a per-user secret
(``$XDG_CONFIG_HOME/archiver/cache-secret``) and the sha256 of archiver's own code: a value
edited by hand, copied from someone else's cache or computed by other code is a miss,
computed again and replaced, never believed. A cache holds only what can be computed again,
so a failure to read or write it is a miss, never an error. SQLite in WAL mode with
``synchronous=NORMAL`` stays consistent after a crash without an fsync per entry.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import secrets
import sqlite3
import time
from pathlib import Path

CACHE_FILE = "cache.sqlite"
SECRET_FILE = "cache-secret"
# where caches lived before, inside collections: never read (anyone could have written it)
LEGACY_CACHE = ".archiver-cache"
_MAC_SIZE = 32
_OPEN_TRIES = 50  # creating the file, workers that start together wait for each other

# Connections by (file, process): a connection must not cross a fork into a worker.
_connections: dict[tuple[Path, int], sqlite3.Connection | None] = {}


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/archiver`` (default ``~/.cache/archiver``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "archiver"


def secret_path() -> Path:
    """``$XDG_CONFIG_HOME/archiver/cache-secret`` (default ``~/.config/...``): the key of the
    cache's HMACs, kept apart from the cache so that a cache file alone proves nothing."""
    return _secret_path(os.environ.get("XDG_CONFIG_HOME"), os.environ.get("HOME"))


@functools.cache
def _secret_path(config_home: str | None, home: str | None) -> Path:
    """secret_path for these values of ``$XDG_CONFIG_HOME`` and ``$HOME`` (which Path.home
    reads), made once: every value read from or saved in the cache asks for it."""
    base = config_home or str(Path.home() / ".config")
    return Path(base) / "archiver" / SECRET_FILE


def user_environment() -> dict[str, str]:
    """The variables that place this process's cache and secret, resolved, for a worker to
    adopt: a fork server's workers have the environment the server started with, which may
    be another run's."""
    return {"XDG_CACHE_HOME": str(cache_dir().parent),
            "XDG_CONFIG_HOME": str(secret_path().parent.parent)}


class Cache:
    """Values by kind ("warc", "fidelity", "damage") and key in the SQLite file at ``path``;
    ``path`` None is a cache that holds nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @classmethod
    def of(cls, root: Path) -> Cache:
        """The user's cache, to verify the collection at ``root``: none at all if it lies
        inside that collection (it would travel with it)."""
        return cls(_path_for(str(root), os.environ.get("XDG_CACHE_HOME")))

    def prepare(self) -> None:
        """Create the file and its secret now, before worker processes start: workers that
        all find no cache would race to create it."""
        if self.path is not None and (db := _open(self.path)) is not None:
            db.close()  # each process opens its own: a connection must not cross a fork
            _secret(secret_path())
            _code_sha256()

    def count(self, kind: str) -> int:
        """How many values of ``kind`` are saved, for any collection (0 without a cache)."""
        if self.path is None or (db := _open(self.path)) is None:
            return 0
        try:
            return int(db.execute("SELECT count(*) FROM entries WHERE kind = ?",
                                  (kind,)).fetchone()[0])
        except sqlite3.Error:
            return 0
        finally:
            db.close()  # as in prepare: a connection must not cross a fork

    def get(self, kind: str, key: str) -> bytes | None:
        """The saved value, or None (also for one whose HMAC does not hold)."""
        db = _connect(self.path)
        secret = _secret(secret_path())
        if db is None or secret is None:
            return None
        try:
            row = db.execute("SELECT value FROM entries WHERE kind = ? AND key = ?",
                             (kind, key)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        stored = bytes(row[0])
        mac, value = stored[:_MAC_SIZE], stored[_MAC_SIZE:]
        if not hmac.compare_digest(mac, _mac(secret, kind, key, value)):
            return None
        return value

    def put(self, kind: str, key: str, value: bytes) -> None:
        """Save ``value``, replacing what was saved under the same kind and key."""
        db = _connect(self.path)
        secret = _secret(secret_path())
        if db is None or secret is None:
            return
        stored = _mac(secret, kind, key, value) + value
        with contextlib.suppress(sqlite3.Error):  # busy or read-only: computed again next time
            db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (kind, key, stored))


@functools.cache
def _path_for(root: str, cache_home: str | None) -> Path | None:
    """The cache file for the collection at ``root``, None if it lies inside it; once a
    process for each (``root``, ``$XDG_CACHE_HOME``)."""
    path = cache_dir() / CACHE_FILE
    real, collection = os.path.realpath(path), os.path.realpath(root)
    return None if os.path.commonpath([real, collection]) == collection else path


def _mac(secret: bytes, kind: str, key: str, value: bytes) -> bytes:
    """The HMAC of one entry: its kind, key and value and the code that computed it."""
    head = f"{_code_sha256()}\0{kind}\0{key}\0".encode()
    return hmac.new(secret, head + value, hashlib.sha256).digest()


@functools.cache
def _code_sha256() -> str:
    """The sha256 of archiver's own source files (about 2 ms, once a process): a result
    computed by other code, even under the same version number, is never reused."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".html", ".j2", ".css", ".json")):
                path = Path(folder, name)
                data = path.read_bytes()
                digest.update(f"{path.relative_to(package).as_posix()}\0{len(data)}\0".encode())
                digest.update(data)
    return digest.hexdigest()


@functools.cache
def _secret(path: Path) -> bytes | None:
    """The per-user HMAC key at ``path``, made (mode 0600) if there is none; None if it can
    be neither read nor made: then nothing is cached."""
    for _ in range(2):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            _make_secret(path)
            continue
        except OSError:
            return None
        return data if len(data) >= 32 else None
    return None


def _make_secret(path: Path) -> None:
    """Write a new secret whole under a temp name and link it into place: a process that
    loses the race to make it reads the winner's, never a half-written one."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        finally:
            temp.unlink()


def _connect(path: Path | None) -> sqlite3.Connection | None:
    """This process's connection to the cache at ``path``; None if it cannot be opened."""
    if path is None:
        return None
    slot = (path, os.getpid())
    if slot not in _connections:
        _connections[slot] = _open(path)
    return _connections[slot]


def _open(path: Path) -> sqlite3.Connection | None:
    """Open (making it if need be) the cache at ``path``. Switching a new file to WAL takes
    a lock SQLite's busy timeout does not wait for: a process that meets another's is told
    ``database is locked`` at once, so it tries again rather than run without a cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    for attempt in range(_OPEN_TRIES):
        db = None
        try:
            db = sqlite3.connect(path, timeout=30, isolation_level=None)  # autocommit
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT "
                       "NULL, value BLOB NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID")
            return db
        except sqlite3.OperationalError as exc:
            if db is not None:
                db.close()
            if "locked" not in str(exc) and "busy" not in str(exc):
                return None
            time.sleep(0.01 * (attempt + 1))
        except sqlite3.Error:
            if db is not None:
                db.close()
            return None
    return None
