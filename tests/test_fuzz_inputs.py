"""No traceback from any input: property-based tests (hypothesis) that hand the commands a seal
folder, a manifest, a WACZ and a journal written by someone else, each example a mutation of a
real one (a collection sealed with a token of the test TSA; ArchiveWeb.page's and py-wacz's
packages). Every run must end in exit 0, 1 or 2, never an exception. Bounded in the suite: 25
examples each, the same every run (derandomized), no deadline (the machine is shared)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tsaserver import Tsa

from archiver.cli import main
from archiver.collection import JOURNAL_PREFIX, Collection
from archiver.custody.seal import seal_dirs
from archiver.warc.check import NotArchiveError, check_warc

PEER_WACZ = Path(__file__).parents[1].parent / "shared" / "peer-wacz"
# ARCHIVER_FUZZ_EXAMPLES=1000 explores further, at random, outside the suite
_EXAMPLES = int(os.environ.get("ARCHIVER_FUZZ_EXAMPLES", "0"))
BOUNDED = settings(max_examples=_EXAMPLES or 25, deadline=None, derandomize=not _EXAMPLES,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])

# JSON a hostile hand writes: any value, deep nesting, lone surrogates, huge numbers
_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
            | st.text() | st.sampled_from(["\ud800", "../../etc/passwd", "/abs", "manifests",
                                           "keys/alice.pub", "seals", "x" * 5000, 10 ** 400]))
json_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                           max_leaves=12)


def _dump(value: object) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with bytes flipped, cut short, spliced, or replaced whole."""
    how = draw(st.sampled_from(["flip", "cut", "splice", "json", "nest", "bytes"]))
    if how == "flip" and original:
        data = bytearray(original)
        for at in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8)):
            data[at] ^= draw(st.integers(1, 255))
        return bytes(data)
    if how == "cut":
        return original[:draw(st.integers(0, len(original)))]
    if how == "splice":
        at = draw(st.integers(0, len(original)))
        return original[:at] + draw(st.binary(max_size=64)) + original[at:]
    if how == "json":
        return _dump(draw(json_values))
    if how == "nest":
        depth = draw(st.integers(1, 200_000))
        return b"[" * depth + b"]" * draw(st.integers(0, depth))
    return draw(st.binary(max_size=512))


def run(*argv: str) -> int:
    """Run the CLI in process; an exception escapes (the test fails), an exit code returns."""
    with redirect_stdout(StringIO()), redirect_stderr(StringIO()):
        code = main(list(argv))
    assert code in (0, 1, 2)
    return code


@contextmanager
def replaced(path: Path, data: bytes) -> Iterator[None]:
    """``path`` holds ``data`` for the block, then its own bytes again."""
    original = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(data)
    try:
        yield
    finally:
        path.write_bytes(original)


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory, tsa: Tsa) -> Iterator[Path]:
    """A collection of two received texts, sealed by alice with a token of the test TSA;
    alice's key and the TSA's root are trusted in the module's config folder, which each
    test's own starts as a copy of."""
    base = tmp_path_factory.mktemp("sealed")
    root = base / "col"
    config = base / "config"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(config))
        assert run("init", "--root", str(root)) == 0
        for name in ("one", "two"):
            text = base / f"{name}.txt"
            text.write_text(f"The {name} text, \u201cquoted\u201d.\n", "utf-8")
            assert run("add", str(text), "--root", str(root),
                       "--url", f"https://example.org/{name}", "--title", name) == 0
        assert run("key", "new", "alice", "--root", str(root)) == 0
        assert run("seal", "--root", str(root), "--tsa-ca", str(tsa.ca),
                   "--tsa", tsa.url("good")) == 0
        yield root


SEAL_FILES = ["seal.json", "seal.sig", "tsa-1.tsr", "tsa-1.pem"]


@BOUNDED
@given(st.sampled_from(SEAL_FILES), st.data())
def test_any_seal_file(sealed: Path, name: str, data: st.DataObject) -> None:
    [folder] = seal_dirs(Collection(sealed))
    path = folder / name
    with replaced(path, data.draw(mutated(path.read_bytes()), label=name)):
        run("verify", "--root", str(sealed), "--jobs", "1", "--format", "json")
    assert run("verify", "--root", str(sealed), "--jobs", "1") == 0  # restored: intact


