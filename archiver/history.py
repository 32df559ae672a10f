"""A source's history: every change, who made it with which tool, chained by sha256 so that a
removed, reordered or altered entry shows; and the check that the manifest's present state is
the one its history records.

The chain: each entry's ``chain_sha256`` is the sha256 of the previous entry's canonical bytes,
the entry as stored in the manifest (fields that are null are omitted) in RFC 8785 (JSON
Canonicalization Scheme) form; the first entry's is the sha256 of the source id's UTF-8 bytes.
The manifest's ``history_head`` is the sha256 of the last entry's canonical bytes. Entries
made before the chain existed carry no ``chain_sha256``: they are a legacy prefix, which the
first chained entry covers by hashing the entry before it.

The state: each entry made since also records the manifest's state after it and each part it
changed, before and after (``archiver.state``). ``verify`` walks back from today's state
through these entries, so a change to a title, a URL, a capture or a file entry that no entry
accounts for shows, whatever entry was appended after it; and writers refuse to append to a
manifest whose state is not the one its last entry recorded.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import rfc8785

from archiver import __version__
from archiver.errors import ArchiverError
from archiver.fileio import sha256_bytes
from archiver.findings import Finding
from archiver.manifest import (
    FILE_ACTIONS,
    TEXT_ACTIONS,
    Action,
    Claim,
    FieldChange,
    HistoryEntry,
    LinkEdit,
    Manifest,
    PartChange,
    StateChange,
    Tool,
    iso_time,
    now,
)
from archiver.state import canonical_json, part_sha256, state_sha256

ARCHIVER = Tool(name="archiver", version=__version__)


def canonical_bytes(entry: Mapping[str, Any]) -> bytes:
    """The RFC 8785 (JCS) bytes of one history entry in its stored JSON form."""
    return rfc8785.dumps(entry)


def entry_sha256(entry: Mapping[str, Any]) -> str:
    """The sha256 (hex) of one stored history entry's canonical bytes."""
    return sha256_bytes(canonical_bytes(entry))


def genesis(source_id: str) -> str:
    """What the first entry chains to: the sha256 of the source id, binding the chain to it."""
    return sha256_bytes(source_id.encode("utf-8"))


def stored(entry: HistoryEntry) -> dict[str, Any]:
    """An entry in the JSON form the manifest stores it in (as ``dump_manifest`` writes it)."""
    return entry.model_dump(mode="json", exclude_none=True)


