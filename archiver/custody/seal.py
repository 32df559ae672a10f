"""Seals: a signed, timestamped statement of every manifest and file, chained to the previous
seal; each seal is a new folder under ``seals/`` that nothing ever rewrites."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from archiver import __version__
from archiver.collection import KEYS, SEALS, Collection, UnsafePathError
from archiver.custody.keys import PublicKey, fingerprint, refuse_private_keys
from archiver.custody.timestamp import TimestampError, Token, request_token
from archiver.errors import EXIT_FINDINGS, ArchiverError
from archiver.fileio import TEMP_PREFIX, sha256_bytes, sha256_file
from archiver.findings import Finding, Severity
from archiver.history import acceptances_sha256, history_head
from archiver.manifest import ManifestError, RelPath, Sha256, load_manifest
from archiver.state import canonical_json as canonical  # chain.py checks seal.json by it
from archiver.state import state_sha256

# /2 binds the tokens: a seal of /2 must hold tokens.json and its signature (/1 seals, made
# before, are read as they were)
FORMAT = "archiver-seal/2"
FORMATS = ("archiver-seal/1", FORMAT)
TOKENS_FORMAT = "archiver-seal-tokens/1"
STATEMENT = "seal.json"
SIGNATURE = "seal.sig"
TOKENS = "tokens.json"
TOKENS_SIGNATURE = "tokens.sig"
NAME = re.compile(r"^(\d{6})-(\d{8}T\d{6}Z)$")
TOKEN = re.compile(r"^tsa-(\d+)\.tsr$")
# how far a token's genTime may fall before the seal's own clock (sealed_at), or before the
# previous seal's first token, and still be taken as this seal's: clocks disagree by minutes
CLOCK_SKEW = timedelta(minutes=10)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fixity(_Model):
    """A file's path, sha256 and size as sealed."""

    path: RelPath
    sha256: Sha256
    size: int = Field(ge=0)


class Recorded(_Model):
    """How many entries the manifest's history, captures and acceptances held when sealed:
    what comes after them is what the manifest records since the seal; and the sha256 of its
    last history entry, of its state (``archiver.state``) and of its acceptances (None in
    seals made before they were recorded), so that a sealed entry, claim, capture or
    acceptance changed by hand shows, whatever was appended since."""

    history: int = Field(ge=0)
    captures: int = Field(ge=0)
    accepted: int = Field(ge=0)
    history_head: Sha256 | None = None
    state: Sha256 | None = None
    accepted_sha256: Sha256 | None = None


class SealedSource(_Model):
    """One source as sealed: its manifest, every file it names, and how much it recorded."""

    id: str
    manifest: Fixity
    files: list[Fixity]
    recorded: Recorded


class Signer(_Model):
    """Who vouched: the key's name in ``keys/`` and its fingerprint."""

    name: str
    fingerprint: str


class Link(_Model):
    """The seal before this one: its folder name and the sha256 of its ``seal.json``."""

    seal: str
    sha256: Sha256


class Statement(_Model):
    """What a seal says; its canonical bytes are ``seal.json``, the signed and timestamped part."""

    format: str
    sequence: int = Field(ge=1)
    sealed_at: AwareDatetime
    archiver_version: str
    key: Signer
    previous: Link | None
    message: str | None
    keys: list[Fixity]
    sources: list[SealedSource]


def statement_bytes(statement: Statement) -> bytes:
    """The canonical bytes of a statement (what the key signs and the TSAs timestamp)."""
    return canonical(statement.model_dump(mode="json"))


def seal_name(sequence: int, at: datetime) -> str:
    """``NNNNNN-YYYYMMDDThhmmssZ``: sorted by name is sorted by sequence."""
    return f"{sequence:06d}-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def seal_dirs(collection: Collection) -> list[Path]:
    """Every folder under ``seals/`` named as a seal, in order."""
    folder = collection.root / SEALS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and NAME.match(p.name))


