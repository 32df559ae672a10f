"""The chain of seals, checked offline: each seal's statement, its link to the seal before it,
its signature and its timestamps (cryptography and rfc3161-client, imported only here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from pydantic import ValidationError

from archiver.collection import KEYS, SEALS, Collection
from archiver.custody.keys import PublicKey, collection_keys
from archiver.custody.seal import (
    CLOCK_SKEW,
    FORMATS,
    NAME,
    SIGNATURE,
    STATEMENT,
    TOKEN,
    TOKENS,
    TOKENS_FORMAT,
    TOKENS_SIGNATURE,
    Statement,
    TokenList,
    canonical,
    seal_dirs,
)
from archiver.custody.timestamp import (
    TimestampError,
    TimestampUntrusted,
    Token,
    check_token,
    load_certificates,
)
from archiver.custody.trust import Trust, TrustFile
from archiver.errors import ArchiverError
from archiver.fileio import TEMP_PREFIX, sha256_bytes
from archiver.findings import Finding, Severity
from archiver.manifest import iso_time


@dataclass
class SealCheck:
    """One seal as checked: its statement (None if unreadable), signer, tokens, findings."""

    name: str
    statement: Statement | None = None
    data: bytes = b""
    key: PublicKey | None = None
    pinned: bool | None = None
    tokens: list[Token] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        """The sha256 of its statement's bytes (what ``seal`` prints, to publish)."""
        return sha256_bytes(self.data)

    @property
    def valid(self) -> bool:
        """Whether its statement, chain link, signature and every token verify."""
        return self.statement is not None and not self.findings

    def describe(self) -> str:
        """``sealed <time> by <key>, timestamped by <TSA> at <genTime>`` (or why not)."""
        if self.statement is None or not self.valid:
            found = ", ".join(sorted({f.code for f in self.findings}))
            return f"the latest seal {self.name} is invalid ({found})"
        who = (("an unpinned key " if self.pinned is False else "")
               + f"{self.statement.key.name} ({self.statement.key.fingerprint[:23]}…)")
        stamps = " and ".join(f"by {t.tsa} at {iso_time(t.gen_time)}" for t in self.tokens)
        return (f"sealed {iso_time(self.statement.sealed_at)} by {who}, "
                + (f"timestamped {stamps}" if stamps else "not timestamped (--no-timestamp)"))

    def as_dict(self) -> dict[str, object]:
        """The JSON form: seal, time, key and each timestamp."""
        st = self.statement
        return {"seal": self.name, "valid": self.valid, "sha256": self.sha256 if st else None,
                "pinned": self.pinned,
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
    if check.statement.format not in FORMATS:
        check.findings.append(_invalid(rel, f"format {check.statement.format!r} is not one "
                                            f"this version reads ({', '.join(FORMATS)})"))
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
                     keys: dict[str, PublicKey], pinned: set[str]) -> None:
    assert check.statement is not None
    signer = check.statement.key
    check.pinned = signer.fingerprint in pinned
    if pinned and not check.pinned:
        check.findings.append(Finding(
            "seal-untrusted", f"signed by key {signer.name!r} ({signer.fingerprint}), which "
            "the verifier has not pinned (trust file or --trust-key): anyone can make a key of "
            "that name", path=rel))
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


def _token_list(check: SealCheck, folder: Path) -> dict[str, str] | None:
    """The tokens ``tokens.json`` binds to the seal (file -> sha256), once its signature and
    its statement's sha256 verify; None for a seal of format 1 (its tokens are not bound), {}
    after a finding."""
    assert check.statement is not None
    if check.statement.format == FORMATS[0]:
        return None
    rel = f"{SEALS}/{folder.name}/{TOKENS}"
    bad = {}
    try:
        data = (folder / TOKENS).read_bytes()
        listing = TokenList.model_validate_json(data)
    except OSError as exc:
        check.findings.append(Finding("timestamp-invalid", f"cannot be read ({exc.strerror}): "
                                      "it binds the seal's tokens, and without it a token "
                                      "could have been removed or added", path=rel))
        return bad
    except (ValueError, ValidationError) as exc:
        check.findings.append(Finding("timestamp-invalid", "not a list of tokens: "
                                      f"{str(exc).splitlines()[0]}", path=rel))
        return bad
    why = None
    if listing.format != TOKENS_FORMAT or listing.seal != folder.name \
            or listing.statement_sha256 != check.sha256:
        why = "it is not this seal's (format, seal name or statement sha256)"
    elif canonical(listing.model_dump(mode="json")) != data:
        why = "not in canonical form: its bytes were edited"
    elif check.key is not None:
        try:
            check.key.key.verify((folder / TOKENS_SIGNATURE).read_bytes(), data)
        except OSError as exc:
            why = f"its signature {TOKENS_SIGNATURE} cannot be read: {exc.strerror}"
        except InvalidSignature:
            why = f"its signature {TOKENS_SIGNATURE} does not verify with {check.key.path}"
    if why:
        check.findings.append(Finding("timestamp-invalid", why, path=rel))
        return bad
    return {t.file: t.sha256 for t in listing.tokens}


