"""Register an existing text as a new source, and record reviewed findings as accepted."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from archiver.collection import DEFAULT_WAIT, Collection
from archiver.errors import ArchiverError
from archiver.fileio import sha256_file
from archiver.findings import RULES, Finding
from archiver.history import record, require_active, require_intact
from archiver.manifest import (
    Acceptance,
    FileEntry,
    FileRole,
    Manifest,
    Metadata,
    PendingCapture,
    Received,
    TextRecord,
    load_manifest,
    now,
    save_manifest,
)
from archiver.verify import check_source, line_digest

TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"
# Findings that say a file or capture is not what was recorded: a person cannot accept them
# away, or a later, different change to the same file would be accepted with them.
INTEGRITY_CODES = frozenset({"hash-mismatch", "file-missing", "path-unsafe", "manifest-invalid",
                             "file-claimed-twice",
                             "journal-invalid",
                             # custody: a seal or a change since it is not a reviewer's call
                             "seal-invalid", "seal-untrusted", "seal-rollback",
                             "timestamp-invalid", "timestamp-untrusted", "unsealed-change"})
_INTEGRITY_PREFIXES = ("warc-", "wacz-", "capture-record-", "capture-mismatch", "history-")
# Findings that say evidence is absent, not damaged: there is nothing for a person to review,
# and a --strict gate must not pass a source no capture vouches for. A page that is gone is
# captured all the same: its error response is the evidence, and that capture-http-error is
# a reviewable fact about the page ("it was taken down"), so it can be accepted.
UNREVIEWABLE = {
    "capture-pending": "no original was archived, so there is nothing to review: capture it "
                       "(archiver capture --id ID); if the page is gone, its error response "
                       "is the evidence, and that capture-http-error can be accepted",
}


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(size):
            yield block


def add_source(collection: Collection, text: Path, source_id: str, metadata: Metadata,
               *, received_from: str, note: str | None = None, by: str | None = None,
               wait: float = DEFAULT_WAIT) -> Manifest:
    """Copy ``text`` into corpus/ byte for byte and write its manifest; refuse an existing id.

    Nothing is written when the id exists or is reserved, or the input is not a non-empty
    UTF-8 text with an http(s) URL. Holds the collection's write lock (waiting at most
    ``wait`` seconds), so the id is checked and taken in one step.
    """
    with collection.writing(wait=wait):
        return _add_source(collection, text, source_id, metadata, received_from, note, by)


def _add_source(collection: Collection, text: Path, source_id: str, metadata: Metadata,
                received_from: str, note: str | None, by: str | None) -> Manifest:
    manifest_path = collection.new_manifest_path(source_id)
    relpath = f"corpus/{source_id}{text.suffix or '.txt'}"
    target = collection.resolve(relpath)
    if manifest_path.exists():
        raise ArchiverError(manifest_path, f"source {source_id!r} exists already")
    if target.exists():
        raise ArchiverError(target, f"a file for source {source_id!r} exists already")
    check_text(text)
    with collection.staging() as staged:
        try:
            staged.write(relpath, _chunks(text))
        except OSError as exc:
            raise ArchiverError(text, f"cannot copy: {exc.strerror}") from None
        sha256, size = sha256_file(target)
        at = now()
        manifest = Manifest(
            id=source_id,
            metadata=metadata,
            files=[FileEntry(path=relpath, sha256=sha256, size=size,
                             media_type=TEXT_MEDIA_TYPE, role=FileRole.TEXT)],
            text=TextRecord(path=relpath, origin=Received(received_from=received_from,
                                                          received_at=at, note=note)),
            capture_pending=PendingCapture(reason="registered from a text; not captured yet",
                                           since=at),
        )
        record(manifest, "received", f"added from {text.name}", by=by, path=relpath,
               sha256_after=sha256, at=at)
        staged.commit(manifest)
    return manifest


def check_text(text: Path) -> None:
    """Refuse an input text that is not a readable, non-empty UTF-8 file."""
    if not text.is_file():
        raise ArchiverError(text, "not a readable file")
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    try:
        for block in _chunks(text):
            size += len(block)
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except OSError as exc:
        raise ArchiverError(text, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ArchiverError(text, f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                                  f"offset {size - len(exc.object) + exc.start})") from None
    if size == 0:
        raise ArchiverError(text, "empty file: nothing to add")


def check_url(url: str) -> None:
    """Refuse a source URL that is not an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ArchiverError(url, "--url: give the http(s) URL where the text was published")


def is_integrity(code: str) -> bool:
    """Whether ``code`` is a fixity or WARC-integrity finding (never accepted)."""
    return code in INTEGRITY_CODES or code.startswith(_INTEGRITY_PREFIXES)


