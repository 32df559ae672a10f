"""Saved verification results, keyed by the hashes they depend on, in one SQLite file.

A cache holds only what can be computed again, so a failure to read or write it is a miss,
never an error: a collection on read-only media verifies the same, only slower. SQLite in WAL
mode with ``synchronous=NORMAL`` stays consistent after a crash (the last writes may be lost)
without an fsync per entry, and one file spares the file system a create per source.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

CACHE_PATH = ".archiver-cache/cache.sqlite"

# Connections by (file, process): a connection must not cross a fork into a worker.
_connections: dict[tuple[Path, int], sqlite3.Connection | None] = {}


class Cache:
    """Values by kind ("warc", "fidelity") and key in the SQLite file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, root: Path) -> Cache:
        """The cache of the collection at ``root``."""
        return cls(root / CACHE_PATH)

    def get(self, kind: str, key: str) -> bytes | None:
        """The saved value, or None."""
        db = _connect(self.path)
        if db is None:
            return None
        try:
            row = db.execute("SELECT value FROM entries WHERE kind = ? AND key = ?",
                             (kind, key)).fetchone()
        except sqlite3.Error:
            return None
        return bytes(row[0]) if row else None

    def put(self, kind: str, key: str, value: bytes) -> None:
        """Save ``value``, replacing what was saved under the same kind and key."""
        db = _connect(self.path)
        if db is None:
            return
        with contextlib.suppress(sqlite3.Error):  # busy or read-only: computed again next time
            db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (kind, key, value))


def _connect(path: Path) -> sqlite3.Connection | None:
    """This process's connection to the cache at ``path``; None if it cannot be opened."""
    slot = (path, os.getpid())
    if slot not in _connections:
        _connections[slot] = _open(path)
    return _connections[slot]


def _open(path: Path) -> sqlite3.Connection | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=30, isolation_level=None)  # autocommit
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT NULL, "
                   "value BLOB NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID")
    except (OSError, sqlite3.Error):
        return None
    return db
