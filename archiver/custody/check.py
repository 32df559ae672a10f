"""Custody findings for ``verify``: the chain of seals, checked offline (``custody.chain``, and
its cryptography, loaded only for a collection that holds seals or keys), and the collection's
current state against the latest seal."""

from __future__ import annotations

from collections.abc import Collection as Collection_
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archiver.collection import KEYS, SEALS, Collection, UnsafePathError
from archiver.fileio import sha256_file
from archiver.findings import Finding, Severity
from archiver.history import acceptances_sha256, history_head, walk_states
from archiver.manifest import Manifest, ManifestError, iso_time, load_manifest

if TYPE_CHECKING:
    from archiver.custody.chain import SealCheck
    from archiver.custody.seal import Fixity, Recorded, SealedSource
    from archiver.custody.trust import Trust


@dataclass
class SourceCustody:
    """One source's custody: ``sealed``, ``changed``, ``new``, ``unsealed`` or ``invalid``."""

    status: str
    text: str
    seal: SealCheck | None = None
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The JSON form of the custody line."""
        out: dict[str, object] = {"status": self.status, "text": self.text}
        if self.seal is not None:
            out |= self.seal.as_dict()
        return out


@dataclass
class CustodyReport:
    """The chain's findings, and each source's custody against the latest seal."""

    findings: list[Finding]
    sources: dict[str, SourceCustody]


def check_custody(collection: Collection, ids: list[str],
                  damaged: Mapping[str, Collection_[str]] | None = None,
                  trust: Trust | None = None) -> CustodyReport:
    """Check the seals against ``trust`` (default: the trust file) and compare sources
    ``ids`` with the latest one; ``damaged`` gives, by source, the files that failed
    verify's fixity check (else sealed files are hashed)."""
    checks: list[SealCheck] = []
    findings: list[Finding] = []
    if (collection.root / SEALS).exists() or (collection.root / KEYS).exists():
        from archiver.custody.chain import check_seals  # cryptography: only when needed

        checks, findings = check_seals(collection, trust)
    for check in checks:
        findings += check.findings
    if not checks:
        findings.append(Finding("unsealed", "the collection has no seal yet "
                                            "('archiver seal' makes one)", path=SEALS))
        text = "unsealed: the collection has no seal"
        return CustodyReport(findings, {i: SourceCustody("unsealed", text) for i in ids})
    latest = checks[-1]
    if latest.statement is None:
        return CustodyReport(findings, {i: SourceCustody("invalid", latest.describe(), latest)
                                        for i in ids})
    sealed = {s.id: s for s in latest.statement.sources}
    findings += _key_changes(collection, latest)
    if set(ids) == set(collection.ids()):
        findings += [_change(f"manifests/{gone}.json", latest, f"source {gone} was sealed in "
                             f"{latest.name} and its manifest is gone", accounted=False)
                     for gone in sorted(set(sealed) - set(ids))]
    return CustodyReport(findings, {
        i: _source(collection, i, sealed.get(i), latest,
                   None if damaged is None else damaged.get(i, ())) for i in ids})


def _change(path: str, seal: SealCheck, what: str, *, accounted: bool) -> Finding:
    tail = ("; recorded in the manifest" if accounted
            else "; nothing in the manifest accounts for it")
    return Finding("unsealed-change", f"{what} since the seal {seal.name}{tail}", path=path,
                   level=None if accounted else Severity.ERROR)


def _key_changes(collection: Collection, seal: SealCheck) -> list[Finding]:
    assert seal.statement is not None
    now = {f"{KEYS}/{p.name}": p for p in sorted((collection.root / KEYS).glob("*.pub"))}
    sealed = {k.path: k for k in seal.statement.keys}
    out = []
    for rel, entry in sealed.items():
        path = now.get(rel)
        if path is None:
            out.append(_change(rel, seal, "a key removed", accounted=False))
        elif sha256_file(path) != (entry.sha256, entry.size):
            out.append(_change(rel, seal, "a key changed", accounted=False))
    out += [_change(rel, seal, "a key added", accounted=True) for rel in now if rel not in sealed]
    return out


