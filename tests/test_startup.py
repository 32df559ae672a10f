"""What a run loads, and what it spares itself: a verify loads ftfy only for a text it scans
(a repeat run finds the text's damage in the cache), cryptography only for a collection with
seals or keys, no pool for a few sources, no progress bar off a terminal; and the
garbage-collector settings of the ``archiver`` command and its workers."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Site, run

from archiver import verify as verify_module
from archiver.cache import Cache
from archiver.collection import Collection
from archiver.fidelity import damage
from archiver.workers import process_pool

# mojibake (a UTF-8 text read as cp1252), a placeholder link and typographic quotes
DAMAGED = ("A headline\n\nThe minister\u2019s statement was clear.\n\n"
           "The report said: â€œthe talks failedâ€\x9d, and [more](#).\n")

# Loads a run must spare: the mojibake check, the custody chain, the pool, the progress bar.
SPARED = ("ftfy", "cryptography", "concurrent.futures.process", "rich.progress")


def _add(capsys: pytest.CaptureFixture[str], root: Path, tmp_path: Path, name: str,
         text: str) -> None:
    src = tmp_path / f"{name}.txt"
    src.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "add", str(src), "--root", str(root),
                       "--url", f"https://example.org/{name}")
    assert code == 0, err


@pytest.fixture
def damaged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A collection of two sources with the same damaged text."""
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    for name in ("first", "second"):
        _add(capsys, root, tmp_path, name, DAMAGED)
    return root


