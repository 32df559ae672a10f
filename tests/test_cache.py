"""The verification cache: values by kind and key; anything unusable is a miss, not an error."""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run

from archiver import cache as cache_module
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


def test_an_entry_edited_by_hand_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache.sqlite")
    cache.put("fidelity", "k", b'{"findings": [{"code": "quote-altered"}]}')
    with contextlib.closing(sqlite3.connect(tmp_path / "cache.sqlite")) as db:
        [(stored,)] = db.execute("SELECT value FROM entries").fetchall()
        # the findings cleared, the HMAC kept: what an editor of the file would try
        db.execute("UPDATE entries SET value = ?", (stored[:32] + b'{"findings": []}',))
        db.commit()
    assert cache.get("fidelity", "k") is None
    cache.put("fidelity", "k", b"computed again")
    assert cache.get("fidelity", "k") == b"computed again"


def test_another_users_cache_and_another_codes_results_are_misses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cache.sqlite"
    Cache(path).put("warc", "k", b"saved")
    assert Cache(path).get("warc", "k") == b"saved"
    with monkeypatch.context() as patch:
        patch.setattr(cache_module, "_code_sha256", lambda: "0" * 64)  # archiver changed
        assert Cache(path).get("warc", "k") is None
    assert Cache(path).get("warc", "k") == b"saved"
    # the same file under another user's configuration: another secret
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "someone-else"))
    assert Cache(path).get("warc", "k") is None
    assert (tmp_path / "someone-else" / "archiver" / "cache-secret").stat().st_mode & 0o777 == (
        0o600)


def test_the_cache_is_the_users_and_never_inside_the_collection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user_cache: Path) -> None:
    root = tmp_path / "col"
    (root / "corpus").mkdir(parents=True)
    assert Cache.of(root).path == user_cache / "archiver" / "cache.sqlite"
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "corpus"))  # it would travel with it
    inside = Cache.of(root)
    assert inside.path is None
    inside.prepare()
    inside.put("warc", "k", b"value")
    assert inside.get("warc", "k") is None
    assert list((root / "corpus").iterdir()) == []


def test_every_worker_fills_a_fresh_cache_and_a_warm_run_computes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Real worker processes on a cache that does not exist yet: none runs without it (the
    cold run saves every source's result), so the next run computes nothing again."""
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    sources = 24
    for n in range(sources):
        text = tmp_path / f"s{n}.txt"
        text.write_text(f"Source {n}\n\nThe report of source {n} said [more](#).\n")
        assert run(capsys, "add", str(text), "--root", str(root),
                   "--url", f"https://example.org/{n}")[0] == 0
    path = Cache.of(root).path
    assert path is not None and not path.exists()
    # in a process of its own, as from a shell: its workers are forked all at once
    verify = [sys.executable, "-m", "archiver", "verify", "--root", str(root), "--format",
              "json", "--jobs", "2"]
    cold = subprocess.run(verify, capture_output=True, check=False)
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM entries WHERE kind = 'damage'"
                          ).fetchone() == (sources,)
        # from here on, every result saved (only a miss saves one) is counted
        db.executescript("CREATE TABLE misses (kind TEXT, key TEXT);"
                         "CREATE TRIGGER counted AFTER INSERT ON entries BEGIN "
                         "INSERT INTO misses VALUES (new.kind, new.key); END;")
    warm = subprocess.run(verify, capture_output=True, check=False)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert warm.stderr == cold.stderr == b""
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM misses").fetchone() == (0,)
