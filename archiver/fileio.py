"""Atomic writes and the one hashing function: nothing is lost if a run is killed."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

TEMP_PREFIX = ".archiver-tmp-"
_BLOCK = 1 << 20


def sha256_file(path: Path) -> tuple[str, int]:
    """Return (sha256 hex, size in bytes) of a file, reading it in fixed blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(_BLOCK)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            digest.update(view[:n])
            size += n
    return digest.hexdigest(), size


def sha256_bytes(data: bytes) -> str:
    """Return the sha256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file's or a folder's entry to disk (a folder, so a rename in it survives)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, chunks: Iterable[bytes], *, overwrite: bool = True) -> None:
    """Write ``chunks`` to ``path`` via a temp file, fsync and rename.

    With ``overwrite=False`` an existing ``path`` is never replaced (used for captures):
    the final step is a hard link, which fails if the target exists.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
    _write_new(tmp, chunks)
    try:
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            tmp.unlink()
        fsync_path(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_linked(path: Path, temp: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to the new file ``temp``, fsync, and hard-link ``path`` to it.

    ``path`` is never replaced (FileExistsError). ``temp`` stays, one file with ``path``,
    the proof that this write made ``path``, until the caller removes it; on an error it
    is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_new(temp, chunks)
    try:
        os.link(temp, path)
        fsync_path(path.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _write_new(path: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``path``, which must not exist, and fsync it; removed on error."""
    # mode 0666 less the umask, as any new file (mkstemp's 0600 locks colleagues out)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Atomically write ``data`` to ``path``."""
    atomic_write(path, (data,), overwrite=overwrite)
