"""Atomic writes and hashing (archiver/fileio.py): nothing half-written, nothing overwritten."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.fileio import TEMP_PREFIX, atomic_write, atomic_write_bytes, sha256_bytes, sha256_file


def test_sha256_file_hashes_every_block_and_counts_every_byte(tmp_path: Path) -> None:
    # a file of two and a half read blocks, each block different, so a block dropped,
    # repeated or cut short changes the digest
    data = b"".join(bytes([i]) * (1 << 20) for i in range(2)) + b"tail" * (1 << 17)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert sha256_file(path) == (hashlib.sha256(data).hexdigest(), len(data))


def test_sha256_file_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert sha256_file(path) == (hashlib.sha256(b"").hexdigest(), 0)


def test_sha256_bytes_is_the_hex_sha256() -> None:
    assert sha256_bytes(b"abc") == hashlib.sha256(b"abc").hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


def test_atomic_write_joins_the_chunks_and_makes_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "file.txt"
    atomic_write(path, [b"one ", b"two ", b"three"])
    assert path.read_bytes() == b"one two three"
    assert _leftovers(path.parent) == []


def test_atomic_write_replaces_an_existing_file_by_default(tmp_path: Path) -> None:
    path = tmp_path / "file.txt"
    path.write_bytes(b"old")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert _leftovers(tmp_path) == []


def test_atomic_write_never_replaces_evidence_when_told_not_to(tmp_path: Path) -> None:
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(b"the original capture")
    with pytest.raises(FileExistsError):
        atomic_write_bytes(path, b"something else", overwrite=False)
    assert path.read_bytes() == b"the original capture"
    assert _leftovers(tmp_path) == []


def test_atomic_write_without_overwrite_writes_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "capture.warc.gz"
    atomic_write_bytes(path, b"first capture", overwrite=False)
    assert path.read_bytes() == b"first capture"
    assert _leftovers(tmp_path) == []


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(b"the committed manifest")

    def chunks() -> Iterator[bytes]:
        yield b"half of a new "
        raise KeyboardInterrupt  # a run killed mid-write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, chunks())
    assert path.read_bytes() == b"the committed manifest"
    assert _leftovers(tmp_path) == []


def test_new_files_are_readable_by_colleagues(tmp_path: Path) -> None:
    # 0666 less the umask, as any new file: not mkstemp's 0600, which locks a shared folder
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "shared.txt", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "shared.txt").stat().st_mode & 0o777 == 0o644