def _verify_in_a_process(root: Path, *extra: str) -> tuple[dict, list[str]]:
    """``archiver verify --format json`` in a fresh interpreter, stderr not a terminal: the
    report, and which of SPARED it loaded."""
    probe = ("import sys\nfrom archiver.cli import main\n"
             f"code = main(['verify', '--root', {str(root)!r}, '--format', 'json', *{extra!r}])\n"
             f"print('LOADED', [m for m in {SPARED!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    report, _, loaded = done.stdout.rpartition("LOADED ")
    return json.loads(report), json.loads(loaded.replace("'", '"'))


def _damage(report: dict) -> list[tuple[str, str, str, int, str]]:
    return sorted((d["id"], f["code"], f["path"], f["line"], f["message"])
                  for d in report["documents"] for f in d["findings"]
                  if f["path"].startswith("corpus/"))


def test_a_repeat_verify_takes_the_damage_from_the_cache_and_loads_no_ftfy(damaged: Path
                                                                             ) -> None:
    first, loaded_first = _verify_in_a_process(damaged)
    again, loaded_again = _verify_in_a_process(damaged)
    assert loaded_first == ["ftfy"]  # a text scanned: its non-ASCII lines need ftfy
    assert loaded_again == []
    found = _damage(first)
    assert {(i, code, path, line) for i, code, path, line, _ in found} == {
        (i, code, f"corpus/{i}.txt", line) for i in ("first", "second")
        for code, line in (("link-placeholder", 5), ("mojibake", 5))}
    assert _damage(again) == found  # each source's findings at its own path, word for word


def test_no_cache_scans_every_text_and_saves_nothing(damaged: Path) -> None:
    _verify_in_a_process(damaged)
    cache = Cache.of(damaged).path
    assert cache is not None and cache.exists()
    for path in cache.parent.glob("cache.sqlite*"):
        path.unlink()
    report, loaded = _verify_in_a_process(damaged, "--no-cache")
    assert loaded == ["ftfy"]
    assert [f[1] for f in _damage(report)] == ["link-placeholder", "mojibake"] * 2
    assert not cache.exists()


def test_saved_findings_are_those_of_a_scan_under_the_path_asked(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache.sqlite")
    fresh = damage.scan_text(DAMAGED, "corpus/a.txt")
    assert [f.code for f in fresh] == ["link-placeholder", "mojibake"]
    assert damage.scan_cached(DAMAGED, "corpus/a.txt", cache) == fresh
    key = damage._cache_key(DAMAGED)
    assert key is not None and cache.get("damage", key) is not None
    cache.put("damage", key, json.dumps([["split-link", 1, "saved, not scanned"]]).encode())
    [saved] = damage.scan_cached(DAMAGED, "corpus/b.txt", cache)
    assert (saved.code, saved.path, saved.line, saved.message) == (
        "split-link", "corpus/b.txt", 1, "saved, not scanned")


@pytest.mark.parametrize("saved", [b"not json", b'{"a": 1}', b'[["no-such-code", 1, "m"]]',
                                   b"[[1, 2]]"])
def test_a_saved_entry_that_is_not_findings_is_scanned_again_and_replaced(
        tmp_path: Path, saved: bytes) -> None:
    cache = Cache(tmp_path / "cache.sqlite")
    key = damage._cache_key(DAMAGED)
    assert key is not None
    cache.put("damage", key, saved)
    assert damage.scan_cached(DAMAGED, "corpus/a.txt", cache) == damage.scan_text(
        DAMAGED, "corpus/a.txt")
    assert json.loads(cache.get("damage", key) or b"") == [
        ["link-placeholder", 5, damage.scan_text(DAMAGED, "x")[0].message],
        ["mojibake", 5, damage.scan_text(DAMAGED, "x")[1].message]]


def test_the_key_holds_the_text_and_the_detectors_own_code(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    key = damage._cache_key(DAMAGED)
    assert key is not None and len(key) == 64
    assert damage._cache_key(DAMAGED + " ") not in (None, key)
    assert damage._code_sha256() == __import__("hashlib").sha256(
        Path(damage.__file__).read_bytes()).hexdigest()
    monkeypatch.setattr(damage, "_code_sha256", lambda: "0" * 64)  # a detector changed
    assert damage._cache_key(DAMAGED) not in (None, key)
    monkeypatch.setattr(damage, "_code_sha256", lambda: None)  # its code cannot be read
    assert damage._cache_key(DAMAGED) is None
    cache = Cache(tmp_path / "cache.sqlite")
    assert [f.code for f in damage.scan_cached(DAMAGED, "corpus/a.txt", cache)] == [
        "link-placeholder", "mojibake"]
    assert not cache.path.exists()  # nothing saved, under no key


def test_custody_is_checked_when_the_collection_holds_keys_only(damaged: Path) -> None:
    report, loaded = _verify_in_a_process(damaged)
    assert "cryptography" not in loaded
    (damaged / "keys").mkdir()
    (damaged / "keys" / "stray.pub").write_text("not a key\n")
    report, loaded = _verify_in_a_process(damaged)
    assert "cryptography" in loaded
    assert [(f["code"], f["path"]) for f in report["collection"]["findings"]
            if f["code"] == "seal-invalid"] == [("seal-invalid", "keys/stray.pub")]


@pytest.mark.parametrize(("sources", "workers"), [(7, None), (15, None), (16, 2), (40, 2)])
def test_by_default_a_pool_needs_eight_sources_a_worker(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        sources: int, workers: int | None) -> None:
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    for n in range(sources):
        _add(capsys, root, tmp_path, f"s{n:02}", f"Text number {n}.\n")
    started: list[int] = []

    def pool(jobs: int):  # the real pool, counted
        started.append(jobs)
        return process_pool(jobs)

    monkeypatch.setattr(verify_module, "default_jobs", lambda: 2)
    monkeypatch.setattr(verify_module, "process_pool", pool)
    result = verify_module.verify(Collection(root))
    assert [d.id for d in result.documents] == [f"s{n:02}" for n in range(sources)]
    assert started == ([] if workers is None else [workers])
    verify_module.verify(Collection(root), jobs=2)  # asked for: a pool, however few
    assert started[-1] == 2


def test_a_worker_freezes_what_it_inherits() -> None:
    with process_pool(1) as pool:
        assert pool.submit(gc.get_freeze_count).result() > 0
    assert gc.get_freeze_count() == 0  # the run's own objects are left to the collector


def test_the_command_freezes_its_objects_at_its_end(tmp_path: Path) -> None:
    probe = ("import gc, sys\nfrom archiver.cli import run\n"
             "sys.argv = ['archiver', *sys.argv[1:]]\n"
             "try:\n    run()\nexcept SystemExit as exc:\n"
             "    print(exc.code, gc.get_freeze_count() > 0)")
    for argv, code in ((["--version"], 0), (["verify", "--root", str(tmp_path / "none")], 2)):
        done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                              text=True, check=True)
        assert done.stdout.split()[-2:] == [str(code), "True"], done.stderr
    done = subprocess.run([sys.executable, "-m", "archiver", "verify", "--root",
                           str(tmp_path / "none")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr


REAL_TEXTS = sorted((Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "pages"
                     ).glob("*.truth.txt"))


def test_saved_findings_of_real_texts_are_those_of_a_scan(tmp_path: Path) -> None:
    # the 45 texts people made of real pages for two extraction benchmarks
    assert len(REAL_TEXTS) == 45
    cache = Cache(tmp_path / "cache.sqlite")
    fresh = {p.name: damage.scan_text(p.read_text(encoding="utf-8"), p.name) for p in REAL_TEXTS}
    assert sum(map(len, fresh.values())) > 0  # not only texts without findings
    for _ in range(2):  # scanned and saved, then read back
        assert {p.name: damage.scan_cached(p.read_text(encoding="utf-8"), p.name, cache)
                for p in REAL_TEXTS} == fresh


def _loads_the_extractor(root: Path) -> bool:
    """Whether ``archiver verify --jobs 2`` imports trafilatura in the process that starts
    the workers."""
    probe = ("import sys\nfrom archiver.cli import main\n"
             f"main(['verify', '--root', {str(root)!r}, '--jobs', '2', '--format', 'json'])\n"
             "print('LOADED', 'trafilatura' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return done.stdout.rpartition("LOADED ")[2].strip() == "True"


def test_a_run_that_checks_fidelity_imports_the_extractor_once_before_its_workers_fork(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], http_site: Site) -> None:
    texts = tmp_path / "texts"
    assert run(capsys, "init", "--root", str(texts))[0] == 0
    for name in ("first", "second"):
        _add(capsys, texts, tmp_path, name, DAMAGED)
    assert not _loads_the_extractor(texts)  # no capture: no text's fidelity to check
    pages = tmp_path / "pages"
    assert run(capsys, "init", "--root", str(pages))[0] == 0
    for name in ("first", "second"):
        http_site.add(f"/preload/{name}", f"<html><body><article><p>The {name} page.</p>"
                      "</article></body></html>")
        code, _, err = run(capsys, "capture", http_site.url(f"/preload/{name}"),
                           "--root", str(pages), "--allow-private")
        assert code == 0, err
    assert _loads_the_extractor(pages)  # a cold run: the workers share the parent's import
    assert not _loads_the_extractor(pages)  # a warm run: the cache holds every result
