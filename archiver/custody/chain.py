"""The chain of seals, checked offline: each seal's statement, its link to the seal before it,
its signature and its timestamps (cryptography and rfc3161-client, imported only here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from pydantic import ValidationError

from archiver.collection import KEYS, SEALS, Collection
from archiver.custody.keys import PublicKey, collection_keys
from archiver.custody.seal import (
    NAME,
    SIGNATURE,
    STATEMENT,
    TOKEN,
    Statement,
    canonical,
    seal_dirs,
)
from archiver.custody.timestamp import TimestampError, Token, verify_token
from archiver.fileio import TEMP_PREFIX, sha256_bytes
from archiver.findings import Finding
from archiver.manifest import iso_time


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
    except RecursionError:  # json's parser recurses once per nested array or object
        check.findings.append(_invalid(rel, "not a seal statement: nested too deeply to read"))
        return
    try:
        form = canonical(raw)
    except UnicodeEncodeError:  # a lone surrogate escape (\ud800): JSON, but no UTF-8 text
        check.findings.append(_invalid(rel, "not a seal statement: it holds a lone surrogate "
                                            "(\\ud800-\\udfff), which no seal archiver "
                                            "writes can"))
        check.statement = None
        return
    if form != check.data:
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
    findings: list[Finding] = [_invalid(name, "a file where the folder of the collection's "
                                              f"{name} belongs")
                               for name in (KEYS, SEALS) if (collection.root / name).exists()
                               and not (collection.root / name).is_dir()]
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
