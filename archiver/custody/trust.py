"""What the verifier trusts, held outside every collection it judges: the signing keys it pins,
the TSA roots it accepts, and the newest seal it saw of each chain (to notice a rollback).

The trust file is ``$XDG_CONFIG_HOME/archiver/trust.json`` (default ``~/.config``): ``key new``
pins the user's own key there, ``seal`` adds the roots its tokens chain to, ``verify`` records
the newest seal of a chain it found valid. Nothing is ever read from the collection as trusted."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.errors import ArchiverError
from archiver.fileio import atomic_write_bytes

if TYPE_CHECKING:
    from cryptography import x509

TRUST_FILE = "trust.json"
FORMAT = "archiver-trust/1"
_LOCK_SECONDS = 30.0  # the longest wait for another run's update of the trust file


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/archiver`` (default ``~/.config/archiver``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "archiver"


@dataclass
class TrustFile:
    """The trust file's content: pinned keys (fingerprint -> name), TSA roots (PEM text by
    sha256 fingerprint), and per collection folder the newest seal a verify found valid there
    (with the sha256 of its chain's first seal, to know the chain in a copy elsewhere)."""

    path: Path
    keys: dict[str, str] = field(default_factory=dict)
    tsa_roots: dict[str, str] = field(default_factory=dict)
    chains: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> TrustFile:
        """Read the trust file (none yet: an empty one); ArchiverError if it is unreadable."""
        path = path or config_dir() / TRUST_FILE
        try:
            raw = json.loads(path.read_bytes())
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise ArchiverError(path, f"not a readable trust file ({exc}); fix or move "
                                      "it") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ArchiverError(path, f"not a trust file (format {FORMAT} expected)")
        try:
            return cls(path, {k["fingerprint"]: k["name"] for k in raw.get("keys", [])},
                       {r["sha256"]: r["pem"] for r in raw.get("tsa_roots", [])},
                       {c["root"]: c for c in raw.get("chains", [])})
        except (KeyError, TypeError) as exc:
            raise ArchiverError(path, f"not a trust file (an entry lacks {exc})") from None

    def update(self, change: Callable[[TrustFile], object]) -> None:
        """Make ``change`` to the trust file as it is on disk now, under its lock, write it,
        and hold the result: runs at once (a verify remembering a seal, ``key new`` pinning a
        key, ``seal`` adding roots) never write over each other's changes."""
        from filelock import FileLock, Timeout

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with FileLock(f"{self.path}.lock", timeout=_LOCK_SECONDS):
                current = TrustFile.load(self.path)
                change(current)
                current.save()
        except Timeout:
            raise ArchiverError(self.path, f"another archiver has held the trust file's lock "
                                           f"for {_LOCK_SECONDS:g} s; nothing changed") from None
        except OSError as exc:
            raise ArchiverError(self.path, f"cannot lock the trust file: {exc.strerror}"
                                ) from None
        self.keys, self.tsa_roots, self.chains = current.keys, current.tsa_roots, current.chains

    def save(self) -> None:
        """Write it atomically (a crash leaves the old one whole); ``update`` is the way to
        change the file another run may be changing too."""
        data = {"format": FORMAT,
                "keys": [{"name": n, "fingerprint": f} for f, n in sorted(self.keys.items())],
                "tsa_roots": [{"sha256": f, "pem": p} for f, p in sorted(self.tsa_roots.items())],
                "chains": [self.chains[k] for k in sorted(self.chains)]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write_bytes(self.path, json.dumps(data, indent=1).encode() + b"\n")
        except OSError as exc:
            raise ArchiverError(self.path, f"cannot write the trust file: {exc.strerror}"
                                ) from None

    def roots(self) -> list[x509.Certificate]:
        """The TSA roots it holds."""
        from cryptography import x509

        try:
            return [x509.load_pem_x509_certificate(p.encode()) for p in self.tsa_roots.values()]
        except ValueError as exc:
            raise ArchiverError(self.path, f"a TSA root cannot be read ({exc})") from None

    def add_roots(self, certs: list[x509.Certificate]) -> None:
        """Trust these TSA roots from now on (``seal`` adds the roots its tokens chain to)."""
        from cryptography.hazmat.primitives import serialization

        from archiver.custody.timestamp import cert_fingerprint

        for cert in certs:
            self.tsa_roots[cert_fingerprint(cert)] = cert.public_bytes(
                serialization.Encoding.PEM).decode()


@dataclass
class Trust:
    """What one ``verify`` run trusts: pinned key fingerprints (the trust file's and
    ``--trust-key``), TSA roots (the trust file's, and ``--tsa-ca`` or else the certifi
    bundle), seals expected in the chain (``--expect-seal``), and the trust file itself."""

    file: TrustFile
    extra_keys: list[str] = field(default_factory=list)
    ca_files: list[Path] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)
    found: dict[str, int] = field(default_factory=dict)  # expected seal -> seals after it
    # roots a caller holds besides (``seal``'s own --tsa-ca, when it checks the chain it extends)
    extra_roots: list[x509.Certificate] = field(default_factory=list)
    _roots: list[x509.Certificate] | None = None

    @classmethod
    def load(cls, *, trust_keys: list[str] = (), tsa_ca: list[Path] = (),  # type: ignore[assignment]
             expect: list[str] = ()) -> Trust:  # type: ignore[assignment]
        """The trust file and this run's options; ArchiverError for a malformed option."""
        for fp in trust_keys:
            if not (fp.startswith("sha256:") and len(fp) == 71):
                raise ArchiverError(fp, "not a key fingerprint (sha256:<64 hex digits>, as "
                                        "'archiver key list' prints)")
        seals = []
        for digest in expect:
            hexdigest = digest.removeprefix("sha256:").lower()
            if len(hexdigest) != 64 or set(hexdigest) - set("0123456789abcdef"):
                raise ArchiverError(digest, "not the sha256 of a seal (64 hex digits, as "
                                            "'archiver seal' prints)")
            seals.append(hexdigest)
        return cls(TrustFile.load(), list(trust_keys), list(tsa_ca), seals)

    @property
    def pinned(self) -> set[str]:
        """Every pinned key fingerprint."""
        return set(self.file.keys) | set(self.extra_keys)

    def tsa_roots(self) -> list[x509.Certificate]:
        """The trusted TSA roots (read once, when a token is checked)."""
        if self._roots is None:
            from archiver.custody.timestamp import default_roots, load_certificates

            given = load_certificates(self.ca_files) if self.ca_files else default_roots()
            self._roots = self.file.roots() + given + self.extra_roots
        return self._roots
