"""Custody findings for ``verify``: every seal's chain link, signature and timestamps, checked
offline, and the collection's current state against the latest seal."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from pydantic import ValidationError

from archiver.collection import Collection
from archiver.custody.keys import KEYS, PublicKey, collection_keys
from archiver.custody.seal import (
    NAME,
    SEALS,
    SIGNATURE,
    STATEMENT,
    TOKEN,
    Fixity,
    SealedSource,
    Statement,
    canonical,
    seal_dirs,
)
from archiver.custody.timestamp import TimestampError, Token, verify_token
from archiver.fileio import TEMP_PREFIX, sha256_bytes, sha256_file
from archiver.findings import Finding, Severity
from archiver.manifest import Manifest, ManifestError, load_manifest


@dataclass
class SealCheck:
    """One seal as checked: its statement (None if unreadable), signer, tokens, findings."""

    name: str
    statement: Statement | None = None
    data: bytes = b""
    key: PublicKey | None = None
    tokens: list[Token] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether its statement, chain link, signature and every token verify."""
        return self.statement is not None and not self.findings

    def describe(self) -> str:
        """``sealed <time> by <key>, timestamped by <TSA> at <genTime>`` (or why not)."""
        if self.statement is None or not self.valid:
            return f"the latest seal {self.name} is invalid (seal-invalid or timestamp-invalid)"
        who = f"{self.statement.key.name} ({self.statement.key.fingerprint[:23]}…)"
        stamps = " and ".join(f"by {t.tsa} at {iso_time(t.gen_time)}" for t in self.tokens)
        return (f"sealed {iso_time(self.statement.sealed_at)} by {who}, "
                + (f"timestamped {stamps}" if stamps else "not timestamped (--no-timestamp)"))

    def as_dict(self) -> dict[str, object]:
        """The JSON form: seal, time, key and each timestamp."""
        st = self.statement
        return {"seal": self.name, "valid": self.valid,
                "sealed_at": iso_time(st.sealed_at) if st else None,
                "key": st.key.name if st else None,
                "fingerprint": st.key.fingerprint if st else None,
                "timestamps": [{"tsa": t.tsa, "gen_time": iso_time(t.gen_time),
                                "root_sha256": t.root_fingerprint} for t in self.tokens]}


def iso_time(at: datetime) -> str:
    """A time as the custody line and JSON give it: ISO 8601, ``Z`` for UTC."""
    return at.isoformat().replace("+00:00", "Z")


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


def _invalid(path: str, message: str) -> Finding:
    return Finding("seal-invalid", message, path=path)


def _check_statement(check: SealCheck, folder: Path, rel: str) -> None:
    try:
        check.data = (folder / STATEMENT).read_bytes()
        raw = json.loads(check.data)
        check.statement = Statement.model_validate(raw)
    except OSError as exc:
        check.findings.append(_invalid(rel, f"cannot be read: {exc.strerror}"))
        return
    except (ValueError, ValidationError) as exc:
        check.findings.append(_invalid(rel, f"not a seal statement: {str(exc).splitlines()[0]}"))
        return
    if canonical(raw) != check.data:
        check.findings.append(_invalid(rel, "not in canonical form (sorted keys, no spaces): "
                                            "its bytes were edited"))
    match = NAME.match(folder.name)
    assert match is not None  # seal_dirs lists only seal names
    st = check.statement
    if (int(match[1]), match[2]) != (st.sequence, f"{st.sealed_at:%Y%m%dT%H%M%SZ}"):
        check.findings.append(_invalid(rel, f"its name does not match its sequence "
                                            f"{st.sequence} and time {iso_time(st.sealed_at)}"))


def _check_signature(check: SealCheck, folder: Path, rel: str,
                     keys: dict[str, PublicKey]) -> None:
    assert check.statement is not None
    signer = check.statement.key
    key = keys.get(signer.fingerprint)
    if key is None:
        check.findings.append(_invalid(rel, f"signed by key {signer.name!r} "
                                            f"({signer.fingerprint}), which {KEYS}/ does not "
                                            "hold"))
        return
    check.key = key
    try:
        key.key.verify((folder / SIGNATURE).read_bytes(), check.data)
    except OSError as exc:
        check.findings.append(_invalid(f"{SEALS}/{folder.name}/{SIGNATURE}",
                                       f"cannot be read: {exc.strerror}"))
    except InvalidSignature:
        check.findings.append(_invalid(f"{SEALS}/{folder.name}/{SIGNATURE}",
                                       f"the signature does not verify with {key.path}"))


def _check_tokens(check: SealCheck, folder: Path) -> None:
    for token_path in sorted(folder.iterdir()):
        if not TOKEN.match(token_path.name):
            continue
        rel = f"{SEALS}/{folder.name}/{token_path.name}"
        try:
            check.tokens.append(verify_token(token_path.read_bytes(), check.data,
                                             token_path.with_suffix(".pem").read_bytes()))
        except OSError as exc:
            check.findings.append(Finding("timestamp-invalid", f"cannot be read "
                                          f"({exc.filename}): {exc.strerror}", path=rel))
        except TimestampError as exc:
            check.findings.append(Finding("timestamp-invalid", exc.reason, path=rel))


