"""Fail-closed integrity check of a WARC, ARC or WACZ: tell which it is, check it, cache it.

Every record is read to its end in fixed blocks (constant memory), so a file cut short, a
Content-Length that lies, or a gzip member that stops early cannot pass as intact. The walk
is ``warcwalk`` (over ``warcstream``, ``warcfields``, ``warcdigest``); ARC and WACZ files
are ``arccheck``'s and ``waczcheck``'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from isal import isal_zlib

from archiver.cache import Cache
from archiver.errors import ArchiverError
from archiver.fileio import sha256_file
from archiver.findings import Finding
from archiver.warc.stream import GZIP_MAGIC, HashingFile
from archiver.warc.verdict import RecordInfo, WarcReport
from archiver.warc.walk import check_stream

# RecordInfo and WarcReport live in warcreport; callers of the check take them from here
__all__ = ["NotArchiveError", "RecordInfo", "WarcReport", "check_capture_warc", "check_warc",
           "check_warc_cached", "sniff"]

Kind = Literal["warc", "arc", "wacz", "empty"]

_SNIFF = 1 << 16  # bytes looked at to tell a WARC, ARC or WACZ from anything else
_CACHE_KIND = "warc"  # reports in the cache, by the WARC's sha256


class NotArchiveError(ArchiverError):
    """A file that is not a WARC, ARC or WACZ, so there is nothing to check."""


def check_warc(path: Path, *, sha256: bool = False, keep: str | None = None) -> WarcReport:
    """Check the WARC (plain or gzip), ARC or WACZ at ``path`` and report what is wrong.

    With ``sha256`` the file's sha256 and size are computed from the same read (all of the
    file, even past damage), so fixity need not read the file a second time. With ``keep``
    (a WARC-Record-ID) that record's bytes are kept in ``report.kept``, so that a caller
    need not inflate it again. Damage is reported as findings; a path that cannot be read
    raises ArchiverError, a file of another kind NotArchiveError.
    """
    report = WarcReport(path=path)
    try:
        with open(path, "rb", buffering=_SNIFF) as raw:
            kind = sniff(raw.peek(_SNIFF)[:_SNIFF])
            if kind is None:
                raise NotArchiveError(path, "not a WARC, ARC or WACZ file")
            fh = HashingFile(raw) if sha256 else raw
            if kind == "wacz":
                from archiver.warc.wacz import check_wacz  # zip handling only for a WACZ
                check_wacz(report, path)
            elif kind == "arc":
                from archiver.warc.arc import check_arc  # warcio only for an ARC
                check_arc(report, fh)
            elif kind == "empty":
                report.findings.append(Finding("warc-empty", "the file holds no record",
                                               path=str(path)))
            else:
                check_stream(report, fh, keep)
            if isinstance(fh, HashingFile):
                report.sha256, report.size = fh.finish()
    except OSError as exc:
        raise ArchiverError(path, exc.strerror or str(exc)) from exc
    return report


def check_capture_warc(path: Path, *, sha256: bool = False,
                       keep: str | None = None) -> WarcReport:
    """``check_warc`` for a capture's file: one that is no WARC, ARC or WACZ is a
    ``warc-unrecognised`` finding on that capture (with its sha256 if asked), not an error."""
    try:
        return check_warc(path, sha256=sha256, keep=keep)
    except NotArchiveError as exc:
        report = WarcReport(path, [Finding("warc-unrecognised", exc.reason, path=str(path))])
    if sha256:
        try:
            report.sha256, report.size = sha256_file(path)
        except OSError as exc:
            raise ArchiverError(path, exc.strerror or str(exc)) from exc
    return report


def sniff(head: bytes) -> Kind | None:
    """What a file starting with ``head`` is: a WARC, an ARC, a WACZ, empty, or None."""
    if not head:
        return "empty"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "wacz"
    if head.startswith(GZIP_MAGIC):
        inflater = isal_zlib.decompressobj(wbits=31)
        try:
            head = inflater.decompress(head, _SNIFF)
        except isal_zlib.error:  # a damaged gzip member: damage is the walker's to report
            return "warc"
        if not head:
            return "empty" if inflater.eof else "warc"
    if head.startswith(b"filedesc://"):
        return "arc"
    # a WARC whose first record is damaged still has the next one's start near the top
    if head.startswith(b"WARC/") or b"\r\nWARC/1." in head:
        return "warc"
    return None


def check_warc_cached(path: Path, expected_sha256: str, cache: Cache, *,
                      keep: str | None = None) -> WarcReport:
    """``check_warc(path, sha256=True)``, reusing the report of an earlier check of the same
    bytes: a file that still hashes to ``expected_sha256`` (its manifest's) is identical to
    the file checked then, so only its sha256 is computed. Reports are saved in ``cache``
    only for files that hash to ``expected_sha256``. ``keep`` is passed on to check_warc when
    the file is checked (a saved report keeps no record).
    """
    saved = cache.get(_CACHE_KIND, expected_sha256)
    if saved is not None:
        try:
            digest, size = sha256_file(path)
        except OSError as exc:
            raise ArchiverError(path, exc.strerror or str(exc)) from exc
        if digest == expected_sha256:
            try:
                report = WarcReport.from_json(saved, path)
            except ValueError:  # another version's: check the file again
                pass
            else:
                report.sha256, report.size = digest, size
                return report
    report = check_capture_warc(path, sha256=True, keep=keep)
    if report.sha256 == expected_sha256:
        cache.put(_CACHE_KIND, expected_sha256, report.to_json())
    return report