def _source(collection: Collection, source_id: str, sealed: SealedSource | None,
            seal: SealCheck, damaged: Collection_[str] | None) -> SourceCustody:
    assert seal.statement is not None
    at = iso_time(seal.statement.sealed_at)
    manifest_rel = f"manifests/{source_id}.json"
    if sealed is None:
        added = Finding("unsealed-change", f"a source added after the seal {seal.name}; no "
                                           "sealed file changed", path=manifest_rel)
        return SourceCustody("new", f"not sealed: added after the seal {seal.name} of {at}",
                             seal, [added])
    try:
        found = sha256_file(collection.manifest_path(source_id))
    except OSError:
        found = None
    if found == (sealed.manifest.sha256, sealed.manifest.size):
        if not seal.valid:
            return SourceCustody("invalid", seal.describe(), seal)
        findings = _damaged(collection, sealed, seal, damaged, set())
        if not findings:
            return SourceCustody("sealed", seal.describe(), seal)
    else:
        try:
            manifest = load_manifest(collection.manifest_path(source_id))
        except ManifestError:
            manifest = None
        findings = _changes(manifest, manifest_rel, sealed, seal)
        findings += _damaged(collection, sealed, seal, damaged, {f.path for f in findings})
    what = ", ".join(sorted({f.path or "" for f in findings}))
    return SourceCustody("changed", f"changed since the seal {seal.name} of {at}: {what}",
                         seal, findings)


def _damaged(collection: Collection, sealed: SealedSource, seal: SealCheck,
             damaged: Collection_[str] | None, reported: set[str | None]) -> list[Finding]:
    """Each sealed file that today differs from the seal, whatever its manifest says: from
    verify's fixity verdicts (``damaged``: the paths that failed), else hashed here."""
    out = []
    for file in sealed.files:
        if file.path in reported:
            continue
        if damaged is not None:
            differs = file.path in damaged
        else:
            try:
                differs = sha256_file(collection.resolve(file.path)) != (file.sha256, file.size)
            except (OSError, UnsafePathError):
                differs = True
        if differs:
            out.append(_change(file.path, seal, f"changed (sealed as sha256 {file.sha256[:16]}…; "
                               "today it fails fixity)", accounted=False))
    return out


def _changes(manifest: Manifest | None, manifest_rel: str, sealed: SealedSource,
             seal: SealCheck) -> list[Finding]:
    """What differs from the sealed source. A new file is a warning when an entry appended
    since the seal records it (a history entry or capture naming that file and digest); the
    manifest's change is a warning when entries were appended since and the seal's record of
    its history, state and acceptances still holds; anything else is an error: a sealed file
    never changes (text versions are new files).

    "After the seal" is what the manifest appended since: the seal counts its history
    entries, captures and acceptances (times, kept to the second, could not tell a change in
    the seal's own second apart), and binds them by sha256 (seals made before it did: counts
    only)."""
    if manifest is None:
        return [_change(manifest_rel, seal, "the manifest changed (and is invalid)",
                        accounted=False)]
    counts = sealed.recorded
    rewritten = _rewritten(manifest, counts)
    history = [] if rewritten else manifest.history[counts.history:]
    captures = manifest.captures[counts.captures:]
    dated = history or captures or manifest.accepted[counts.accepted:]
    what = f"the manifest changed ({rewritten})" if rewritten else "the manifest changed"
    findings = [_change(manifest_rel, seal, what, accounted=bool(dated) and not rewritten)]
    if rewritten and rewritten.startswith("history entries"):
        findings.insert(0, Finding("history-broken", f"{rewritten}: the chain was recomputed, "
                                   f"but the seal {seal.name} holds its sha256", manifest_rel))
    before = {f.path: f for f in sealed.files}
    for entry in manifest.files:
        old: Fixity | None = before.pop(entry.path, None)
        if old is not None and (old.sha256, old.size) == (entry.sha256, entry.size):
            continue
        recorded = old is None and (
            any(h.path == entry.path and h.sha256_after == entry.sha256 for h in history)
            or any(c.warc_path == entry.path and c.warc_sha256 == entry.sha256
                   for c in captures))
        what = "a file added" if old is None else (
            f"changed from sha256 {old.sha256[:16]}… to {entry.sha256[:16]}…: a sealed file "
            "is never rewritten")
        findings.append(_change(entry.path, seal, what, accounted=recorded))
    findings += [_change(path, seal, f"no longer named by {manifest_rel}", accounted=False)
                 for path in before]
    return findings


def _rewritten(manifest: Manifest, counts: Recorded) -> str | None:
    """How the manifest's sealed record (its first history entries, its state after them, its
    first acceptances) differs from what the seal holds of it; None if it does not."""
    if len(manifest.history) < counts.history:
        return (f"it holds {len(manifest.history)} history entries, the seal "
                f"{counts.history}: sealed entries were removed")
    if counts.history_head is not None and (
            history_head(manifest, counts.history) != counts.history_head):
        return f"history entries 1 to {counts.history} are not the ones sealed"
    if counts.state is not None and walk_states(manifest).after.get(counts.history) != (
            counts.state):
        return ("its state as sealed (a claim, capture, file entry or the text record) was "
                "changed, and no history entry since accounts for it")
    if counts.accepted_sha256 is not None and (
            len(manifest.accepted) < counts.accepted
            or acceptances_sha256(manifest, counts.accepted) != counts.accepted_sha256):
        return "an acceptance sealed was altered or removed"
    return None