def check_seals(collection: Collection) -> tuple[list[SealCheck], list[Finding]]:
    """Check every seal in order, and the chain that links them; findings not of one seal."""
    findings: list[Finding] = []
    keys, bad = collection_keys(collection)
    findings += [_invalid(path, reason) for path, reason in bad]
    by_fingerprint = {k.fingerprint: k for k in keys}
    folder = collection.root / SEALS
    for entry in sorted(folder.iterdir()) if folder.is_dir() else ():
        rel = f"{SEALS}/{entry.name}"
        if entry.name.startswith(TEMP_PREFIX):
            findings.append(Finding("temp-file", "a seal left half-written by an interrupted "
                                                 "run; the next seal removes it", path=rel))
        elif not (entry.is_dir() and NAME.match(entry.name)):
            findings.append(_invalid(rel, "not a seal (a seal is a folder named "
                                          "NNNNNN-YYYYMMDDThhmmssZ)"))
    checks: list[SealCheck] = []
    for path in seal_dirs(collection):
        check = SealCheck(path.name)
        rel = f"{SEALS}/{path.name}/{STATEMENT}"
        _check_statement(check, path, rel)
        if check.statement is not None:
            _check_link(check, checks, rel)
            _check_signature(check, path, rel, by_fingerprint)
            _check_tokens(check, path)
        checks.append(check)
    return checks, findings


def _check_link(check: SealCheck, before: list[SealCheck], rel: str) -> None:
    """The seal follows the one before it: sequence, name and sha256 of its statement."""
    assert check.statement is not None
    link, expected = check.statement.previous, len(before) + 1
    if check.statement.sequence != expected:
        twin = next((b.name for b in before if b.statement
                     and b.statement.sequence == check.statement.sequence), None)
        why = (f"a fork: {twin} has the same sequence" if twin
               else "a seal before it is missing")
        check.findings.append(_invalid(rel, f"sequence {check.statement.sequence} where "
                                            f"{expected} is expected ({why})"))
    if not before:
        if link is not None:
            check.findings.append(_invalid(rel, f"the first seal here, but it follows "
                                                f"{link.seal}, which is missing"))
        return
    last = before[-1]
    if link is None:
        check.findings.append(_invalid(rel, f"names no previous seal, but follows {last.name}"))
    elif link.seal != last.name or link.sha256 != sha256_bytes(last.data):
        check.findings.append(_invalid(rel, f"its link to the previous seal ({link.seal}, "
                                            f"sha256 {link.sha256[:16]}…) does not match "
                                            f"{last.name} (sha256 "
                                            f"{sha256_bytes(last.data)[:16]}…)"))


def check_custody(collection: Collection, ids: list[str]) -> CustodyReport:
    """Check the seals and compare sources ``ids`` with the latest one."""
    checks, findings = check_seals(collection)
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
    return CustodyReport(findings, {i: _source(collection, i, sealed.get(i), latest)
                                    for i in ids})


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
            seal: SealCheck) -> SourceCustody:
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
        return SourceCustody("sealed", seal.describe(), seal)
    try:
        manifest = load_manifest(collection.manifest_path(source_id))
    except ManifestError:
        manifest = None
    findings = _changes(manifest, manifest_rel, sealed, seal)
    what = ", ".join(sorted({f.path or "" for f in findings}))
    return SourceCustody("changed", f"changed since the seal {seal.name} of {at}: {what}",
                         seal, findings)


def _changes(manifest: Manifest | None, manifest_rel: str, sealed: SealedSource,
             seal: SealCheck) -> list[Finding]:
    """What differs from the sealed source, each change a warning when the manifest records
    it after the seal (a history entry or capture naming that file and digest), else an error.

    "After the seal" is what the manifest appended since: the seal counts its history
    entries, captures and acceptances (times, kept to the second, could not tell a change in
    the seal's own second apart; an entry removed or rewritten breaks the history chain)."""
    if manifest is None:
        return [_change(manifest_rel, seal, "the manifest changed (and is invalid)",
                        accounted=False)]
    counts = sealed.recorded
    history = manifest.history[counts.history:]
    captures = manifest.captures[counts.captures:]
    dated = history or captures or manifest.accepted[counts.accepted:]
    findings = [_change(manifest_rel, seal, "the manifest changed", accounted=bool(dated))]
    before = {f.path: f for f in sealed.files}
    for entry in manifest.files:
        old: Fixity | None = before.pop(entry.path, None)
        if old is not None and (old.sha256, old.size) == (entry.sha256, entry.size):
            continue
        recorded = (any(h.path == entry.path and h.sha256_after == entry.sha256 for h in history)
                    or (old is None and any(c.warc_path == entry.path
                                            and c.warc_sha256 == entry.sha256 for c in captures)))
        what = "a file added" if old is None else (
            f"changed from sha256 {old.sha256[:16]}… to {entry.sha256[:16]}…")
        findings.append(_change(entry.path, seal, what, accounted=recorded))
    findings += [_change(path, seal, f"no longer named by {manifest_rel}", accounted=False)
                 for path in before]
    return findings
