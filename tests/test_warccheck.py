"""Tests for archiver.warc.check: peer projects' WARCs, and WARCs written here then damaged."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import itertools
import random
import re
import zlib
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver import __version__
from archiver.cache import Cache
from archiver.cli import main
from archiver.errors import ArchiverError
from archiver.findings import Finding, Severity
from archiver.warc.check import (
    NotArchiveError,
    WarcReport,
    check_capture_warc,
    check_warc,
    check_warc_cached,
)

PEERS = Path(__file__).resolve().parents[1].parent / "shared" / "peer-warcs"

# Error codes (with counts) each peer file must get; warnings are checked separately.
PEER_ERRORS: dict[str, Counter[str]] = {
    "warcio/example.warc": Counter(),
    "warcio/example.warc.gz": Counter(),
    # three copies of one record share a WARC-Record-ID; the fourth's digest is not sha1 base32
    "warcio/example-digest.warc": Counter({"warc-digest-mismatch": 1, "warc-nonconformant": 3}),
    # Content-Length 973 for 975 bytes: trailer missing, block and payload digests fail
    "warcio/example-trunc.warc": Counter({"warc-truncated": 1, "warc-digest-mismatch": 2}),
    # gzip itself inflates (CRC fine); one member for all records, and two request blocks
    # whose HTTP headers lack their closing blank line (no byte of content is lost)
    "warcio/example-bad.warc.gz.bad": Counter({"warc-nonconformant": 3}),
    "warcio/example-wrong-chunks.warc.gz": Counter(
        {"warc-corrupt": 1, "warc-truncated": 1, "warc-digest-mismatch": 1}),
    "warcio/example-bad-non-chunked.warc.gz": Counter(
        {"warc-nonconformant": 1, "warc-digest-mismatch": 1}),
    "warcio/example-iana.org-chunked.warc": Counter(),
    "warcio/example-resource.warc.gz": Counter(),
    "warcio/example-space-in-target-uri.warc.gz": Counter(),
    "warcio/example-wget-bad-target-uri.warc.gz": Counter(),
    "warcio/post-test.warc.gz": Counter(),
    "resiliparse/warcfile.warc.gz": Counter(),
    # every record's WARC-Date is '2008-10-294T05:21:46-0700' (day 294, local time)
    "resiliparse/clueweb-quirk.warc.gz": Counter({"warc-nonconformant": 30}),
    "resiliparse/clipped.warc.gz": Counter({"warc-truncated": 1}),
}

# Rows where this checker disagrees with the peer table, and why.
DISAGREE = {
    # The revisit's WARC-Block-Digest is wrong: its block is byte-identical to the revisit in
    # example.warc, whose (different) block digest verifies. warcio never checks revisits.
    "warcio/example-bad-non-chunked.warc.gz": "damaged",
    # Not "corrupt gzip": every member inflates with a good CRC and every byte of content is
    # there; what is wrong is framing (one member for all records, two request blocks whose
    # HTTP headers lack their blank line), so the content is intact but the file breaks
    # the standard.
    "warcio/example-bad.warc.gz.bad": "non-conformant",
    # The quirk the table means (LF-only HTTP headers) is no fault of the WARC, but ClueWeb09
    # also wrote every WARC-Date as '2008-10-294T05:21:46-0700', which is no W3C-ISO8601 UTC
    # timestamp: the content is intact (all digests verify), the headers break the standard.
    "resiliparse/clueweb-quirk.warc.gz": "non-conformant",
}


def _peer_rows() -> list[tuple[str, str]]:
    """(file, verdict) for every file in the README table; "intact (quirk)" means intact."""
    rows = []
    for line in (PEERS / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or "/" not in cells[0]:
            continue
        folder, first = cells[0].split(",")[0].split("/")
        for name in [first, *(n.strip() for n in cells[0].split(",")[1:])]:
            rows.append((f"{folder}/{name}", cells[1].split(" (")[0]))
    return rows


PEER_PARAMS = (
    [pytest.param(f, v, id=f) for f, v in _peer_rows()] if PEERS.is_dir()
    else [pytest.param("", "", marks=pytest.mark.skip(reason=f"peer WARCs absent: {PEERS}"))]
)
needs_peers = pytest.mark.skipif(not PEERS.is_dir(), reason=f"peer WARCs absent: {PEERS}")


def error_codes(report: WarcReport) -> Counter[str]:
    return Counter(f.code for f in report.findings if f.severity is Severity.ERROR)


def codes(report: WarcReport) -> set[str]:
    return {f.code for f in report.findings}


@pytest.mark.parametrize(("name", "table_verdict"), PEER_PARAMS)
def test_peer_file_verdict_and_codes(name: str, table_verdict: str) -> None:
    report = check_warc(PEERS / name)
    assert report.verdict == DISAGREE.get(name, table_verdict)
    assert error_codes(report) == PEER_ERRORS[name]
    assert report.ok is (not PEER_ERRORS[name])
    assert all(f.path == str(PEERS / name) and f.line is None for f in report.findings)


@needs_peers
def test_every_table_row_has_expected_codes() -> None:
    assert {f for f, _ in _peer_rows()} == set(PEER_ERRORS)


@needs_peers
def test_peer_digest_forms_and_conventions() -> None:
    digest = check_warc(PEERS / "warcio/example-digest.warc")
    assert [r.payload_check for r in digest.records] == [
        "mismatch", "verified", "verified", "verified"]
    (mismatch,) = [f for f in digest.findings if f.code == "warc-digest-mismatch"]
    assert "<urn:uuid:a9c5c23a-0221-11e7-8fe3-0242ac120007>" in mismatch.message

    iana = check_warc(PEERS / "warcio/example-iana.org-chunked.warc")
    assert "warc-unverified" in codes(iana) and iana.verdict == "intact"
    (response,) = [r for r in iana.records if r.record_type == "response"]
    assert response.payload_convention == "raw"  # hex sha1 over the transfer-encoded bytes

    clueweb = check_warc(PEERS / "resiliparse/clueweb-quirk.warc.gz")
    responses = [r for r in clueweb.records if r.record_type == "response"]
    assert len(responses) == 29
    assert {r.payload_convention for r in responses} == {"block"}

    example = check_warc(PEERS / "warcio/example.warc")
    (revisit,) = [r for r in example.records if r.record_type == "revisit"]
    assert (revisit.block_check, revisit.payload_check) == ("verified", "revisit")

    trunc = check_warc(PEERS / "warcio/example-trunc.warc")
    (cut,) = [f for f in trunc.findings if f.code == "warc-truncated"]
    assert "offset 1197" in cut.message and "973" in cut.message
    assert len(trunc.records) == 4  # the record after the damage is still found
    assert trunc.records[3].complete and trunc.records[3].stream_offset == 2566

    clipped = check_warc(PEERS / "resiliparse/clipped.warc.gz")
    assert "of the 88275 bytes" in clipped.findings[0].message


@needs_peers
def test_peer_target_uri_quirks() -> None:
    wget = check_warc(PEERS / "warcio/example-wget-bad-target-uri.warc.gz")
    assert all(not r.target_uri.startswith("<") for r in wget.records if r.target_uri)
    assert "metadata" in {r.record_type for r in wget.records}
    space = check_warc(PEERS / "warcio/example-space-in-target-uri.warc.gz")
    assert "file:///example with spaces.png" in {r.target_uri for r in space.records}


# --- WARCs written here with warcio


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def response(writer: WARCWriter, uri: str, body: bytes, headers: list[tuple[str, str]],
             warc_headers: dict[str, str] | None = None):
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    return writer.create_warc_record(uri, "response", payload=io.BytesIO(body),
                                     length=len(body), http_headers=http,
                                     warc_headers_dict=warc_headers or {})


def plain_warc(*bodies: bytes) -> bytes:
    """A warcinfo record, then one response per body (text/html, not chunked)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    writer.write_record(writer.create_warcinfo_record("t.warc", {"software": "test"}))
    for i, body in enumerate(bodies):
        writer.write_record(response(writer, f"http://example.com/{i}", body,
                                     [("Content-Type", "text/html")]))
    return out.getvalue()