def current_user() -> str:
    """The login name of who runs the tool; ``uid N`` where the system has none for us."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no LOGNAME/USER and no passwd entry (a bare container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def chain_breaks(source_id: str, entries: Sequence[Mapping[str, Any]], head: str | None
                 ) -> list[str]:
    """One line for each place where the stored ``entries`` do not chain (empty if intact)."""
    breaks = []
    expected, chained = genesis(source_id), False
    for n, entry in enumerate(entries, start=1):
        link = entry.get("chain_sha256")
        what = f"history entry {n} ({entry.get('action')} at {entry.get('at')})"
        if link is None:
            if chained:
                breaks.append(f"{what} has no chain_sha256 after chained entries: it was "
                              "inserted, or its chain hash removed")
        elif link != expected:
            breaks.append(f"{what} does not chain to the entry before it: an entry was "
                          "removed, reordered or altered")
        chained = chained or link is not None
        try:
            expected = entry_sha256(entry)
        except rfc8785.CanonicalizationError as exc:
            breaks.append(f"{what} has no canonical form ({exc})")
            return breaks
    if head != (expected if chained else None) and (chained or head is not None):
        breaks.append("history_head is not the sha256 of the last history entry: the last "
                      "entry was removed or altered" if head else
                      "history_head is missing: the history was cut or its head removed")
    return breaks


def require_intact(manifest: Manifest) -> None:
    """Refuse to write on a history that does not chain: a new entry would cover the break."""
    breaks = chain_breaks(manifest.id, [stored(e) for e in manifest.history],
                          manifest.history_head)
    if breaks:
        raise ArchiverError(f"manifests/{manifest.id}.json",
                            f"{breaks[0]}; nothing was written ('archiver verify' reports "
                            "history-broken: restore the manifest from a backup)")
    last = manifest.history[-1].state if manifest.history else None
    if last is not None and manifest.base is not None and (
            state_sha256(manifest.base) != last.sha256_after):
        raise ArchiverError(f"manifests/{manifest.id}.json",
                            f"changed outside the tool since history entry "
                            f"{len(manifest.history)} (its state is not the one that entry "
                            "recorded); nothing was written ('archiver verify' reports "
                            "history-mismatch: restore the manifest from a backup)")


def require_active(manifest: Manifest) -> None:
    """Refuse to change a withdrawn source: it stays as it was withdrawn."""
    if (entry := manifest.withdrawal) is not None:
        raise ArchiverError(manifest.id, f"withdrawn from the collection on {entry.at:%Y-%m-%d} "
                                         f"({entry.reason}); nothing was changed")


def record(manifest: Manifest, action: Action, reason: str, *, by: str | None = None,
           path: str | None = None, previous_path: str | None = None,
           sha256_before: str | None = None, sha256_after: str | None = None,
           changes: Sequence[LinkEdit] = (), field_change: FieldChange | None = None,
           acceptance: int | None = None, at: datetime | None = None) -> HistoryEntry:
    """Append one chained entry to ``manifest``'s history (the one way history is written):
    who (``by``, default the login user), when, archiver's version, and the chain hash."""
    if not reason.strip():
        raise ArchiverError(manifest.id, "a change needs a reason (--reason)")
    require_intact(manifest)
    before, after = manifest.base or {}, manifest.state()
    state = StateChange(sha256_after=state_sha256(after), parts={
        part: PartChange(before=before.get(part), after=after.get(part))
        for part in sorted(before.keys() | after.keys()) if before.get(part) != after.get(part)})
    entry = HistoryEntry(
        at=at or now(), action=action, path=path, previous_path=previous_path,
        sha256_before=sha256_before, sha256_after=sha256_after, reason=reason.strip(),
        tool=ARCHIVER, changes=list(changes), field_change=field_change,
        acceptance=acceptance, by=by or current_user(),
        chain_sha256=(entry_sha256(stored(manifest.history[-1])) if manifest.history
                      else genesis(manifest.id)),
        state=state,
    )
    manifest.history.append(entry)
    manifest.base = after
    manifest.history_head = entry_sha256(stored(entry))
    return entry


def history_head(manifest: Manifest, count: int) -> str | None:
    """The sha256 of the canonical bytes of entry ``count`` (the last of the first ``count``);
    None for none."""
    return entry_sha256(stored(manifest.history[count - 1])) if count else None


def acceptances_sha256(manifest: Manifest, count: int) -> str:
    """The sha256 of the first ``count`` acceptances in their stored JSON form, canonical."""
    return sha256_bytes(canonical_json([a.model_dump(mode="json", exclude_none=True)
                                   for a in manifest.accepted[:count]]))


def claim_json(claim: Claim[Any] | None) -> dict[str, Any] | None:
    """A claim in its stored JSON form (how claims are compared and recorded)."""
    return None if claim is None else claim.model_dump(mode="json", exclude_none=True)


def check_history(manifest: Manifest, data: bytes, manifest_rel: str) -> list[Finding]:
    """``history-broken`` where the stored history does not chain or contradicts itself,
    ``history-mismatch`` where the manifest's present state is not the one it records."""
    raw = json.loads(data).get("history", [])
    findings = [Finding("history-broken", line, path=manifest_rel)
                for line in chain_breaks(manifest.id, raw, manifest.history_head)]
    findings += [Finding(code, line, path=manifest_rel) for code, line in _state(manifest)]
    # a state the walk cannot account for, when a finding of its code says already how
    found = {f.code for f in findings}
    findings += [Finding(code, line, path=manifest_rel)
                 for code, line in walk_states(manifest).problems if code not in found]
    return findings