def _check_tokens(check: SealCheck, folder: Path, trust: Trust,
                  before: SealCheck | None) -> None:
    assert check.statement is not None
    present = {p.name: p for p in sorted(folder.iterdir()) if TOKEN.match(p.name)}
    bound = _token_list(check, folder)
    base = f"{SEALS}/{folder.name}"
    for name in sorted(set(bound or ()) - set(present)):
        check.findings.append(Finding("timestamp-invalid", f"listed in {TOKENS} but missing: "
                                      "a token removed", path=f"{base}/{name}"))
    earliest = min((t.gen_time for t in before.tokens), default=None) if before else None
    for name, token_path in present.items():
        rel = f"{base}/{name}"
        try:
            reply = token_path.read_bytes()
        except OSError as exc:
            check.findings.append(Finding("timestamp-invalid", f"cannot be read: "
                                          f"{exc.strerror}", path=rel))
            continue
        if bound is not None and name not in bound:
            check.findings.append(Finding("timestamp-invalid", f"not listed in {TOKENS}: a "
                                          "token added after sealing", path=rel))
            continue
        if bound is not None and bound[name] != sha256_bytes(reply):
            check.findings.append(Finding("timestamp-invalid", f"not the token {TOKENS} "
                                          f"lists (sha256 {bound[name][:16]}…): replaced",
                                          path=rel))
            continue
        try:
            token = check_token(reply, check.data, trust.tsa_roots(), _intermediates(token_path))
        except TimestampUntrusted as exc:
            check.findings.append(Finding("timestamp-untrusted", exc.reason, path=rel))
            continue
        except TimestampError as exc:
            check.findings.append(Finding("timestamp-invalid", exc.reason, path=rel))
            continue
        if token.gen_time < check.statement.sealed_at - CLOCK_SKEW:
            check.findings.append(Finding(
                "timestamp-invalid", f"its genTime {iso_time(token.gen_time)} is before the "
                f"seal's sealed_at {iso_time(check.statement.sealed_at)} by more than the "
                f"{CLOCK_SKEW.seconds // 60} minutes allowed for clocks: it stamps the "
                "statement before it was made", path=rel))
        elif earliest is not None and token.gen_time < earliest - CLOCK_SKEW:
            check.findings.append(Finding(
                "timestamp-invalid", f"its genTime {iso_time(token.gen_time)} is before the "
                f"previous seal's ({iso_time(earliest)}): the chain's times run backwards",
                path=rel))
        else:
            check.tokens.append(token)


def _intermediates(token_path: Path) -> list[Any]:
    """The certificates stored beside a token (``tsa-N.pem``): a source of intermediates for
    its chain, trusted for nothing; unreadable, they are simply not used."""
    try:
        return load_certificates([token_path.with_suffix(".pem")])
    except ArchiverError:
        return []


def check_seals(collection: Collection, trust: Trust | None = None
                ) -> tuple[list[SealCheck], list[Finding]]:
    """Check every seal in order, and the chain that links them, against what ``trust``
    holds (default: the trust file); findings not of one seal."""
    trust = trust or Trust.load()
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
            _check_signature(check, path, rel, by_fingerprint, trust.pinned)
            _check_tokens(check, path, trust, checks[-1] if checks else None)
        checks.append(check)
    if not trust.pinned:
        signers = {c.statement.key.fingerprint: c.statement.key.name for c in checks
                   if c.statement is not None}
        findings += [Finding("seal-unpinned", f"seals signed by key {name!r} ({fp}), which "
                             "nothing outside the collection pins (--trust-key, or the trust "
                             "file): anyone could have re-made them under a key of that name",
                             path=f"{KEYS}/{name}.pub") for fp, name in sorted(signers.items())]
    findings += _check_rollback(collection, checks, findings, trust)
    return checks, findings


def _check_rollback(collection: Collection, checks: list[SealCheck], findings: list[Finding],
                    trust: Trust) -> list[Finding]:
    """Seals known from outside (``--expect-seal``, the newest seal a verify of this chain or
    folder saw before) must be in the chain; a chain found whole is remembered."""
    shas = [c.sha256 for c in checks if c.statement is not None]
    out = []
    for expected in trust.expect:
        if expected in shas:
            trust.found[expected] = len(shas) - 1 - shas.index(expected)
        else:
            out.append(Finding("seal-rollback", f"the seal sha256:{expected[:16]}… expected "
                               "(--expect-seal) is not in the chain: seals were removed from "
                               "its end, or this is an older copy", path=SEALS))
    root = str(collection.root.resolve())
    first = shas[0] if shas else None
    for seen in trust.file.chains.values():
        if (seen["first"] == first or seen["root"] == root) and seen["sha256"] not in shas:
            out.append(Finding("seal-rollback", f"the newest seal a verify here saw, "
                               f"{seen['seal']} (sequence {seen['sequence']}, sha256 "
                               f"{seen['sha256'][:16]}…, seen {seen['seen_at']}), is not in "
                               "the chain: seals were removed or re-made, or this is an older "
                               f"copy (the trust file {trust.file.path} remembers it)",
                               path=SEALS))
    errors = [f for c in checks for f in c.findings] + [
        f for f in findings + out if f.severity is Severity.ERROR]
    if first is None or errors or not checks[-1].valid:
        return out
    latest = checks[-1]
    assert latest.statement is not None
    sequence = latest.statement.sequence
    seen = {"first": first, "root": root, "seal": latest.name, "sha256": latest.sha256,
            "sequence": sequence, "seen_at": iso_time(datetime.now(UTC))}

    def remember(file: TrustFile) -> None:  # as the file is now: another run may have written
        known = file.chains.get(root)
        if known is None or known["sequence"] < sequence:
            file.chains[root] = seen

    known = trust.file.chains.get(root)
    if known is None or known["sequence"] < sequence:
        trust.file.update(remember)
    return out


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