def record_offsets(plain: bytes) -> list[int]:
    """Record start offsets, as warcio (not the code under test) sees them."""
    it = ArchiveIterator(io.BytesIO(plain))
    offsets = []
    for record in it:
        record.content_stream().read()
        offsets.append(it.get_record_offset())
    return offsets


def members(plain: bytes, cuts: list[int]) -> bytes:
    """Gzip ``plain`` as one member per slice between ``cuts``."""
    bounds = [*cuts, len(plain)]
    return b"".join(gzip.compress(plain[a:b]) for a, b in itertools.pairwise(bounds))


def save(tmp_path: Path, plain: bytes, gz: bool) -> Path:
    """Write ``plain`` as .warc, or as .warc.gz with one gzip member per record."""
    path = tmp_path / ("t.warc.gz" if gz else "t.warc")
    path.write_bytes(members(plain, record_offsets(plain)) if gz else plain)
    return path


def drop_header(plain: bytes, name: str, record: int) -> bytes:
    """Remove a WARC header line from the ``record``-th record (its block is untouched)."""
    start = record_offsets(plain)[record]
    end = plain.index(b"\r\n\r\n", start)
    header = re.sub(rb"\r\n" + name.encode() + rb": [^\r]*", b"", plain[start:end])
    assert header != plain[start:end]
    return plain[:start] + header + plain[end:]