@dataclass
class StateWalk:
    """The states the history accounts for, walking back from today's: ``after[k]`` is the
    sha256 of the state after the first ``k`` entries (``after[len(history)]`` today's), for
    each ``k`` reached before the walk met an entry without a state or a break."""

    after: dict[int, str] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


def walk_states(manifest: Manifest) -> StateWalk:
    """Walk back from the manifest's present state through each entry that records its state,
    undoing the parts it changed: each must end where the next began, and change only what
    its action may change. Entries made before states were recorded end the walk."""
    history = manifest.history
    known = manifest.state()
    walk = StateWalk({len(history): state_sha256(known)})
    first = len(history)
    while first > 0 and history[first - 1].state is not None:
        first -= 1
    walk.problems += [("history-broken", f"history entry {n} ({e.action} at {iso_time(e.at)}) "
                       "records no state after entries that do: it was inserted, or its "
                       "state removed")
                      for n, e in enumerate(history[:first], start=1)
                      if e.state is None
                      and any(h.state is not None for h in history[:n - 1])]
    for index in range(len(history) - 1, first - 1, -1):
        entry, n = history[index], index + 1
        assert entry.state is not None
        if state_sha256(known) != entry.state.sha256_after:
            walk.problems.append(
                ("history-mismatch", f"the manifest's state is not the one its last history "
                 f"entry ({n}, {entry.action}) recorded: changed outside the tool")
                if index == len(history) - 1 else
                ("history-broken", f"history entry {n + 1} does not start from the state "
                 f"history entry {n} ({entry.action}) recorded: a change between them that no "
                 "entry records"))
            return walk
        before = dict(known)
        for part, change in entry.state.parts.items():
            if known.get(part) != change.after:
                walk.problems.append(("history-broken", f"history entry {n} ({entry.action}): "
                                      f"its record of {part} is not the state after it"))
                return walk
            if change.before is None:
                before.pop(part, None)
            else:
                before[part] = change.before
        walk.problems += [("history-broken", f"history entry {n} ({entry.action}) {what}")
                          for what in _misfits(entry)]
        known = before
        walk.after[index] = state_sha256(known)
    if first == 0 and history and known:
        walk.problems.append(("history-broken", "history entry 1 records a state before it: "
                              "the entries that made the source were removed"))
    return walk


# the sha256 of a claim that says nothing yet: absent, unknown, no mirrors
_UNSET = frozenset({None, part_sha256({"status": "unknown"}), part_sha256([])})


def _misfits(entry: HistoryEntry) -> Iterator[str]:
    """How the parts an entry changed do not fit its action: a file or capture is only ever
    added; an edit changes the text; a ``set`` only its field, from its old claim to its new."""
    assert entry.state is not None
    changed = entry.state.parts
    for part, change in changed.items():
        if part.startswith(("files/", "captures/")) and change.before is not None:
            yield (f"changes {part}, which was recorded before it: a file or capture is never "
                   "overwritten or removed")
    allowed: set[str] | None = None  # None: any part it adds
    if entry.action == "set" and (fc := entry.field_change) is not None:
        part = f"metadata.{fc.field}"
        allowed = {part}
        claimed = PartChange(before=part_sha256(claim_json(fc.before)),
                             after=part_sha256(claim_json(fc.after)))
        if part in changed and changed[part] != claimed:
            yield f"changes {part} otherwise than its field_change says"
    elif entry.action in ("withdrawn", "unaccepted"):  # no part of the state
        allowed = set()
    elif entry.action in ("edited", "repaired"):
        allowed = {f"files/{entry.path}", "text"}
    elif entry.action == "captured":  # of a new source: its first claims too
        allowed = {f"files/{entry.path}", "capture_pending"}
        allowed |= {p for p, c in changed.items()
                    if p.startswith("captures/") or c.before is None}
    elif entry.action == "extracted":  # of a new source: what the page says, where unknown
        allowed = {f"files/{entry.path}", "text"}
        allowed |= {p for p, c in changed.items()
                    if p.startswith("metadata.") and c.before in _UNSET}
    if allowed is not None:
        for part in sorted(changed.keys() - allowed):
            yield f"changes {part}, which {entry.action!r} entries do not change"


