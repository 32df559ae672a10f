"""WARC: write a capture's records, read a response back, and check any WARC, ARC or WACZ
fail-closed (framing, gzip members, digests, header grammar).

The stage's public face: ``build_capture`` and ``read_response`` (``records``), ``check_warc``
(``check``) and the ``WarcReport`` it returns (``verdict``).
"""

from archiver.warc.check import NotArchiveError, check_warc
from archiver.warc.records import ArchivedResponse, WarcError, build_capture, read_response
from archiver.warc.verdict import WarcReport

__all__ = ["ArchivedResponse", "NotArchiveError", "WarcError", "WarcReport", "build_capture",
           "check_warc", "read_response"]