BODY = b"<html><body>" + b"archived words " * 4000 + b"</body></html>"


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_warcio_written_warc_is_intact(tmp_path: Path, gz: bool) -> None:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)
    writer.write_record(writer.create_warcinfo_record("t.warc", {"software": "test"}))
    written = [response(writer, f"http://example.com/{i}", BODY + bytes([i]),
                        [("Content-Type", "text/html")]) for i in range(3)]
    for record in written:
        writer.write_record(record)
    path = tmp_path / "w.warc"
    path.write_bytes(out.getvalue())
    report = check_warc(path)
    assert report.verdict == "intact" and report.ok
    assert len(report.records) == 4 and all(r.complete for r in report.records)
    for record in written:
        info = report.by_id[record.rec_headers.get_header("WARC-Record-ID")]
        assert info.target_uri == record.rec_headers.get_header("WARC-Target-URI")
        assert info.payload_digest == record.rec_headers.get_header("WARC-Payload-Digest")
        assert (info.block_check, info.payload_check, info.payload_convention) == (
            "verified", "verified", "both")
    assert not report.findings
    assert report.records[0].block_check == "verified"  # warcinfo: block digest only


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_kept_record_is_the_record_as_warcio_reads_it(tmp_path: Path, gz: bool) -> None:
    plain = plain_warc(BODY, BODY + b"2", BODY + b"3")
    path = save(tmp_path, plain, gz)
    wanted = check_warc(path).records[2].record_id
    report = check_warc(path, keep=wanted)
    start, end = record_offsets(plain)[2:4]
    assert report.kept == plain[start:end]
    records = [(r.rec_headers.get_header("WARC-Record-ID"), r.content_stream().read())
               for r in ArchiveIterator(io.BytesIO(report.kept), check_digests="raise")]
    assert records == [(wanted, BODY + b"2")]
    assert check_warc(path).kept is None


