"""Ed25519 signing keys: the private key outside the collection, the public key in ``keys/``."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from archiver.collection import KEYS, Collection
from archiver.custody.trust import config_dir
from archiver.errors import ArchiverError
from archiver.fileio import atomic_write_bytes, sha256_bytes

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)
_RAW = serialization.PublicFormat.Raw


@dataclass(frozen=True)
class PublicKey:
    """A key the collection knows: its name, file and the key itself."""

    name: str
    path: str
    key: Ed25519PublicKey

    @property
    def fingerprint(self) -> str:
        """``sha256:<hex>`` of the raw 32-byte public key."""
        return fingerprint(self.key)


def fingerprint(key: Ed25519PublicKey) -> str:
    """``sha256:<hex>`` of the raw 32-byte Ed25519 public key (``openssl pkey -pubin
    -outform DER`` ends with these 32 bytes)."""
    return "sha256:" + sha256_bytes(key.public_bytes(serialization.Encoding.Raw, _RAW))


def check_name(name: str) -> str:
    """Refuse a key name that is not a plain file name."""
    if not _NAME.match(name):
        raise ArchiverError(name, f"not a valid key name (must match {NAME_PATTERN})")
    return name


def default_key_file(name: str) -> Path:
    """``$XDG_CONFIG_HOME/archiver/keys/NAME.key`` (default ``~/.config/...``)."""
    return config_dir() / "keys" / f"{check_name(name)}.key"


def public_key_text(name: str, key: Ed25519PublicKey) -> bytes:
    """``keys/NAME.pub``: two comment lines (name, fingerprint), then the PEM public key;
    OpenSSL and cryptography both skip the text before ``-----BEGIN``."""
    pem = key.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"# archiver key {name}\n# fingerprint {fingerprint(key)}\n".encode() + pem


def new_key(collection: Collection, name: str, key_file: Path, passphrase: bytes | None
            ) -> PublicKey:
    """Make an Ed25519 key pair: the private key at ``key_file`` (mode 0600, encrypted when
    ``passphrase`` is given), the public key in ``keys/NAME.pub``; never replaces either."""
    check_name(name)
    pub_path = collection.root / KEYS / f"{name}.pub"
    if pub_path.exists():
        raise ArchiverError(pub_path, "a key of this name exists; choose another name")
    if key_file.exists():
        raise ArchiverError(key_file, f"a private key exists here, never replaced: to use it "
                                      f"in this collection too, 'archiver seal --key {name}"
                                      + (f" --key-file {key_file}" if key_file
                                         != default_key_file(name) else "")
                            + f"' adds keys/{name}.pub; or choose another name")
    if collection.root.resolve() in key_file.resolve().parents:
        raise ArchiverError(key_file, "inside the collection: keep the private key out of it "
                                      "(anyone given the collection could sign seals with it)")
    private = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase
        else serialization.NoEncryption())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                encryption)
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL with 0600 from the start: the key is never readable by others, even briefly
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise ArchiverError(key_file, f"cannot write the private key: {exc.strerror}") from None
    try:
        atomic_write_bytes(pub_path, public_key_text(name, private.public_key()),
                           overwrite=False)
    except FileExistsError:
        key_file.unlink()
        raise ArchiverError(pub_path, "a key of this name exists; choose another name") from None
    return PublicKey(name, f"{KEYS}/{name}.pub", private.public_key())


def add_public_key(collection: Collection, name: str, private: Ed25519PrivateKey) -> PublicKey:
    """Put the public half of a key made for another collection into ``keys/NAME.pub`` (the
    next seal records it); refuse a name this collection gives another key."""
    check_name(name)
    pub_path = collection.root / KEYS / f"{name}.pub"
    try:
        atomic_write_bytes(pub_path, public_key_text(name, private.public_key()),
                           overwrite=False)
    except FileExistsError:
        raise ArchiverError(pub_path, "a key of this name exists and is another key; choose "
                                      "another name") from None
    return PublicKey(name, f"{KEYS}/{name}.pub", private.public_key())


def load_public_key(path: Path, name: str) -> PublicKey:
    """Read ``keys/NAME.pub``; raise ArchiverError if it is not an Ed25519 public key."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, UnsupportedAlgorithm) as exc:
        raise ArchiverError(path, f"not a readable public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ArchiverError(path, "not an Ed25519 public key")
    return PublicKey(name, f"{KEYS}/{name}.pub", key)


def collection_keys(collection: Collection) -> tuple[list[PublicKey], list[tuple[str, str]]]:
    """The keys in ``keys/`` and, apart, (path, reason) for each file that is no key."""
    keys, bad = [], []
    folder = collection.root / KEYS
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError as exc:
        return [], [(KEYS, f"cannot be read: {exc.strerror}")]
    for path in entries:
        if path.name.endswith(".pub"):
            try:
                keys.append(load_public_key(path, path.name[:-len(".pub")]))
            except ArchiverError as exc:
                bad.append((f"{KEYS}/{path.name}", exc.reason))
        elif _private(path):  # the signer's secret, which goes wherever the folder is copied
            bad.append((f"{KEYS}/{path.name}", "a private key inside the collection: move it "
                                              "out; anyone given the collection could sign "
                                              "seals with it"))
    return keys, bad


def _private(path: Path) -> bool:
    """Whether the file at ``path`` holds a PEM private key (PKCS#8, OpenSSH, encrypted too)."""
    try:
        with path.open("rb") as stream:
            return b"PRIVATE KEY-----" in stream.read(4096)
    except OSError:  # a folder, or unreadable: no key that can be read
        return False


def load_private_key(key_file: Path, passphrase: bytes | None) -> Ed25519PrivateKey:
    """Read a private key; one-line errors for a missing file, a wrong or missing passphrase."""
    try:
        data = key_file.read_bytes()
    except OSError as exc:
        raise ArchiverError(key_file, f"cannot read the private key: {exc.strerror}") from None
    try:
        try:
            key = serialization.load_pem_private_key(data, None)
        except TypeError:  # encrypted: it needs the passphrase
            if not passphrase:
                raise ArchiverError(key_file, "the key is protected by a passphrase: give "
                                              "--passphrase-file or set ARCHIVER_PASSPHRASE"
                                    ) from None
            key = serialization.load_pem_private_key(data, passphrase)
    except (ValueError, UnsupportedAlgorithm):
        raise ArchiverError(key_file, "cannot read the private key (wrong passphrase, or not "
                                      "a PEM private key)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ArchiverError(key_file, "not an Ed25519 private key")
    return key
