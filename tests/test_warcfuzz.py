"""Property-based tests: check-warc on mutated real WARCs and ARCs gives findings, never a crash.

The inputs are other tools' files (peer-warcs, warcio's ARCs) with bytes flipped, cut,
inserted, and non-ASCII bytes put into WARC headers; whatever comes out must be archiver's
own: a report of findings with known codes, or an ArchiverError naming the file.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.errors import ArchiverError
from archiver.findings import RULES
from archiver.warc.check import check_warc

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT.parent / "shared" / "peer-warcs"
PLAIN = [PEERS / "warcio/example.warc", PEERS / "warcio/example-iana.org-chunked.warc",
         PEERS / "warcio/example-digest.warc", ROOT / "tests/data/arc/example.arc"]
GZIPPED = [PEERS / "warcio/example.warc.gz", PEERS / "warcio/post-test.warc.gz",
           ROOT / "tests/data/arc/example.arc.gz"]
HEADER_BYTES = [b"\xc3\xa9", b"\xff\xfe", b"\x00", b":", b"\r\n", b"\n", b" ", b"\t",
                b"WARC-Block-Digest: sha1:\xc3\xa9\r\n", b"Content-Length: -1\r\n",
                b"WARC-Date: 2019-08-15T01:02\r\n", b"\r\n\r\n", b"WARC/1.0\r\n"]

_op = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.floats(0, 1), st.just(0)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("header"), st.integers(0, 40), st.sampled_from(HEADER_BYTES)),
)
SETTINGS = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def mutate(data: bytes, ops: list[tuple]) -> bytes:
    """Apply each operation; "header" inserts after the n-th CRLF (inside a header, mostly)."""
    out = bytearray(data)
    for kind, where, what in ops:
        if kind == "header":
            at, line = -1, 0
            while line <= where and (at := out.find(b"\r\n", at + 1)) >= 0:
                line += 1
            if at >= 0:
                out[at + 2:at + 2] = what
            continue
        pos = min(len(out) - 1, int(where * len(out))) if out else 0
        if kind == "flip" and out:
            out[pos] ^= what
        elif kind == "cut":
            del out[pos:]
        elif kind == "insert":
            out[pos:pos] = what
    return bytes(out)


def assert_archivers_own(path: Path) -> None:
    for sha256 in (False, True):
        try:
            report = check_warc(path, sha256=sha256)
        except ArchiverError as exc:
            assert exc.path == str(path)
            continue
        assert all(f.code in RULES and f.path and f.path.startswith(str(path))
                   for f in report.findings)
        assert report.verdict in ("intact", "damaged", "non-conformant")


needs_peers = pytest.mark.skipif(not PEERS.is_dir(), reason=f"peer WARCs absent: {PEERS}")


@needs_peers
@SETTINGS
@given(source=st.sampled_from(PLAIN), ops=st.lists(_op, min_size=1, max_size=4),
       gz=st.booleans())
def test_mutated_plain_files(tmp_path: Path, source: Path, ops: list[tuple],
                             gz: bool) -> None:
    data = mutate(source.read_bytes(), ops)
    path = tmp_path / (source.name + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(data) if gz else data)  # gzip: the inflating path too
    assert_archivers_own(path)


@needs_peers
@SETTINGS
@given(source=st.sampled_from(GZIPPED), ops=st.lists(_op, min_size=1, max_size=3))
def test_mutated_gzip_files(tmp_path: Path, source: Path, ops: list[tuple]) -> None:
    path = tmp_path / source.name
    path.write_bytes(mutate(source.read_bytes(), ops))
    assert_archivers_own(path)


@needs_peers
@SETTINGS
@given(source=st.sampled_from(GZIPPED), ops=st.lists(_op, min_size=1, max_size=3))
def test_mutated_contents_of_gzip_members(tmp_path: Path, source: Path,
                                          ops: list[tuple]) -> None:
    """Damage inside the members (re-gzipped whole), so headers, not gzip, are what breaks."""
    path = tmp_path / source.name
    path.write_bytes(gzip.compress(mutate(gzip.decompress(source.read_bytes()), ops)))
    assert_archivers_own(path)
