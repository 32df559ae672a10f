"""jwarc's own validator (its ValidateTool, vendored in tests/vendor/jwarc) on the WARCs archiver
writes from real servers on 127.0.0.1, on the same WARCs broken, and on other tools' WARCs
beside archiver's own check-warc."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import pytest
from jwarc import Jwarc, Verdict, jwarc_fixture  # noqa: F401 (the fixture `jwarc`)
from servers import PAGES, REAL_PAGES
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader

from archiver.capture.pages import CaptureOptions, capture_urls
from archiver.cli import main
from archiver.collection import Collection
from archiver.warc.check import check_warc

ARTICLE = PAGES[0]
PEER_WARCS = Path(__file__).resolve().parents[2] / "shared" / "peer-warcs"
OPTIONS = CaptureOptions(allow_private=True, timeout=10)


def capture(tmp_path: Path, url: str) -> Path:
    """Capture ``url`` into a new collection; return the WARC archiver wrote."""
    collection = Collection.init(tmp_path / "collection")
    [outcome] = capture_urls(collection, [url], OPTIONS)
    assert outcome.ok and outcome.capture is not None, outcome.message
    return collection.resolve(outcome.capture.warc_path)


def brotli_page(raw_server) -> str:
    """A real page brotli-encoded with a Content-Length (nginx chunks what it compresses)."""
    body = brotli.compress((REAL_PAGES / ARTICLE).read_bytes())
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Encoding: br\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return raw_server.add("/jwarc/brotli", head.encode() + body)


# Captures whose HTTP bodies have no transfer coding, from servers nobody here wrote (the
# stdlib's, nginx) and from the test servers: name -> URL, given the fixtures.
UNCHUNKED: dict[str, Callable[[pytest.FixtureRequest], str]] = {
    "stdlib-http10": lambda r: f"{r.getfixturevalue('stdlib_site').base}/{ARTICLE}",
    "nginx-plain": lambda r: f"{r.getfixturevalue('nginx').base}/plain/{ARTICLE}",
    "gzip": lambda r: r.getfixturevalue("http_site").add(
        "/jwarc/gzip", (REAL_PAGES / ARTICLE).read_bytes(), gzip=True),
    "brotli": lambda r: brotli_page(r.getfixturevalue("raw_server")),
    "redirect-301": lambda r: r.getfixturevalue("http_site").redirect(
        "/jwarc/old", r.getfixturevalue("http_site").add(
            "/jwarc/new", (REAL_PAGES / PAGES[1]).read_bytes()), status=301),
    "not-found-404": lambda r: r.getfixturevalue("http_site").add(
        "/jwarc/gone", "<html><body><p>Not here</p></body></html>", status=404),
}
# Captures of chunked responses: nginx compressing on the fly, and the test server.
CHUNKED: dict[str, Callable[[pytest.FixtureRequest], str]] = {
    "nginx-brotli": lambda r: f"{r.getfixturevalue('nginx').base}/{ARTICLE}",
    "nginx-gzip": lambda r: f"{r.getfixturevalue('nginx').base}/gzip/{ARTICLE}",
    "chunked": lambda r: r.getfixturevalue("http_site").add(
        "/jwarc/chunked", (REAL_PAGES / PAGES[2]).read_bytes(), chunked=True),
}


def jwarc_digest(labelled: str) -> str:
    """A ``sha256:<hex>`` digest as jwarc prints digests: base32, padded."""
    algorithm, _, value = labelled.partition(":")
    return f"{algorithm}:{base64.b32encode(bytes.fromhex(value)).decode()}"


def assert_passes(verdict: Verdict) -> None:
    """jwarc exits 0, logs no error, and says it checked every digest there is."""
    assert (verdict.code, verdict.errors) == (0, [])
    assert verdict.records[0].type == "warcinfo"
    for record in verdict.records:
        assert "block digest pass" in record.log
        if record.type in ("request", "response"):
            assert "payload digest pass" in record.log


@pytest.mark.parametrize("name", UNCHUNKED)
def test_archivers_captures_pass_jwarcs_validator(jwarc: Jwarc, request, tmp_path, name):
    warc = capture(tmp_path, UNCHUNKED[name](request))
    # strictly: no header field or value outside the standard's either
    verdict = jwarc.validate(warc, "--forbid-extensions")
    assert_passes(verdict)
    with warc.open("rb") as stream:  # jwarc saw every record warcio reads
        types = [record.rec_type for record in ArchiveIterator(stream)]
    assert [record.type for record in verdict.records] == types
    statuses = [record.log[1] for record in verdict.records if record.type == "response"]
    assert statuses == {"redirect-301": ["HTTP/1.1 301 Moved Permanently", "HTTP/1.1 200 OK"],
                        "not-found-404": ["HTTP/1.1 404 Not Found"],
                        "stdlib-http10": ["HTTP/1.0 200 OK"]}.get(name, ["HTTP/1.1 200 OK"])


def response_body(warc: Path) -> tuple[str, bytes]:
    """The response record's WARC-Payload-Digest and its HTTP body as archived (framing kept)."""
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream, no_record_parse=True):
            if record.rec_type == "response":
                digest = record.rec_headers.get_header("WARC-Payload-Digest")
                return digest, record.raw_stream.read().partition(b"\r\n\r\n")[2]
    raise AssertionError(f"{warc}: no response record")