def _fixity(collection: Collection, relpath: str, expected: tuple[str, int] | None = None
            ) -> Fixity:
    try:
        path = collection.resolve(relpath)
        sha256, size = sha256_file(path)
    except UnsafePathError as exc:
        raise ArchiverError(relpath, f"{exc.reason}; nothing was sealed") from None
    except OSError as exc:
        raise ArchiverError(relpath, f"cannot read ({exc.strerror}); restore it before "
                                     "sealing; nothing was sealed") from None
    if expected is not None and (sha256, size) != expected:
        raise ArchiverError(relpath, "differs from its manifest (run 'archiver verify'); a seal "
                                     "never vouches for damage; nothing was sealed")
    return Fixity(path=relpath, sha256=sha256, size=size)


def current_state(collection: Collection) -> tuple[list[Fixity], list[SealedSource]]:
    """The keys and sources as they are on disk; refuse a collection that fails fixity or
    holds a private key in ``keys/``."""
    refuse_private_keys(collection, "nothing was sealed")
    sources = []
    for source_id in collection.ids():
        manifest_rel = f"manifests/{source_id}.json"
        try:
            manifest = load_manifest(collection.manifest_path(source_id))
        except ManifestError as exc:
            raise ArchiverError(manifest_rel, f"{exc.reason}; nothing was sealed") from None
        files = [_fixity(collection, e.path, (e.sha256, e.size)) for e in manifest.files]
        recorded = Recorded(history=len(manifest.history), captures=len(manifest.captures),
                            accepted=len(manifest.accepted),
                            history_head=history_head(manifest, len(manifest.history)),
                            state=state_sha256(manifest.state()),
                            accepted_sha256=acceptances_sha256(manifest, len(manifest.accepted)))
        sources.append(SealedSource(id=source_id, manifest=_fixity(collection, manifest_rel),
                                    files=files, recorded=recorded))
    folder = collection.root / KEYS
    keys = [_fixity(collection, f"{KEYS}/{p.name}") for p in sorted(folder.glob("*.pub"))]
    return keys, sources


class TokenEntry(_Model):
    """One token as bound to its seal: its file and the sha256 of its bytes."""

    file: str
    sha256: Sha256


class TokenList(_Model):
    """``tokens.json``: the seal's tokens, signed apart (the statement is what the tokens
    stamp, so it cannot name them): a token removed, added or swapped no longer matches it."""

    format: str
    seal: str
    statement_sha256: Sha256
    tokens: list[TokenEntry]


def integrity_errors(collection: Collection, roots: list[Any] | None = None) -> list[Finding]:
    """The open integrity errors ``verify`` reports (fixity, WARC damage, a broken or rewritten
    history, a change nothing accounts for, a custody error), the seals checked against the
    trust file and ``roots`` (the TSA roots the caller trusts): a seal never signs over them.
    Findings on the content, such as a misquote in a received text, are evidence: not these."""
    from archiver.custody.trust import Trust
    from archiver.sources import is_integrity
    from archiver.verify import verify

    trust = Trust.load()
    trust.extra_roots = list(roots or [])
    return [f for f in verify(collection, content=False, trust=trust).all_findings()
            if f.counts and f.severity is Severity.ERROR and is_integrity(f.code)]


class SealRefusedError(ArchiverError):
    """``verify`` reports an integrity error: nothing was sealed; exit 1, as for findings."""

    exit_code = EXIT_FINDINGS


@dataclass
class SealResult:
    """A seal written: its folder, its statement and that statement's sha256 (the line to
    publish elsewhere), its tokens and the TSAs that failed."""

    path: Path
    statement: Statement
    sha256: str
    tokens: list[tuple[str, Token]]
    failures: list[TimestampError]


def _previous(collection: Collection) -> tuple[int, Link | None]:
    dirs = seal_dirs(collection)
    if not dirs:
        return 1, None
    last = dirs[-1]
    try:
        data = (last / STATEMENT).read_bytes()
        sequence = Statement.model_validate_json(data).sequence
    except (OSError, ValueError) as exc:
        raise ArchiverError(last / STATEMENT, f"the latest seal cannot be read ({exc}); "
                                              "run 'archiver verify'; nothing was sealed"
                            ) from None
    return sequence + 1, Link(seal=last.name, sha256=sha256_bytes(data))