def test_record_cut_short_is_not_kept(tmp_path: Path) -> None:
    plain = plain_warc(BODY, BODY + b"2")
    path = tmp_path / "t.warc"
    path.write_bytes(plain[:-100])
    wanted = check_warc(save(tmp_path, plain, True)).records[2].record_id
    report = check_warc(path, keep=wanted)
    assert report.records[2].record_id == wanted and not report.records[2].complete
    assert report.kept is None


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_flipped_payload_byte_is_a_digest_mismatch(tmp_path: Path, gz: bool) -> None:
    plain = plain_warc(BODY, BODY + b"2")
    at = plain.rindex(b"archived words")  # in the second response's payload
    damaged = plain[:at] + b"A" + plain[at + 1:]
    report = check_warc(save(tmp_path, damaged, gz))
    victim = report.records[2]
    assert report.verdict == "damaged"
    assert error_codes(report) == Counter({"warc-digest-mismatch": 2})
    assert (victim.block_check, victim.payload_check) == ("mismatch", "mismatch")
    assert report.records[1].payload_check == "verified"
    for finding in (f for f in report.findings if f.code == "warc-digest-mismatch"):
        assert victim.record_id in finding.message
    block_finding = next(f for f in report.findings if "block digest" in f.message)
    block = damaged[damaged.index(b"\r\n\r\n", record_offsets(damaged)[2]) + 4:-4]
    assert f"header says {victim.block_digest}, block hashes to {sha1_b32(block)}" in (
        block_finding.message)


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
@pytest.mark.parametrize("where", ["header", "http-headers", "payload", "trailer"])
def test_file_cut_short_mid_record_is_truncated(tmp_path: Path, gz: bool, where: str) -> None:
    plain = plain_warc(BODY, BODY + b"2")
    offsets = record_offsets(plain)
    start = offsets[2]
    if gz:  # cut inside the last record's gzip member, at about the same place
        before = members(plain[:start], offsets[:2])
        last = gzip.compress(plain[start:])
        cut = {"header": 12, "http-headers": len(last) // 4, "payload": len(last) // 2,
               "trailer": len(last) - 3}[where]
        path = tmp_path / "t.warc.gz"
        path.write_bytes(before + last[:cut])
    else:
        cut = {"header": start + 40, "http-headers": plain.index(b"\r\n\r\n", start) + 10,
               "payload": start + len(BODY) // 2, "trailer": len(plain) - 3}[where]
        path = tmp_path / "t.warc"
        path.write_bytes(plain[:cut])
    report = check_warc(path)
    assert report.verdict == "damaged"
    assert "warc-truncated" in codes(report)
    assert report.records[1].complete  # the records before the cut are intact


def test_corrupt_gzip_member(tmp_path: Path) -> None:
    plain = plain_warc(BODY)
    start = record_offsets(plain)[1]
    last = bytearray(gzip.compress(plain[start:]))
    last[len(last) // 2] ^= 0xFF  # inside the response's deflate data
    path = tmp_path / "t.warc.gz"
    path.write_bytes(gzip.compress(plain[:start]) + bytes(last))
    report = check_warc(path)
    assert report.verdict == "damaged"
    assert "warc-corrupt" in codes(report)


@pytest.mark.parametrize("damage", ["none", "corrupt-member", "cut-short", "junk-record"])
@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_sha256_is_of_the_whole_file_even_past_damage(tmp_path: Path, gz: bool,
                                                       damage: str) -> None:
    noise = random.Random(0).randbytes(200_000)  # incompressible: the file is many reads long
    path = save(tmp_path, plain_warc(noise, noise + b"2"), gz)
    data = bytearray(path.read_bytes())
    if damage == "corrupt-member":  # a .warc.gz walk stops here; fixity must read on
        data[len(data) // 4] ^= 0xFF
    elif damage == "cut-short":
        del data[-100:]
    elif damage == "junk-record":  # a first "record" that is no record: skipped, read on
        junk = b"WARC/1.0\r\nGIF89a" + bytes(range(256)) * 64 + b"\r\n\r\n"
        data[:0] = gzip.compress(junk) if gz else junk
    path.write_bytes(data)
    report = check_warc(path, sha256=True)
    assert (report.sha256, report.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert report.ok is (damage == "none")
    plain = check_warc(path)  # the same checks without the hash
    assert (plain.sha256, plain.size) == (None, None)
    assert plain.findings == report.findings


def test_cached_report_is_reused_only_for_the_same_bytes(tmp_path: Path) -> None:
    path = save(tmp_path, plain_warc(BODY, BODY + b"2"), gz=True)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    cache = Cache(tmp_path / "cache.sqlite")
    first = check_warc_cached(path, expected, cache)
    assert first.ok and (first.sha256, first.size) == (expected, path.stat().st_size)
    assert first.records == check_warc(path).records
    saved = cache.get("warc", expected)
    assert saved is not None and WarcReport.from_json(saved, path).records == first.records

    # A saved report is what the next run gets, as long as the file hashes the same
    planted = WarcReport(path, [Finding("warc-corrupt", "planted", path=str(path))],
                         first.records)
    cache.put("warc", expected, planted.to_json())
    again = check_warc_cached(path, expected, cache)
    assert [f.message for f in again.findings] == ["planted"]
    assert (again.sha256, again.size) == (first.sha256, first.size)

    # A file whose bytes changed is checked in full, and its report is not saved
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(data)
    changed = check_warc_cached(path, expected, cache)
    assert not changed.ok and changed.sha256 == hashlib.sha256(data).hexdigest()
    assert cache.get("warc", changed.sha256) is None
    assert [f.message for f in WarcReport.from_json(cache.get("warc", expected), path).findings
            ] == ["planted"]


@pytest.mark.parametrize("saved", [b"{torn", b'{"version": "0.0.1", "findings": [], "records": []}',
                                   b'{"version": "%s", "records": []}'])
def test_unusable_cached_report_means_a_full_check(tmp_path: Path, saved: bytes) -> None:
    path = save(tmp_path, plain_warc(BODY), gz=False)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    cache = Cache(tmp_path / "cache.sqlite")
    cache.put("warc", expected, saved.replace(b"%s", __version__.encode()))
    report = check_warc_cached(path, expected, cache)
    assert report.ok and len(report.records) == 2 and all(r.complete for r in report.records)
    assert WarcReport.from_json(cache.get("warc", expected), path).records == report.records


def test_one_gzip_member_for_all_records_is_nonconformant(tmp_path: Path) -> None:
    path = tmp_path / "t.warc.gz"
    path.write_bytes(gzip.compress(plain_warc(BODY, BODY + b"2")))
    report = check_warc(path)
    assert report.verdict == "non-conformant"
    assert error_codes(report) == Counter({"warc-nonconformant": 1})
    assert all(r.payload_check == "verified" for r in report.records[1:])


def test_record_split_across_gzip_members_is_corrupt(tmp_path: Path) -> None:
    plain = plain_warc(BODY, BODY + b"2")
    offsets = record_offsets(plain)
    path = tmp_path / "t.warc.gz"
    path.write_bytes(members(plain, [*offsets[:2], offsets[1] + 500, offsets[2]]))
    report = check_warc(path)
    assert report.verdict == "damaged"
    (split,) = [f for f in report.findings if f.code == "warc-corrupt"]
    assert report.records[1].record_id in split.message and "split" in split.message


CHUNKS = [b"<html>chunked body part\r\n", b"x" * 300, b"more."]
CHUNKED_BODY = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in CHUNKS) + b"0\r\n\r\n"
DECHUNKED = b"".join(CHUNKS)


@pytest.mark.parametrize(("body", "te", "digest", "convention"), [
    (CHUNKED_BODY, True, sha1_b32(DECHUNKED), "dechunked"),
    (CHUNKED_BODY, True, None, "raw"),  # warcio computes it over the transfer-encoded bytes
    (DECHUNKED, False, None, "both"),
], ids=["dechunked", "raw", "both"])
def test_payload_digest_convention(tmp_path: Path, body: bytes, te: bool, digest: str | None,
                                   convention: str) -> None:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    headers = [("Transfer-Encoding", "chunked")] if te else []
    writer.write_record(response(writer, "http://example.com/", body, headers,
                                 {"WARC-Payload-Digest": digest} if digest else None))
    path = tmp_path / "t.warc"
    path.write_bytes(out.getvalue())
    report = check_warc(path)
    assert report.verdict == "intact" and not report.findings
    assert report.records[0].payload_convention == convention


def test_payload_mismatch_names_both_conventions(tmp_path: Path) -> None:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    writer.write_record(response(writer, "http://example.com/", CHUNKED_BODY,
                                 [("Transfer-Encoding", "chunked")],
                                 {"WARC-Payload-Digest": sha1_b32(b"something else")}))
    path = tmp_path / "t.warc"
    path.write_bytes(out.getvalue())
    report = check_warc(path)
    (finding,) = report.findings
    assert finding.code == "warc-digest-mismatch"
    assert f"de-chunked payload hashes to {sha1_b32(DECHUNKED)}" in finding.message
    assert f"transfer-encoded payload hashes to {sha1_b32(CHUNKED_BODY)}" in finding.message


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_record_without_digest_is_unverified_not_passed(tmp_path: Path, gz: bool) -> None:
    plain = plain_warc(BODY)
    plain = drop_header(drop_header(plain, "WARC-Block-Digest", 1), "WARC-Payload-Digest", 1)
    report = check_warc(save(tmp_path, plain, gz))
    assert report.verdict == "intact"
    info = report.records[1]
    assert (info.block_check, info.payload_check) == ("absent", "absent")
    unverified = [f for f in report.findings if info.record_id in f.message]
    assert [f.code for f in unverified] == ["warc-unverified"]


def test_missing_record_id_is_nonconformant(tmp_path: Path) -> None:
    plain = drop_header(plain_warc(BODY), "WARC-Record-ID", 1)
    report = check_warc(save(tmp_path, plain, gz=True))
    assert report.verdict == "non-conformant"
    (finding,) = [f for f in report.findings if f.code == "warc-nonconformant"]
    assert "WARC-Record-ID" in finding.message
    assert report.records[1].payload_check == "verified"  # contents still checked


def test_missing_content_length_cannot_be_framed(tmp_path: Path) -> None:
    plain = drop_header(plain_warc(BODY, BODY + b"2"), "Content-Length", 1)
    report = check_warc(save(tmp_path, plain, gz=False))
    assert {"warc-nonconformant", "warc-corrupt"} <= codes(report)
    assert report.records[2].payload_check == "verified"  # the next record is found again


def test_wrong_content_length_is_caught(tmp_path: Path) -> None:
    plain = plain_warc(BODY, BODY + b"2")
    start = record_offsets(plain)[1]
    length = re.search(rb"Content-Length: (\d+)", plain[start:])
    assert length
    old = length.group(0)
    new = b"Content-Length: %d" % (int(length.group(1)) - 2)
    damaged = plain[:start] + plain[start:].replace(old, new, 1)
    report = check_warc(save(tmp_path, damaged, gz=False))
    assert report.verdict == "damaged"
    assert {"warc-truncated", "warc-digest-mismatch"} <= codes(report)


def _digest_forms(data: bytes) -> list[tuple[str, str]]:
    forms = []
    for algorithm in ("sha1", "sha256", "md5"):
        raw = hashlib.new(algorithm, data).digest()
        forms += [
            (f"{algorithm}-base32", f"{algorithm}:{base64.b32encode(raw).decode()}"),
            (f"{algorithm}-base32-unpadded",
             f"{algorithm}:{base64.b32encode(raw).decode().rstrip('=')}"),
            (f"{algorithm}-base16", f"{algorithm}:{raw.hex()}"),
            (f"{algorithm}-BASE16", f"{algorithm.upper()}:{raw.hex().upper()}"),
            (f"{algorithm}-base64", f"{algorithm}:{base64.b64encode(raw).decode()}"),
            (f"{algorithm}-base64url",
             f"{algorithm}:{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"),
        ]
    return forms


RESOURCE = b"\xfb\xff\xfe plain resource bytes ~~~ \xfb\xef" * 50


def check_resource(tmp_path: Path, digest: str) -> WarcReport:
    """Check a WARC of one resource record whose block and payload digests are ``digest``."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    writer.write_record(writer.create_warc_record(
        "file:///r.bin", "resource", payload=io.BytesIO(RESOURCE), length=len(RESOURCE),
        warc_content_type="application/octet-stream",
        warc_headers_dict={"WARC-Block-Digest": digest, "WARC-Payload-Digest": digest}))
    path = tmp_path / "r.warc"
    path.write_bytes(out.getvalue())
    return check_warc(path)


@pytest.mark.parametrize(("form", "value"), _digest_forms(RESOURCE))
def test_digest_encodings_all_verify(tmp_path: Path, form: str, value: str) -> None:
    good = check_resource(tmp_path, value)
    assert good.verdict == "intact" and not good.findings
    assert (good.records[0].block_check, good.records[0].payload_check) == (
        "verified", "verified")
    wrong = value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
    bad = check_resource(tmp_path, wrong)
    assert error_codes(bad)["warc-digest-mismatch"] == 2


def test_unknown_digest_algorithm_is_unverified(tmp_path: Path) -> None:
    report = check_resource(tmp_path, "blake9:ABCDEF")
    assert report.verdict == "intact"
    assert [f.code for f in report.findings] == ["warc-unverified", "warc-unverified"]
    assert "'blake9' is not supported" in report.findings[0].message
    assert report.records[0].block_check == "unsupported"


def test_revisit_checks_block_not_payload(tmp_path: Path) -> None:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    writer.write_record(writer.create_revisit_record(
        "http://example.com/", digest=sha1_b32(BODY), refers_to_uri="http://example.com/",
        refers_to_date="2020-01-01T00:00:00Z", http_headers=http))
    path = tmp_path / "v.warc.gz"
    path.write_bytes(out.getvalue())
    report = check_warc(path)
    assert report.verdict == "intact" and not report.findings
    assert (report.records[0].block_check, report.records[0].payload_check) == (
        "verified", "revisit")


@pytest.mark.parametrize("data", [b"", gzip.compress(b"")], ids=["warc", "warc.gz"])
def test_empty_file_is_a_warning(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "empty.warc"
    path.write_bytes(data)
    report = check_warc(path)
    assert codes(report) == {"warc-empty"}
    assert report.ok and report.verdict == "intact"


def test_unreadable_path_raises(tmp_path: Path) -> None:
    with pytest.raises(ArchiverError) as missing:
        check_warc(tmp_path / "nope.warc.gz")
    assert missing.value.path == str(tmp_path / "nope.warc.gz")
    with pytest.raises(ArchiverError):
        check_warc(tmp_path)


# --- content intact, framing or headers against the standard: non-conformant, not damaged


def with_record(plain: bytes, record: int, edit) -> bytes:
    """``plain`` with the ``record``-th record's bytes (header to trailer) passed through edit."""
    offsets = [*record_offsets(plain), len(plain)]
    start, end = offsets[record], offsets[record + 1]
    return plain[:start] + edit(plain[start:end]) + plain[end:]


def counted_trailer(record: bytes) -> bytes:
    length = re.search(rb"Content-Length: (\d+)", record)
    assert length
    return record.replace(length.group(0), b"Content-Length: %d" % (int(length.group(1)) + 4))


def unterminated_http(record: bytes) -> bytes:
    """The HTTP headers lose their blank line; Content-Length and digests follow, the
    payload digest being that of the empty payload."""
    head, _, block = record[:-4].partition(b"\r\n\r\n")
    http_head, _, body = block.partition(b"\r\n\r\n")
    assert not body  # a request: headers only
    block = http_head + b"\r\n"
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(block), head)
    head = re.sub(rb"WARC-Block-Digest: [^\r]+", b"WARC-Block-Digest: " + sha1_b32(block).encode()
                  + b"\r\nWARC-Payload-Digest: " + sha1_b32(b"").encode(), head)
    return head + b"\r\n\r\n" + block + b"\r\n\r\n"


def lf_header(record: bytes) -> bytes:
    """The record with its WARC header lines ended by LF alone, as warcio still reads them."""
    head, _, rest = record.partition(b"\r\n\r\n")
    return head.replace(b"\r\n", b"\n") + b"\n\n" + rest


def request_warc() -> bytes:
    """A warcinfo record, a response and a GET request (headers only, with digests)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    writer.write_record(writer.create_warcinfo_record("t.warc", {"software": "test"}))
    writer.write_record(response(writer, "http://example.com/", BODY,
                                 [("Content-Type", "text/html")]))
    http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.com")], is_http_request=True)
    writer.write_record(writer.create_warc_record("http://example.com/", "request",
                                                  payload=io.BytesIO(b""), length=0,
                                                  http_headers=http))
    return out.getvalue()


@pytest.mark.parametrize(("damage", "message"), [
    (lambda p: with_record(p, 1, lambda r: r[:-2]), "trailer is one CRLF"),
    (lambda p: with_record(p, 1, counted_trailer), "counts the CRLF CRLF record trailer"),
    (lambda p: with_record(p, 2, counted_trailer), "counts the CRLF CRLF record trailer"),
    (lambda p: with_record(p, 1, lambda r: r.replace(
        re.search(rb"WARC-Date: [^\r]+", r).group(0), b"WARC-Date: 2019-08-15T01:02")),
     "WARC-Date '2019-08-15T01:02' is not a UTC timestamp"),
    (lambda p: with_record(p, 1, lambda r: re.sub(
        rb"WARC-Record-ID: <urn:uuid:([^>]+)>", rb"WARC-Record-ID: \1", r)),
     "is not of the form <uri>"),
    # the same one-CRLF trailer on the last record: the file ends where a record may end
    (lambda p: with_record(p, 2, lambda r: r[:-2]), "trailer is one CRLF, not CRLF CRLF"),
    (lambda p: with_record(p, 1, lambda r: r[:-4] + b"\n\n"), "trailer is LF LF, not CRLF"),
    (lambda p: with_record(p, 1, lf_header), "its WARC header lines end in LF, not CRLF"),
    (lambda p: p + b"\r\n", "2 stray line-end byte(s) at uncompressed offset"),
    (lambda p: with_record(p, 2, lambda r: b"\r\n" + r), "before the record at uncompressed"),
], ids=["single-crlf", "length-counts-trailer", "last-length-counts-trailer", "warc-date",
        "record-id", "last-single-crlf", "lf-trailer", "lf-header", "blank-line-at-end",
        "blank-line-between"])
def test_intact_content_broken_framing_is_nonconformant(tmp_path: Path, damage,
                                                        message: str) -> None:
    plain = damage(plain_warc(BODY, BODY + b"2"))
    report = check_warc(save(tmp_path, plain, gz=False))
    assert error_codes(report) == Counter({"warc-nonconformant": 1}), report.findings
    assert report.verdict == "non-conformant"
    assert message in next(f.message for f in report.findings if f.severity is Severity.ERROR)
    assert [r.payload_check for r in report.records[1:]] == ["verified", "verified"]
    assert all(r.complete for r in report.records)


def test_http_headers_without_blank_line_are_nonconformant(tmp_path: Path) -> None:
    plain = with_record(request_warc(), 2, unterminated_http)
    report = check_warc(save(tmp_path, plain, gz=True))
    assert error_codes(report) == Counter({"warc-nonconformant": 1}), report.findings
    assert "have no closing blank line" in report.findings[-1].message
    assert report.records[2].block_check == "verified"
    assert report.records[2].payload_check == "verified"  # no blank line: an empty payload


def test_gzip_member_with_reserved_flags_is_nonconformant(tmp_path: Path) -> None:
    path = save(tmp_path, plain_warc(BODY), gz=True)
    data = bytearray(path.read_bytes())
    second = data.index(b"\x1f\x8b\x08", 10)
    data[second + 3] |= 0x20  # FLG bit 5: reserved
    with pytest.raises(zlib.error):  # zlib, as RFC 1952 asks, refuses the member
        zlib.decompressobj(31).decompress(bytes(data[second:]))
    path.write_bytes(data)
    report = check_warc(path)
    assert error_codes(report) == Counter({"warc-nonconformant": 1})
    assert f"gzip member at offset {second} sets reserved header flag bits (0x20)" in (
        report.findings[0].message)
    assert report.records[1].payload_check == "verified"


def test_content_length_too_long_is_still_truncation(tmp_path: Path) -> None:
    """Counting the trailer is forgiven only when the record then ends where it should."""
    plain = with_record(plain_warc(BODY, BODY + b"2"), 1, lambda r: counted_trailer(
        counted_trailer(r)))
    report = check_warc(save(tmp_path, plain, gz=False))
    assert report.verdict == "damaged"
    assert "warc-truncated" in codes(report)


def test_non_ascii_digest_value_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    report = check_resource(tmp_path, "sha1:\u00e9")
    assert error_codes(report) == Counter({"warc-digest-mismatch": 2})
    assert "'\u00e9' is not a sha1 digest" in report.findings[0].message


@pytest.mark.parametrize("data", [
    random.Random(1).randbytes(5000),
    b"Just a text file.\nWith lines, and no WARC in it.\n" * 20,
    gzip.compress(b"<html>a gzipped page, not a WARC</html>"),
], ids=["random-bytes", "text", "gzipped-text"])
def test_file_of_another_kind_is_not_a_warc(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.warc.gz"
    path.write_bytes(data)
    with pytest.raises(NotArchiveError) as raised:
        check_warc(path)
    assert raised.value.reason == "not a WARC, ARC or WACZ file"
    assert main(["check-warc", str(path)]) == 2
    report = check_capture_warc(path, sha256=True)  # as verify sees a capture
    assert codes(report) == {"warc-unrecognised"}
    assert (report.sha256, report.size) == (hashlib.sha256(data).hexdigest(), len(data))


def test_damaged_first_record_is_still_a_warc(tmp_path: Path) -> None:
    plain = bytearray(plain_warc(BODY))
    plain[0] ^= 0xFF  # "WARC/1.0" no more, but the next record starts near the top
    report = check_warc(save(tmp_path, bytes(plain), gz=False))
    assert "warc-corrupt" in codes(report)
    assert report.records[0].payload_check == "verified"


@pytest.mark.parametrize("use_cache", [False, True], ids=["uncached", "cached"])
def test_verify_reports_a_capture_that_is_no_warc(tmp_path: Path, http_site,
                                                  use_cache: bool) -> None:
    """In verify a file that is no WARC is a finding on its capture, and the run goes on."""
    from archiver.capture.pages import CaptureOptions, capture_urls
    from archiver.collection import Collection
    from archiver.verify import verify

    collection = Collection.init(tmp_path / "collection")
    url = http_site.add("/warccheck/page", "<html><body><p>" + "words " * 200 + "</p>")
    [outcome] = capture_urls(collection, [url], CaptureOptions(allow_private=True, timeout=5))
    assert outcome.ok and outcome.capture is not None
    warc = collection.root / outcome.capture.warc_path
    warc.chmod(0o644)
    warc.write_bytes(b"Not a WARC: the file was replaced by a text file.\n" * 10)
    report = verify(collection, jobs=1, use_cache=use_cache)
    found = {(f.code, f.path) for f in report.all_findings()}
    assert ("warc-unrecognised", outcome.capture.warc_path) in found
    assert ("hash-mismatch", outcome.capture.warc_path) in found


LF_CRLF_BODY = (b"<html><head><title>t</title></head>\n\n<body>\r\n\r\n"
                b"<p>a paragraph</p></body></html>\n")


def test_http_headers_ending_lf_then_crlf_end_where_wget_and_warcio_end_them(
        tmp_path: Path, raw_server) -> None:
    """A server whose header section ends LF then CRLF: wget digests the payload after that
    empty line, warcio reads it there, and so does the checker (not at the first blank line
    inside the HTML)."""
    from exchange_files import wget_warc

    url = raw_server.add("/lf-crlf", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                         b"Content-Length: %d\r\nConnection: close\n\r\n" % len(LF_CRLF_BODY)
                         + LF_CRLF_BODY)
    warc = wget_warc(url, tmp_path)
    report = check_warc(warc)
    assert report.verdict == "intact", report.findings
    [response] = [r for r in report.records if r.record_type == "response"]
    assert (response.payload_check, response.payload_convention) == ("verified", "both")
    with warc.open("rb") as fh:
        [body] = [r.content_stream().read() for r in ArchiveIterator(fh)
                  if r.rec_type == "response"]
    assert body == LF_CRLF_BODY


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_a_file_cut_inside_a_header_names_where_that_header_starts(tmp_path: Path,
                                                                   gz: bool) -> None:
    """warcio's example.warc cut 50 bytes into its third record's header: the two records
    before it are whole, and the message names the third's offset (and its gzip member's)."""
    data = (PEERS / "warcio" / "example.warc").read_bytes()
    starts = [m.start() for m in re.finditer(rb"WARC/1\.0\r\n", data)]
    records = [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]
    if gz:
        members = [gzip.compress(r) for r in records[:2]]
        path = save(tmp_path, b"".join(members) + gzip.compress(records[2][:50]), gz=False)
        where = f"offset {len(b''.join(members))} (uncompressed offset {starts[2]})"
    else:
        path = save(tmp_path, data[:starts[2] + 50], gz=False)
        where = f"offset {starts[2]}"
    report = check_warc(path)
    assert [r.complete for r in report.records] == [True, True]
    [finding] = [f for f in report.findings if f.code == "warc-truncated"]
    assert finding.message == (f"the file ends inside the WARC header that starts at {where} "
                               "(50 bytes, no empty line ends it)")