@pytest.mark.parametrize("name", CHUNKED)
def test_chunked_captures_fail_jwarc_on_the_payload_digest_convention(jwarc: Jwarc, request,
                                                                      tmp_path, name):
    # A known disagreement, kept visible: archiver digests a chunked body with its framing, as
    # warcio, pywb and FastWARC do (README, "What archiver writes"); jwarc digests it
    # de-chunked, as the WARC standard's "entity-body" reads. Everything else passes.
    warc = capture(tmp_path, CHUNKED[name](request))
    written, body = response_body(warc)
    assert written == "sha256:" + hashlib.sha256(body).hexdigest()
    entity = ChunkedDataReader(io.BytesIO(body), raise_exceptions=True).read()
    assert entity != body
    verdict = jwarc.validate(warc, "--forbid-extensions")
    expected = jwarc_digest(written)
    got = jwarc_digest("sha256:" + hashlib.sha256(entity).hexdigest())
    assert verdict.code == 1
    assert verdict.errors == [f"ERROR: payload digest failed: Failed to validate digest: "
                              f"expected {expected}, got {got} (on {len(entity)} bytes)",
                              f"Failed to validate {warc}"]
    for record in verdict.records:
        assert "block digest pass" in record.log
    report = check_warc(warc)
    assert report.verdict == "intact"
    assert [r.payload_convention for r in report.records if r.record_type == "response"] \
        == ["raw"]


def test_a_peer_chunked_warc_fails_jwarc_the_same_way(jwarc: Jwarc):
    # warcio wrote it with the same convention; archiver's check calls it intact (raw)
    warc = PEER_WARCS / "warcio" / "example-iana.org-chunked.warc"
    verdict = jwarc.validate(warc)
    assert verdict.code == 1
    assert [e.split(": expected")[0] for e in verdict.errors] == [
        "ERROR: payload digest failed: Failed to validate digest", f"Failed to validate {warc}"]
    assert check_warc(warc).verdict == "intact"


def test_the_warcs_of_an_exported_wacz_pass_jwarc_but_the_chunked_one(jwarc: Jwarc, captured,
                                                                      http_site, tmp_path):
    # exportdata's collection: a 301 to a chunked gzip article, a 404, a 500, a stdlib page
    out = tmp_path / "export.wacz"
    assert main(["export", "wacz", str(out), "--root", str(captured.collection.root)]) == 0
    failed = {}
    with zipfile.ZipFile(out) as package:
        names = [n for n in package.namelist() if n.startswith("archive/")]
        for name in names:
            warc = tmp_path / name.rsplit("/", 1)[1]
            warc.write_bytes(package.read(name))
            verdict = jwarc.validate(warc)
            if verdict.errors:
                failed[name] = [(record.log[0], line.split(": expected")[0])
                                for record in verdict.records for line in record.log
                                if line.startswith("ERROR")]
            else:
                assert_passes(verdict)
    assert len(names) == 4
    assert list(failed.values()) == [[(http_site.url("/export/article"), "ERROR: payload "
                                       "digest failed: Failed to validate digest")]]


# --- the check can fail: the same WARC, broken ---

def members(warc: Path) -> list[bytes]:
    """The uncompressed record of each gzip member of ``warc``."""
    data, records = warc.read_bytes(), []
    while data:
        inflater = zlib.decompressobj(31)
        records.append(inflater.decompress(data) + inflater.flush())
        data = inflater.unused_data
    return records


def rewritten(warc: Path, out: Path, index: int, field: str,
              change: Callable[[str], str]) -> tuple[str, str]:
    """Copy ``warc`` to ``out`` with header ``field`` of record ``index`` changed; return the
    old and the new value. Each record stays a gzip member of its own."""
    records = members(warc)
    head, sep, block = records[index].partition(b"\r\n\r\n")
    old = re.search(rf"\r\n{field}: ([^\r]*)\r\n".encode(), head)[1].decode()  # type: ignore[index]
    new = change(old)
    records[index] = head.replace(f"{field}: {old}".encode(), f"{field}: {new}".encode()) \
        + sep + block
    out.write_bytes(b"".join(gzip.compress(record) for record in records))
    return old, new


def base32(labelled: str, *, padded: bool) -> str:
    """A ``sha256:<hex>`` digest in base32, with or without its ``=`` padding."""
    value = jwarc_digest(labelled)
    return value if padded else value.rstrip("=")


@pytest.fixture
def plain_warc(jwarc: Jwarc, stdlib_site, tmp_path: Path) -> Path:
    """A capture of a real page that passes jwarc's validator."""
    warc = capture(tmp_path, f"{stdlib_site.base}/{ARTICLE}")
    assert_passes(jwarc.validate(warc))
    return warc