def make_seal(collection: Collection, key: PublicKey, private: Ed25519PrivateKey, *,
              tsas: list[str], roots: list[Any], message: str | None = None,
              timeout: float = 30.0, now: datetime | None = None) -> SealResult:
    """Seal the collection's current state with ``private`` (the holder of ``key``) and a
    token from each TSA that answers; write nothing unless one did (or ``tsas`` is empty,
    which the caller allows only with --no-timestamp). Call under the write lock."""
    if fingerprint(private.public_key()) != key.fingerprint:
        raise ArchiverError(key.path, "the private key is not this key's; give the right "
                                      "--key-file")
    _remove_leftovers(collection)
    if errors := integrity_errors(collection, roots):
        first = errors[0]
        more = f" (and {len(errors) - 1} more integrity error(s))" if len(errors) > 1 else ""
        raise SealRefusedError(first.path or collection.root,
                            f"{first.code}: {first.message}{more}; 'archiver verify' reports "
                            "it: a seal never signs over damage or tampering; nothing was "
                            "sealed")
    sequence, previous = _previous(collection)
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    keys, sources = current_state(collection)
    statement = Statement(format=FORMAT, sequence=sequence, sealed_at=at,
                          archiver_version=__version__,
                          key=Signer(name=key.name, fingerprint=key.fingerprint),
                          previous=previous, message=message, keys=keys, sources=sources)
    data = statement_bytes(statement)
    tokens, failures = [], []
    for url in tsas:
        try:
            token = request_token(url, data, roots, timeout=timeout)
        except TimestampError as exc:
            failures.append(exc)
            continue
        if token.gen_time < at - CLOCK_SKEW:  # verify would refuse it: a clock far behind
            failures.append(TimestampError(url, f"its genTime {token.gen_time.isoformat()} is "
                                                f"before this seal's time {at.isoformat()} by "
                                                f"more than {CLOCK_SKEW}; fix the clock"))
        else:
            tokens.append((url, token))
    if tsas and not tokens:
        raise ArchiverError(collection.root, "no TSA gave a token that verifies ("
                            + "; ".join(str(f) for f in failures) + "); nothing was sealed")
    name = seal_name(sequence, at)
    files = {STATEMENT: data, SIGNATURE: private.sign(data)}
    for number, (_, token) in enumerate(tokens, 1):
        files[f"tsa-{number}.tsr"] = token.reply
        files[f"tsa-{number}.pem"] = token.chain_pem()
    listing = TokenList(format=TOKENS_FORMAT, seal=name, statement_sha256=sha256_bytes(data),
                        tokens=[TokenEntry(file=f, sha256=sha256_bytes(b))
                                for f, b in files.items() if TOKEN.match(f)])
    files[TOKENS] = canonical(listing.model_dump(mode="json"))
    files[TOKENS_SIGNATURE] = private.sign(files[TOKENS])
    path = _write(collection, name, files)
    return SealResult(path, statement, sha256_bytes(data), tokens, failures)


def _remove_leftovers(collection: Collection) -> None:
    """Seal folders a killed run left half-written (never renamed into place)."""
    folder = collection.root / SEALS
    for temp in folder.glob(f"{TEMP_PREFIX}*") if folder.is_dir() else ():
        shutil.rmtree(temp, ignore_errors=True)


def _write(collection: Collection, name: str, files: dict[str, bytes]) -> Path:
    """Write every file of a seal into a temp folder, then rename it into place: a seal
    appears whole or not at all, and a rename never replaces a folder that holds files."""
    folder = collection.root / SEALS
    target = folder / name
    if target.exists():
        raise ArchiverError(target, "a seal of this name exists; it is never rewritten")
    temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
    try:
        temp.mkdir(parents=True)
        for filename, data in files.items():
            fd = os.open(temp / filename, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.rename(temp, target)
        for directory in (target, folder):
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise ArchiverError(target, f"cannot write the seal: {exc.strerror}") from None
    return target
