"""Tests for archiver.warc.arc: warcio's own ARC test files, and ARCs damaged here."""

from __future__ import annotations

import gzip
import io
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.findings import Severity
from archiver.warc.check import WarcReport, check_warc

DATA = Path(__file__).parent / "data" / "arc"


def errors(report: WarcReport) -> Counter[str]:
    return Counter(f.code for f in report.findings if f.severity is Severity.ERROR)


def warcio_records(path: Path) -> list[tuple[int, str]]:
    """(offset, URI) of every record, as warcio (not the code under test) reads them."""
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh, arc2warc=False)
        return [(it.get_record_offset(), record.rec_headers.get_header("uri"))
                for record in it]


@pytest.mark.parametrize("name", ["example.arc", "example.arc.gz"])
def test_valid_arc_is_intact_and_read_as_warcio_reads_it(name: str) -> None:
    report = check_warc(DATA / name)
    assert report.verdict == "intact"
    assert [f.code for f in report.findings] == ["warc-unverified"]  # ARC has no digests
    assert "not verified: ARC records carry no digests" in report.findings[0].message
    assert [(r.offset, r.target_uri) for r in report.records] == warcio_records(DATA / name)
    assert all(r.complete for r in report.records)
    assert report.records[1].content_type == "text/html"


def test_invalid_length_fields_are_corrupt() -> None:
    report = check_warc(DATA / "bad.arc")  # warcio reads "-1" and "abc" as 0
    assert errors(report) == Counter({"warc-corrupt": 1})
    assert "no URL or no byte count" in report.findings[0].message


def test_block_shorter_than_its_length_is_truncated() -> None:
    report = check_warc(DATA / "example-space-in-url.arc")  # warcio pads nothing, says nothing
    assert errors(report) == Counter({"warc-truncated": 1})
    assert "its block has 1579 of the 1591 bytes" in report.findings[0].message
    assert report.records[1].target_uri.endswith("Examples From The Live Web&IsPopUp=False")


def test_arc_cut_short_inside_a_gzip_member(tmp_path: Path) -> None:
    data = (DATA / "example.arc.gz").read_bytes()
    path = tmp_path / "cut.arc.gz"
    path.write_bytes(data[:-100])
    report = check_warc(path)
    assert report.verdict == "damaged"
    assert errors(report) == Counter({"warc-truncated": 1})


def test_arc_in_one_gzip_member_is_nonconformant(tmp_path: Path) -> None:
    path = tmp_path / "one.arc.gz"
    path.write_bytes(gzip.compress((DATA / "example.arc").read_bytes()))
    report = check_warc(path)
    assert errors(report) == Counter({"warc-nonconformant": 1})
    assert "holds 2 records" in report.findings[0].message


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.replace(b"20140216050221 text/html", b"2014-02-16 text/html"),
     "archive date '2014-02-16' is not of the form YYYYMMDDhhmmss"),
    (lambda d: d.replace(b"20140216050221 text/html", b"2014021605022 text/html"),
     "archive date '2014021605022' is not"),
], ids=["date", "short-date"])
def test_arc_header_against_the_format_is_nonconformant(tmp_path: Path, edit,
                                                        message: str) -> None:
    path = tmp_path / "edited.arc"
    path.write_bytes(edit((DATA / "example.arc").read_bytes()))
    report = check_warc(path)
    assert errors(report) == Counter({"warc-nonconformant": 1})
    assert message in report.findings[0].message


def test_arc_header_line_cut_short(tmp_path: Path) -> None:
    data = (DATA / "example.arc").read_bytes()
    path = tmp_path / "cut.arc"
    path.write_bytes(data[:data.index(b"\nhttp://") + 20])
    report = check_warc(path)
    assert errors(report) == Counter({"warc-truncated": 1})
    assert "ends inside an ARC header line" in report.findings[0].message


def test_version_2_arc_header_fields(tmp_path: Path) -> None:
    """A version 2 ARC (more fields per header line) is framed by its last field too."""
    body = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello"
    desc = b"2 0 test\nURL IP-address Archive-date Content-type Result-code Checksum " \
           b"Location Offset Filename Archive-length\n"
    out = io.BytesIO()
    out.write(b"filedesc://v2.arc 127.0.0.1 20200101000000 text/plain 200 - - 0 v2.arc %d\n"
              % len(desc) + desc + b"\n")
    out.write(b"http://example.com/a b 1.2.3.4 20200101000000 text/plain 200 - - 0 v2.arc "
              b"%d\n" % len(body) + body + b"\n")
    path = tmp_path / "v2.arc"
    path.write_bytes(out.getvalue())
    report = check_warc(path)
    assert report.verdict == "intact"
    assert [r.target_uri for r in report.records] == ["filedesc://v2.arc",
                                                      "http://example.com/a b"]
    assert report.records[1].content_type == "text/plain"
