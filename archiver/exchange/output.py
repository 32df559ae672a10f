"""An export's target, written beside itself under a temporary name and renamed into place at
the end: a run that fails or is killed never leaves a partial package under the asked name."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from archiver.errors import ArchiverError
from archiver.fileio import TEMP_PREFIX, fsync_path


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
    try:
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


@contextmanager
def new_folder(out: Path, *, not_in: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a temporary folder beside ``out`` to fill; on success it is renamed to ``out``."""
    _refuse_existing(out)
    tmp = _beside(out, not_in)
    parent = out.parent
    try:
        tmp.mkdir()
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
