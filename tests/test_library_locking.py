"""The library's writers take the collection's lock themselves, so a program that calls them
directly (not through the CLI) is as safe against overlapping runs as ``archiver`` is."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.capture.pages import CaptureOptions, capture_existing, capture_urls, source_id_for
from archiver.collection import BusyError, Collection
from archiver.errors import ArchiverError
from archiver.fidelity.repair import apply_repairs, plan_source_repairs
from archiver.manifest import Claim, Manifest, Metadata, Status, load_manifest, save_manifest
from archiver.sources import accept_finding, add_source
from tests.conftest import Site
from tests.test_concurrency import PAGE, hold, kill9
from tests.test_repair import source  # noqa: F401  (a fixture: a repairable source)

OPTIONS = CaptureOptions(allow_private=True)


def metadata(url: str) -> Metadata:
    return Metadata(url=Claim(value=url, status=Status.INFERRED))


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    return Collection.init(tmp_path / "col")


@pytest.fixture
def text(tmp_path: Path) -> Path:
    path = tmp_path / "received.txt"
    path.write_text("A text, with a [link](#) whose target was lost.\n", encoding="utf-8")
    return path


@pytest.fixture
def held(collection: Collection) -> Iterator[None]:
    """Another process holds the collection's write lock for the whole test."""
    holder = hold(collection.root, "pass")
    try:
        yield
    finally:
        kill9(holder)


def listing(collection: Collection) -> list[str]:
    return sorted(p.relative_to(collection.root).as_posix()
                  for p in collection.root.rglob("*") if p.is_file())


def test_add_source_waits_for_another_process_then_says_busy(
        collection: Collection, text: Path, held: None) -> None:
    before = listing(collection)
    with pytest.raises(BusyError, match="collection is busy"):
        add_source(collection, text, "received", metadata("https://e.org/t"),
                   received_from="a reader", wait=0.2)
    assert listing(collection) == before


def test_add_source_takes_the_lock_once_it_is_free(collection: Collection, text: Path) -> None:
    kill9(hold(collection.root, "pass"))  # a holder killed with SIGKILL frees the lock
    add_source(collection, text, "received", metadata("https://e.org/t"),
               received_from="a reader", wait=0)
    assert collection.ids() == ["received"]


def test_capture_fetches_nothing_while_another_process_writes(
        collection: Collection, http_site: Site, held: None) -> None:
    url = http_site.add("/locked/new", PAGE.format(n=1))
    before = listing(collection)
    with pytest.raises(BusyError):
        list(capture_urls(collection, [url], OPTIONS, wait=0.2))
    assert [path for path, _ in http_site.requests if path.startswith("/locked/")] == []
    assert listing(collection) == before


def test_capture_existing_fetches_nothing_while_another_process_writes(
        collection: Collection, text: Path, http_site: Site) -> None:
    url = http_site.add("/locked/existing", PAGE.format(n=2))
    add_source(collection, text, "received", metadata(url), received_from="a reader")
    holder = hold(collection.root, "pass")
    try:
        with pytest.raises(BusyError):
            list(capture_existing(collection, ["received"], OPTIONS, wait=0.2))
    finally:
        kill9(holder)
    assert [path for path, _ in http_site.requests if path == "/locked/existing"] == []
    assert load_manifest(collection.manifest_path("received")).captures == []
    [outcome] = capture_existing(collection, ["received"], OPTIONS, wait=0)
    assert outcome.ok and load_manifest(collection.manifest_path("received")).captures


def test_accept_waits_for_another_process_and_loses_no_update(
        collection: Collection, text: Path) -> None:
    add_source(collection, text, "received", metadata("https://e.org/t"),
               received_from="a reader")
    path = collection.manifest_path("received")
    before = path.read_bytes()
    holder = hold(collection.root, "pass")
    try:
        with pytest.raises(BusyError):
            accept_finding(collection, "received", "link-placeholder", line=1,
                           reason="reviewed", wait=0.2)
    finally:
        kill9(holder)
    assert path.read_bytes() == before
    accepted = accept_finding(collection, "received", "link-placeholder", line=1,
                              reason="reviewed", wait=0)
    assert load_manifest(path).accepted == [accepted]


def test_apply_repairs_waits_for_another_process(
        source: tuple[Collection, Manifest]) -> None:  # noqa: F811
    collection, manifest = source
    plan, evidence = plan_source_repairs(collection, manifest)
    holder = hold(collection.root, "pass")
    try:
        with pytest.raises(BusyError):
            apply_repairs(collection, manifest, plan, evidence, wait=0.2)
    finally:
        kill9(holder)
    assert load_manifest(collection.manifest_path("src")).history == []
    assert apply_repairs(collection, manifest, plan, evidence, wait=0).history


def test_apply_repairs_refuses_a_manifest_another_run_changed(
        source: tuple[Collection, Manifest]) -> None:  # noqa: F811
    # planned from one reading of the manifest; meanwhile another run recorded an
    # acceptance: writing the repair from the old reading would silently drop it
    collection, manifest = source
    plan, evidence = plan_source_repairs(collection, manifest)
    changed = manifest.model_copy(deep=True)
    changed.metadata.title = Claim(value="Retitled by another run", status=Status.CONFIRMED)
    save_manifest(collection.manifest_path("src"), changed)
    with pytest.raises(ArchiverError, match="changed by another run"):
        apply_repairs(collection, manifest, plan, evidence)
    assert load_manifest(collection.manifest_path("src")) == changed
    assert not (collection.corpus_dir / "src.v2.txt").exists()


def test_a_writer_inside_a_held_lock_does_not_wait_for_itself(
        collection: Collection, text: Path) -> None:
    # the CLI holds the lock, then calls the library, which takes it again
    with collection.writing(wait=0), collection.staging() as staged:
        staged.write("corpus/outer.txt", [b"staged by the outer run"])
        add_source(collection, text, "received", metadata("https://e.org/t"),
                   received_from="a reader", wait=0)
        # the nested writer rolled nothing back: the outer run's staged file is not a leftover
        assert (collection.corpus_dir / "outer.txt").read_bytes() == b"staged by the outer run"
    assert collection.ids() == ["received"]


def test_another_thread_of_the_same_process_is_kept_out(
        collection: Collection, text: Path) -> None:
    holding, done = threading.Event(), threading.Event()

    def writer() -> None:
        with collection.writing(wait=0):
            holding.set()
            done.wait()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        holding.wait()
        with pytest.raises(BusyError):
            add_source(collection, text, "received", metadata("https://e.org/t"),
                       received_from="a reader", wait=0.2)
    finally:
        done.set()
        thread.join()
    assert collection.ids() == []


def test_a_reader_cannot_start_writing(collection: Collection, text: Path) -> None:
    # a read lock cannot be upgraded in place: SQLite would wait for this run's own reader
    with (collection.reading(wait=0),
          pytest.raises(ArchiverError, match="holds the read lock")):
        add_source(collection, text, "received", metadata("https://e.org/t"),
                   received_from="a reader", wait=0)
    assert collection.ids() == []


def test_a_capture_of_a_new_url_by_the_library_is_verified_whole(
        collection: Collection, http_site: Site) -> None:
    url = http_site.add("/library/new", PAGE.format(n=3))
    [outcome] = capture_urls(collection, [url], OPTIONS)
    assert outcome.ok and collection.ids() == [source_id_for(url)]
    # the lock is free again once the outcomes are read
    with collection.writing(wait=0) as rolled_back:
        assert rolled_back == []