@BOUNDED
@given(st.sampled_from(["one", "two"]), st.data())
def test_any_manifest(sealed: Path, source: str, data: st.DataObject) -> None:
    path = sealed / "manifests" / f"{source}.json"
    original = json.loads(path.read_bytes())
    # the real manifest with one field given any value, or its bytes mutated
    field = data.draw(st.sampled_from([*original, "metadata", "history"]))
    edited = _dump({**original, field: data.draw(json_values, label="value")})
    with replaced(path, data.draw(st.sampled_from([edited])
                                  | mutated(path.read_bytes()), label="manifest")):
        run("verify", "--root", str(sealed), "--jobs", "1", "--format", "junit")
        run("export", "bagit", str(sealed.parent / "never" / "bag"), "--root", str(sealed))


@BOUNDED
@given(st.data())
def test_any_journal(sealed: Path, tmp_path_factory: pytest.TempPathFactory,
                     data: st.DataObject) -> None:
    """A journal planted in corpus/ (what a killed run leaves): listing anything at all,
    or not JSON. The next writing command and verify still end in an exit code."""
    root = tmp_path_factory.mktemp("journal") / "col"
    shutil.copytree(sealed, root)
    listed = data.draw(st.lists(st.sampled_from(["manifests/one.json", "corpus/one.txt",
                                                 "keys/alice.pub", "../outside", "/etc/x",
                                                 "seals", "corpus"]) | st.text(max_size=20),
                                max_size=5), label="listed")
    journal = data.draw(st.sampled_from([_dump(listed)]) | mutated(_dump(listed)))
    (root / "corpus" / f"{JOURNAL_PREFIX}{'0' * 16}.json").write_bytes(journal)
    run("verify", "--root", str(root), "--jobs", "1")
    run("set", "two", "language", "en", "--reason", "fuzz", "--by", "fuzz", "--root", str(root))
    run("verify", "--root", str(root), "--jobs", "1")


@st.composite
def hostile_wacz(draw: st.DrawFn, base: bytes) -> bytes:
    """A real package with an entry renamed, added, or its datapackage.json replaced, or its
    bytes mutated."""
    how = draw(st.sampled_from(["bytes", "rename", "add", "package"]))
    if how == "bytes":
        return draw(mutated(base))
    source, target = zipfile.ZipFile(BytesIO(base)), BytesIO()
    names = source.namelist()
    victim = draw(st.sampled_from(names))
    new_name = draw(st.text(min_size=1, max_size=30) | st.sampled_from(
        ["../x.warc", "/abs.warc", "archive/", "archive/x.warc", "C:x", victim]))
    with warnings.catch_warnings(), zipfile.ZipFile(target, "w") as new:
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name", meant
        for info in source.infolist():
            payload = source.read(info)
            if info.filename == "datapackage.json" and how == "package":
                payload = _dump(draw(json_values)) if draw(st.booleans()) else _dump(
                    {"resources": draw(st.lists(json_values, max_size=3))})
            if info.filename == victim and how == "rename":
                info = zipfile.ZipInfo(new_name, info.date_time)
            new.writestr(info, payload)
        if how == "add":
            new.writestr(zipfile.ZipInfo(new_name), draw(st.binary(max_size=256)))
    return target.getvalue()


@BOUNDED
@given(st.sampled_from(["rwp-example.wacz", "pywacz-valid_signed_example_1.wacz"]),
       st.data())
def test_any_wacz(tmp_path_factory: pytest.TempPathFactory, name: str,
                  data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("wacz")
    path = folder / "in.wacz"
    path.write_bytes(data.draw(hostile_wacz((PEER_WACZ / name).read_bytes()), label="wacz"))
    with contextlib.suppress(NotArchiveError):  # bytes that are no archive at all
        check_warc(path)
    run("check-warc", str(path))
    root = folder / "col"
    assert run("init", "--root", str(root)) == 0
    url = "https://webrecorder.net/" if name.startswith("rwp") else "https://example.com/"
    if run("import", str(path), "--root", str(root), "--url", url) == 0:
        run("verify", "--root", str(root), "--jobs", "1")
        run("export", "wacz", str(folder / "out.wacz"), "--root", str(root))