def test_padded_base32_digests_are_rejected_by_jwarc(jwarc: Jwarc, plain_warc, tmp_path):
    # the form of issue #10: on the warcinfo record the header error fails the file
    broken = tmp_path / "warcinfo.warc.gz"
    _, new = rewritten(plain_warc, broken, 0, "WARC-Block-Digest",
                       lambda v: base32(v, padded=True))
    assert new.endswith("====")
    verdict = jwarc.validate(broken)
    assert verdict.code == 1
    assert verdict.errors == [f"ERROR: Field has invalid value: {new}",
                              f"Failed to validate {broken}"]
    assert verdict.records[0].log == (f"ERROR: Field has invalid value: {new}",
                                      "block digest pass")  # the value itself is right
    # on a response, jwarc logs the same error but its exit code ignores header errors on
    # capture records (ValidateTool.validate: `valid = validateCapture(record)` replaces them)
    broken = tmp_path / "response.warc.gz"
    _, new = rewritten(plain_warc, broken, 2, "WARC-Payload-Digest",
                       lambda v: base32(v, padded=True))
    verdict = jwarc.validate(broken)
    assert (verdict.code, verdict.errors) == (0, [f"ERROR: Field has invalid value: {new}"])
    assert "payload digest pass" in verdict.records[2].log


def test_unpadded_base32_sha256_digests_fail_jwarc_too(jwarc: Jwarc, plain_warc, tmp_path):
    # without its padding the digest is a token, but jwarc keeps a base32 value as written and
    # compares it with its own padded base32 of the bytes: for sha256 only base16 passes
    broken = tmp_path / "unpadded.warc.gz"
    old, new = rewritten(plain_warc, broken, 2, "WARC-Payload-Digest",
                         lambda v: base32(v, padded=False))
    assert "=" not in new
    assert_digest_failed(jwarc, broken, "payload", new, jwarc_digest(old))


def assert_digest_failed(jwarc: Jwarc, broken: Path, what: str, expected: str, got: str
                         ) -> None:
    """jwarc rejects ``broken`` for its ``what`` digest alone, with exit 1."""
    verdict = jwarc.validate(broken)
    assert verdict.code == 1
    [error, failed] = verdict.errors
    assert error.startswith(f"ERROR: {what} digest failed: Failed to validate digest: "
                            f"expected {expected}, got {got} (on ")
    assert failed == f"Failed to validate {broken}"


def flip_last_digit(labelled: str) -> str:
    return labelled[:-1] + ("0" if labelled[-1] != "0" else "1")


@pytest.mark.parametrize(("field", "what"), [("WARC-Payload-Digest", "payload"),
                                              ("WARC-Block-Digest", "block")])
def test_a_wrong_digest_value_is_rejected_by_jwarc(jwarc: Jwarc, plain_warc, tmp_path,
                                                   field, what):
    broken = tmp_path / "wrong.warc.gz"
    old, new = rewritten(plain_warc, broken, 2, field, flip_last_digit)
    assert_digest_failed(jwarc, broken, what, jwarc_digest(new), jwarc_digest(old))


def test_a_warc_in_one_gzip_member_is_rejected_by_jwarc(jwarc: Jwarc, plain_warc, tmp_path):
    broken = tmp_path / "one-member.warc.gz"
    records = members(plain_warc)
    broken.write_bytes(gzip.compress(b"".join(records)))
    verdict = jwarc.validate(broken)
    assert verdict.code == 1
    assert verdict.errors == [f"{broken}: not record-at-a-time compressed - "
                              f"{len(records)} WARC records in 1 gzip members",
                              f"Failed to validate {broken}"]


# --- other tools' WARCs: jwarc and archiver's check-warc agree (the chunked one aside) ---

# file -> whether both pass it (archiver's verdict "intact", jwarc's exit 0 and no error)
PEERS = {
    "warcio/example.warc": True,
    "warcio/example.warc.gz": True,
    "warcio/example-resource.warc.gz": True,
    "warcio/example-space-in-target-uri.warc.gz": True,
    "warcio/example-wget-bad-target-uri.warc.gz": True,
    "warcio/post-test.warc.gz": True,
    "resiliparse/warcfile.warc.gz": True,
    "warcio/example-digest.warc": False,
    "warcio/example-trunc.warc": False,
    "warcio/example-bad.warc.gz.bad": False,
    "warcio/example-wrong-chunks.warc.gz": False,
    "warcio/example-bad-non-chunked.warc.gz": False,
    "resiliparse/clipped.warc.gz": False,
    "resiliparse/clueweb-quirk.warc.gz": False,
}


@pytest.mark.parametrize("name", PEERS)
def test_jwarc_and_check_warc_agree_on_other_tools_warcs(jwarc: Jwarc, name):
    verdict = jwarc.validate(PEER_WARCS / name)
    assert (verdict.code == 0 and not verdict.errors) is PEERS[name]
    assert (check_warc(PEER_WARCS / name).verdict == "intact") is PEERS[name]
