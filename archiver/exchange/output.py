"""An export's target, written beside itself under a temporary name and renamed into place at
the end: a run that fails or is killed never leaves a partial package under the asked name.

While it is written the temporary file or folder is locked (flock); the lock dies with the
process, so a partial that a killed run left is one no process holds, and the next export to
that folder removes it (``remove_leftovers``).
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from archiver.errors import ArchiverError
from archiver.fileio import TEMP_PREFIX, fsync_path

# the names _beside gives: the prefix, 16 hex digits, a dash, the target's name
_LEFTOVER = re.compile(rf"{re.escape(TEMP_PREFIX)}[0-9a-f]{{16}}-.")
# an empty folder this young may be one a running export has made and not yet locked
_YOUNG = 10.0


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove from ``folder`` the partial exports that killed runs left: files and folders
    named as an export's temporary that no running export holds locked. Return them."""
    removed = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not _LEFTOVER.match(entry.name) or entry.is_symlink():
            continue
        try:
            fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if entry.is_dir():
                if not any(entry.iterdir()) and time.time() - entry.stat().st_mtime < _YOUNG:
                    continue
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:  # held by a running export (BlockingIOError), or gone meanwhile
            continue
        finally:
            os.close(fd)
    return removed


def _locked_file(tmp: Path) -> int:
    """Make ``tmp`` empty and locked, returning the descriptor that holds the lock. Made
    unnamed (O_TMPFILE) and linked under its name once locked, where the system can, so no
    other run ever sees it unlocked; else made and locked at once."""
    flags = os.O_RDWR | os.O_CLOEXEC
    try:
        fd = os.open(tmp.parent, flags | os.O_TMPFILE, 0o666)
    except (AttributeError, OSError):  # no O_TMPFILE (not Linux, or not this file system)
        fd = -1
    if fd >= 0:
        parent = os.open(tmp.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # a dir fd makes os.link use linkat(AT_SYMLINK_FOLLOW): the file, not the link
            os.link(f"/proc/self/fd/{fd}", tmp.name, dst_dir_fd=parent)
            return fd
        except OSError:  # no /proc: the other way
            os.close(fd)
        finally:
            os.close(parent)
    fd = os.open(tmp, flags | os.O_CREAT | os.O_EXCL, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _refuse_existing(out: Path) -> None:
    if out.exists() or out.is_symlink():
        raise ArchiverError(out, "exists already; nothing was written (choose a new name)")


def _beside(out: Path, inside: Iterable[Path]) -> Path:
    if not out.parent.is_dir():
        raise ArchiverError(out, "its folder does not exist")
    where = out.parent.resolve()
    for folder in inside:
        if where == folder or folder in where.parents:
            raise ArchiverError(out, f"is inside {folder}; an export must not become part of "
                                     "the collection it exports")
    return out.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}-{out.name}"


@contextmanager
def new_file(out: Path, *, not_in: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``out`` to write the whole file to; on success it becomes
    ``out`` (a hard link, which fails rather than replace a file made meanwhile). ``out`` must
    not be in any of the folders ``not_in``."""
    _refuse_existing(out)
    tmp = _beside(out, not_in)
    parent = out.parent
    remove_leftovers(parent)
    fd = -1
    try:
        fd = _locked_file(tmp)
        yield tmp
        fsync_path(tmp)
        try:
            os.link(tmp, out)
        except FileExistsError:
            raise ArchiverError(out, "was made by another run meanwhile; nothing was "
                                     "written") from None
        fsync_path(parent)
    except OSError as exc:
        raise ArchiverError(out, f"cannot write: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
        if fd >= 0:
            os.close(fd)


@contextmanager
def new_folder(out: Path, *, not_in: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a temporary folder beside ``out`` to fill; on success it is renamed to ``out``."""
    _refuse_existing(out)
    tmp = _beside(out, not_in)
    parent = out.parent
    remove_leftovers(parent)
    fd = -1
    try:
        tmp.mkdir()
        fd = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield tmp
        for dirpath, _, filenames in os.walk(tmp):
            for name in filenames:
                fsync_path(Path(dirpath, name))
            fsync_path(Path(dirpath))
        # rename(2) would replace an empty folder made meanwhile: check once more, just before
        _refuse_existing(out)
        os.rename(tmp, out)
        fsync_path(parent)
    except OSError as exc:
        raise ArchiverError(out, f"cannot write: {exc.strerror}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
        if fd >= 0:
            os.close(fd)