def _state(manifest: Manifest) -> Iterator[tuple[str, str]]:
    """(code, message) for each way the manifest disagrees with its own history."""
    latest: dict[str, tuple[int, HistoryEntry]] = {}  # by file path
    fields: dict[str, tuple[int, FieldChange]] = {}  # by metadata field
    text: tuple[int, HistoryEntry] | None = None
    taken_back: set[int] = set()
    for n, entry in enumerate(manifest.history, start=1):
        if entry.action in FILE_ACTIONS and entry.path in latest:
            yield ("history-broken", f"history entry {n} ({entry.action}) brings in "
                   f"{entry.path}, which history entry {latest[entry.path][0]} brought in: "
                   "a file is never overwritten")
        if entry.acceptance is not None:
            if entry.acceptance > len(manifest.accepted) or entry.acceptance in taken_back:
                yield ("history-broken", f"history entry {n} (unaccepted) takes back "
                       f"acceptance {entry.acceptance}, which the manifest does not hold "
                       "or which was taken back before")
            taken_back.add(entry.acceptance)
        if entry.previous_path is not None:
            prior = latest.get(entry.previous_path)
            if prior is None or prior[1].sha256_after != entry.sha256_before:
                yield ("history-broken", f"history entry {n} ({entry.action}): sha256_before is "
                       f"not the sha256 the history records for {entry.previous_path}")
        if (change := entry.field_change) is not None:
            if (set_before := fields.get(change.field)) and (
                    claim_json(set_before[1].after) != claim_json(change.before)):
                yield ("history-broken", f"history entry {n} (set {change.field}): its old "
                       f"value is not the one history entry {set_before[0]} set")
            fields[change.field] = (n, change)
        if entry.path is not None:
            latest[entry.path] = (n, entry)
            if entry.action in TEXT_ACTIONS:
                text = (n, entry)
    yield from _files(manifest, latest)
    if manifest.text is not None and text is not None and text[1].path != manifest.text.path:
        yield ("history-mismatch", f"text.path is {manifest.text.path}, but the latest text "
               f"version in the history is {text[1].path} (entry {text[0]})")
    for name, (n, change) in fields.items():
        if claim_json(getattr(manifest.metadata, name, None)) != claim_json(change.after):
            yield ("history-mismatch", f"metadata.{name} is not the claim history entry {n} "
                   "set: it was changed outside the tool")


def _files(manifest: Manifest, latest: dict[str, tuple[int, HistoryEntry]]
           ) -> Iterator[tuple[str, str]]:
    """Each file the history records is among the files with the sha256 last recorded, and
    each file is recorded (but WARCs captured before captures were recorded in history)."""
    files = {f.path: f for f in manifest.files}
    for path, (n, entry) in latest.items():
        if (file := files.get(path)) is None:
            yield ("history-mismatch", f"{path}: history entry {n} ({entry.action}) records it, "
                   "but the manifest no longer lists it among the files")
        elif file.sha256 != entry.sha256_after:
            assert entry.sha256_after is not None  # a file action has one
            yield ("history-mismatch", f"{path}: the manifest records sha256 "
                   f"{file.sha256[:16]}…, its latest history entry ({n}, {entry.action}) "
                   f"{entry.sha256_after[:16]}…: changed outside the tool")
    # captures were first recorded in history with the first "captured" entry
    recorded = next((e.at for e in manifest.history if e.action == "captured"), None)
    captured = {c.warc_path: c.captured_at for c in manifest.captures}
    for path in sorted(files.keys() - latest.keys()):
        legacy = path in captured and (recorded is None or captured[path] < recorded)
        if not legacy:
            yield ("history-mismatch", f"{path}: among the files, but no history entry records "
                   "it: added outside the tool")
