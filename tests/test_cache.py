"""The verification cache: values by kind and key; anything unusable is a miss, not an error."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from archiver.cache import Cache


def test_values_by_kind_and_key_replaced_in_place(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c" / "cache.sqlite")
    assert cache.get("warc", "k") is None
    cache.put("warc", "k", b"one")
    cache.put("fidelity", "k", b"other kind")
    cache.put("warc", "k", b"two")
    assert (cache.get("warc", "k"), cache.get("fidelity", "k")) == (b"two", b"other kind")
    assert Cache(tmp_path / "c" / "cache.sqlite").get("warc", "k") == b"two"


def test_a_file_that_is_not_a_database_is_an_empty_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"not a database" * 100)
    cache = Cache(path)
    cache.put("warc", "k", b"value")
    assert cache.get("warc", "k") is None
    assert path.read_bytes() == b"not a database" * 100


def test_a_cache_that_cannot_be_created_is_an_empty_cache(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("a file where the cache folder would be")
    cache = Cache(tmp_path / "file" / "cache.sqlite")
    cache.put("warc", "k", b"value")
    assert cache.get("warc", "k") is None


def _put_in_child(path: Path) -> None:
    Cache(path).put("fidelity", "from child", b"child")


def test_a_forked_process_opens_its_own_connection(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache.sqlite")
    cache.put("fidelity", "from parent", b"parent")  # this process's connection is open
    child = multiprocessing.get_context("fork").Process(target=_put_in_child,
                                                        args=(cache.path,))
    child.start()
    child.join()
    assert child.exitcode == 0
    assert cache.get("fidelity", "from child") == b"child"
    assert cache.get("fidelity", "from parent") == b"parent"
