"""Change a source through the tool, so that each change is in its history: a new text
version (edit), a metadata correction with the old and new claim (set), a withdrawal from the
active collection that keeps every file (withdraw). Call each under ``collection.writing()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.history import claim_json, record, require_active
from archiver.manifest import (
    FIELD_FORMATS,
    FieldChange,
    HistoryEntry,
    Manifest,
    Metadata,
    Status,
    describe_error,
    load_manifest,
    save_manifest,
)
from archiver.sources import check_text, check_url
from archiver.versions import write_text_version

# What `set` can change: every claim of Metadata (``mirrors`` is a list of claims, not one).
SETTABLE = tuple(name for name in Metadata.model_fields if name != "mirrors")
# A person states a claim as seen or as reasoned, or says it is not known; "extracted" is
# the tool's own word for what it read from a page.
SET_STATUSES = (Status.CONFIRMED, Status.INFERRED, Status.UNKNOWN)
AUTHOR_SEPARATOR = ";"


def edit_text(collection: Collection, source_id: str, text: Path, *, reason: str,
              by: str | None = None) -> Manifest:
    """Record the text in file ``text`` as the source's new text version, keeping the old one;
    refuses an unchanged text, a text that is not UTF-8, and a withdrawn source."""
    check_text(text)
    manifest = load_manifest(collection.source_manifest_path(source_id))
    try:
        data = text.read_bytes()
    except OSError as exc:
        raise ArchiverError(text, f"cannot read: {exc.strerror}") from None
    return write_text_version(collection, manifest, data, action="edited", reason=reason, by=by)


def set_field(collection: Collection, source_id: str, field: str, value: str, *,
              reason: str, status: Status = Status.INFERRED, note: str | None = None,
              by: str | None = None) -> FieldChange:
    """Correct one metadata claim and record the old and the new claim (``authors``: names
    separated by ``;``, '' for none; ``unknown`` takes ''); refuses an unchanged claim."""
    if field not in SETTABLE:
        raise ArchiverError(field, f"not a metadata field set can change (one of: "
                                   f"{', '.join(SETTABLE)})")
    if status not in SET_STATUSES:
        raise ArchiverError(status, "--status: one of confirmed, inferred, unknown")
    path = collection.source_manifest_path(source_id)
    manifest = load_manifest(path)
    require_active(manifest)
    claim: dict[str, Any] = {"value": _value(field, value, status), "status": status.value}
    if note:
        claim["note"] = note
    try:
        metadata = Metadata.model_validate({**manifest.metadata.model_dump(), field: claim})
    except ValidationError as exc:
        raise ArchiverError(field, FIELD_FORMATS.get(field) or describe_error(exc)[1]
                            ) from None
    before, after = (claim_json(getattr(m, field)) for m in (manifest.metadata, metadata))
    if before == after:
        raise ArchiverError(field, "the claim is unchanged: nothing to record")
    change = FieldChange(field=field, before=before, after=after)
    manifest.metadata = metadata
    record(manifest, "set", reason, by=by, field_change=change)
    save_manifest(path, manifest)
    return change


def _value(field: str, value: str, status: Status) -> Any:
    """The claim's value from the command line: none for ``unknown``, a list for authors."""
    if status is Status.UNKNOWN:
        if value.strip():
            raise ArchiverError(field, "a claim with status unknown has no value: give ''")
        return None
    if field == "authors":  # none at all ('') is a claim too: an organisation's release
        return [name.strip() for name in value.split(AUTHOR_SEPARATOR) if name.strip()]
    if not value.strip():
        raise ArchiverError(field, "give a value, or --status unknown")
    if field == "url":
        check_url(value)
    return value


def withdraw_source(collection: Collection, source_id: str, *, reason: str,
                    by: str | None = None) -> HistoryEntry:
    """Withdraw a source from the active collection: its files stay, ``verify`` still checks
    their custody, and capture, repair, edit and set refuse it from then on."""
    path = collection.source_manifest_path(source_id)
    manifest = load_manifest(path)
    require_active(manifest)
    entry = record(manifest, "withdrawn", reason, by=by)
    save_manifest(path, manifest)
    return entry
