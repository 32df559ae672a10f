"""What check-warc found in one file: facts per record, findings, and the verdict."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from archiver import __version__
from archiver.findings import Finding, Severity
from archiver.warc.digest import Convention

Verdict = Literal["intact", "damaged", "non-conformant"]
# the findings that leave every byte of content there: a file with no others is non-conformant
NONCONFORMANT = frozenset({"warc-nonconformant", "wacz-nonconformant"})
Check = Literal["verified", "mismatch", "absent", "unsupported", "not-checked", "revisit"]

@dataclass(slots=True)
class RecordInfo:
    """Facts about one record, for cross-checking a manifest against the WARC.

    ``offset`` is the file offset of the record (for .warc.gz, of the gzip member holding its
    start) and ``stream_offset`` its offset in the uncompressed stream. ``target_uri`` has
    wget's angle brackets removed. ``payload_convention`` says what the payload digest was
    computed over: "dechunked" (the de-chunked HTTP body, as the standard defines it), "raw"
    (the transfer-encoded bytes, as warcio and FastWARC compute it), "both" (no chunking, so
    the two agree) or "block" (the whole block, a ClueWeb09 quirk). A revisit's payload
    digest names the revisited record, so its ``payload_check`` is "revisit".
    """

    offset: int
    stream_offset: int
    record_type: str | None
    record_id: str | None
    target_uri: str | None
    content_type: str | None
    payload_digest: str | None
    block_digest: str | None
    content_length: int | None
    block_check: Check = "not-checked"
    payload_check: Check = "not-checked"
    payload_convention: Convention | None = None
    complete: bool = False


@dataclass
class WarcReport:
    """Everything ``check_warc`` found in one WARC: per-record facts and findings."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    records: list[RecordInfo] = field(default_factory=list)
    # sha256 hex and byte count of the whole file as read, when check_warc was asked for them
    sha256: str | None = None
    size: int | None = None
    # the record asked for with check_warc(keep=...): its uncompressed bytes, header to
    # trailer, when it was read whole; not saved with the report
    kept: bytes | None = None
    # a WACZ's signature status, one line (waczsig's message); None for a WARC or ARC
    signature: str | None = None

    @property
    def ok(self) -> bool:
        """Whether no error finding was made (warnings such as warc-unverified allowed)."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def verdict(self) -> Verdict:
        """"damaged" on any error, "non-conformant" when only warc-nonconformant or
        wacz-nonconformant, else "intact"."""
        errors = {f.code for f in self.findings if f.severity is Severity.ERROR}
        if not errors:
            return "intact"
        return "non-conformant" if errors <= NONCONFORMANT else "damaged"

    @property
    def by_id(self) -> dict[str, RecordInfo]:
        """Records by WARC-Record-ID; for a duplicated ID (itself a finding) the first wins."""
        return {r.record_id: r for r in reversed(self.records) if r.record_id}

    def to_json(self) -> bytes:
        """The findings and records, for the cache of check_warc_cached."""
        return json.dumps({
            "version": __version__,
            "findings": [[f.code, f.message] for f in self.findings],
            "records": [asdict(r) for r in self.records],
        }).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, path: Path) -> WarcReport:
        """A report saved by ``to_json`` for the file now at ``path``; raise ValueError if it
        was written by another version or is not such a report."""
        try:
            saved = json.loads(data)
            if saved["version"] != __version__:
                raise ValueError(f"a report of archiver {saved['version']}")
            return cls(path, [Finding(code, message, path=str(path))
                              for code, message in saved["findings"]],
                       [RecordInfo(**r) for r in saved["records"]])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a saved WARC report: {exc!r}") from None


def describe(info: RecordInfo) -> str:
    """Where a record is and what it is, to start a finding's message."""
    where = f"record at offset {info.offset}"
    if info.stream_offset != info.offset:
        where += f" (uncompressed offset {info.stream_offset})"
    name = info.record_id or info.target_uri or "(no WARC-Record-ID)"  # an ARC's have no ID
    return f"{where} {name} ({info.record_type or 'no type'})"