def _only_line(manifest_path: Path, code: str, findings: list[Finding]) -> int | None:
    """The line of the one open finding of ``code`` (accept without --line), or None if
    there is none; several are refused with their lines, since the choice is the reviewer's."""
    lines = sorted({f.line for f in findings if f.counts and f.line is not None})
    if len(lines) > 1:
        shown = ", ".join(map(str, lines[:20])) + (" and more" if len(lines) > 20 else "")
        raise ArchiverError(manifest_path, f"{len(lines)} open {code} findings (at lines "
                                           f"{shown}): give --line")
    return lines[0] if lines else None


def accept_finding(collection: Collection, source_id: str, code: str, *, line: int | None,
                   reason: str, path: str | None = None, by: str | None = None,
                   wait: float = DEFAULT_WAIT) -> Acceptance:
    """Record that a person reviewed a current finding and accepts it, with the reason.

    The acceptance is bound to the finding's line content: once that line changes, it no
    longer applies. Without ``line``, the one open finding of ``code`` is meant (several are
    refused, naming their lines). Refuses to accept a finding that ``verify`` does not report.
    Holds the collection's write lock (waiting at most ``wait`` seconds): no update is lost.
    """
    _check_acceptable(code, reason)
    with collection.writing(wait=wait):
        return _accept(collection, source_id, code, line, reason, path, by)


def unaccept_finding(collection: Collection, source_id: str, code: str, *,
                     line: int | None = None, path: str | None = None, reason: str,
                     by: str | None = None, wait: float = DEFAULT_WAIT) -> Acceptance:
    """Take back an acceptance of ``code`` (at ``line`` and ``path`` when given; without
    them, the one acceptance of that code): the finding counts again. The acceptance stays in
    the manifest as it was made; a history entry (who, when, why) takes it back. Returns the
    acceptance taken back. Holds the collection's write lock."""
    if not reason.strip():
        raise ArchiverError(code, "taking an acceptance back needs a reason")
    with collection.writing(wait=wait):
        manifest_path = collection.source_manifest_path(source_id)
        manifest = load_manifest(manifest_path)
        require_active(manifest)
        taken_back = manifest.revocations()
        candidates = [(n, a) for n, a in enumerate(manifest.accepted, 1)
                      if n not in taken_back and a.code == code
                      and line in (None, a.line) and path in (None, a.path)]
        if not candidates:
            where = f" at line {line}" if line is not None else ""
            raise ArchiverError(manifest_path, f"no acceptance of {code}{where} to take back")
        if len(candidates) > 1:
            shown = ", ".join(f"{a.path}:{a.line}" if a.line else a.path
                              for _, a in candidates)
            raise ArchiverError(manifest_path, f"{len(candidates)} acceptances of {code} "
                                               f"({shown}): give --line or --path")
        number, acceptance = candidates[0]
        record(manifest, "unaccepted", reason, by=by, acceptance=number)
        save_manifest(manifest_path, manifest)
        return acceptance


def _check_acceptable(code: str, reason: str) -> None:
    """Refuse an unknown code, one that acceptance cannot talk away, or a blank reason."""
    if code not in RULES:
        raise ArchiverError(code, "not a finding code (see docs/findings.md)")
    if is_integrity(code):
        raise ArchiverError(code, "an integrity finding cannot be accepted: restore the file "
                                  "from a backup (see the finding codes: docs/findings.md)")
    if code in UNREVIEWABLE:
        raise ArchiverError(code, f"cannot be accepted: {UNREVIEWABLE[code]}")
    if not reason.strip():
        raise ArchiverError(code, "an acceptance needs a reason")


def _accept(collection: Collection, source_id: str, code: str, line: int | None, reason: str,
            path: str | None, by: str | None) -> Acceptance:
    manifest_path = collection.source_manifest_path(source_id)
    manifest = load_manifest(manifest_path)
    require_intact(manifest)  # an acceptance never builds on a change no entry records
    findings = [f for f in check_source(collection, source_id).findings
                if f.code == code and (path is None or f.path == path)]
    candidates = [f for f in findings if f.line == line]
    if line is None and not candidates:
        line = _only_line(manifest_path, code, findings)
        candidates = [f for f in findings if f.line == line]
    if not candidates:
        where = f" at line {line}" if line is not None else ""
        raise ArchiverError(manifest_path, f"no {code} finding{where} to accept")
    if len({f.path for f in candidates}) > 1:
        raise ArchiverError(manifest_path, f"{code}{' at line ' + str(line) if line else ''} "
                                           "is ambiguous: give --path")
    finding = candidates[0]
    if finding.accepted is not None:
        raise ArchiverError(manifest_path, f"{code} at line {line} is accepted already")
    target = finding.path or f"manifests/{source_id}.json"
    digest = None
    if line is not None:
        lines = collection.resolve(target).read_text("utf-8", errors="replace").split("\n")
        digest = line_digest(lines, line)
    acceptance = Acceptance(code=code, path=target, line=line, line_sha256=digest,
                            reason=reason.strip(), accepted_at=now(), accepted_by=by)
    manifest.accepted.append(acceptance)
    save_manifest(manifest_path, manifest)
    return acceptance

