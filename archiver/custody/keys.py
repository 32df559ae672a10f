"""Ed25519 signing keys: the private key outside the collection, the public key in ``keys/``."""

from __future__ import annotations

import os
import re
import stat
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


PRIVATE_KEY = ("a private key inside the collection: move it out; anyone given the "
               "collection could sign seals with it")


def collection_keys(collection: Collection) -> tuple[list[PublicKey], list[tuple[str, str]]]:
    """The keys in ``keys/`` and, apart, (path, reason) for each file that is no key, and for
    each file at any depth of ``keys/`` that holds a private key (``private_keys``)."""
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
    return keys, bad + private_keys(collection)


def refuse_private_keys(collection: Collection, consequence: str) -> None:
    """Raise ArchiverError naming a file of ``keys/`` that holds a private key, or that
    cannot be read to know: a seal must not vouch for it, nor an export carry it."""
    for path, reason in private_keys(collection):
        raise ArchiverError(path, f"{reason}; {consequence}")


def private_keys(collection: Collection) -> list[tuple[str, str]]:
    """(path, reason) of each file anywhere under ``keys/`` (any depth, read whole) that
    holds a private key: PEM (PKCS#1, PKCS#8, encrypted, EC, OpenSSH, PGP), also after a
    public key in a ``.pub``; DER; PuTTY; or an Ed25519 PKCS#8 key in DER or base64 without
    its armour. A folder or file that cannot be read is reported too: not checked is not
    clean."""
    found: list[tuple[str, str]] = []
    folder = collection.root / KEYS

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename or folder).relative_to(collection.root).as_posix()
        if where != KEYS:  # keys/ itself: collection_keys says so
            found.append((where, f"cannot be read to look for private keys: {exc.strerror}"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(collection.root).as_posix()
            try:
                if _private(path):
                    found.append((rel, PRIVATE_KEY))
            except OSError as exc:
                found.append((rel, f"cannot be read to look for private keys: {exc.strerror}"))
    return found


# Markers of a private key anywhere in a file: PEM armour ("-----BEGIN [RSA |EC |ENCRYPTED |
# OPENSSH ]PRIVATE KEY-----", "PGP PRIVATE KEY BLOCK"), PuTTY's header, OpenSSH's binary
# magic, and the first 16 bytes of an Ed25519 PKCS#8 key (the kind archiver makes), in DER
# and in base64 (its encoding, with no armour, begins "MC4CAQAwBQYDK2VwBCIEI").
_MARKERS = (b"PRIVATE KEY-----", b"PRIVATE KEY BLOCK-----", b"PuTTY-User-Key-File-",
            b"openssh-key-v1\x00", b"0\x2e\x02\x01\x000\x05\x06\x03\x2bep\x04\x22\x04 ",
            b"MC4CAQAwBQYDK2VwBCIEI")
_OVERLAP = max(len(m) for m in _MARKERS) - 1
_BLOCK = 1 << 20
_DER_LIMIT = 64 << 10  # a DER private key is a few KB (RSA 8192: under 5 KB)


def _private(path: Path) -> bool:
    """Whether the regular file at ``path`` holds a private key, read whole in blocks;
    OSError if it cannot be read. Not a regular file (a FIFO, a device): no key to read."""
    if not stat.S_ISREG(path.stat().st_mode):
        return False
    tail = b""
    head = b""
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            window = tail + block
            if any(marker in window for marker in _MARKERS):
                return True
            if len(head) < _DER_LIMIT:
                head += block[:_DER_LIMIT + 1 - len(head)]
            tail = window[-_OVERLAP:]
    return len(head) <= _DER_LIMIT and (_der_private(head) or _der_private(_after_pem(head)))


def _after_pem(data: bytes) -> bytes:
    """What follows the last PEM block of ``data`` (a DER key appended to a public key)."""
    end = data.rfind(b"-----END ")
    if end < 0:
        return b""
    close = data.find(b"-----", end + len(b"-----END "))
    return data[close + 5:].lstrip(b"\r\n") if close >= 0 else b""


def _der_private(data: bytes) -> bool:
    """Whether ``data`` is a DER private key (PKCS#1, PKCS#8, SEC 1; encrypted or of an
    algorithm cryptography does not support, too)."""
    if not data.startswith(b"0"):  # a DER SEQUENCE
        return False
    try:
        serialization.load_der_private_key(data, None)
    except TypeError:  # encrypted: a passphrase would open it
        return True
    except UnsupportedAlgorithm:  # a private key of another algorithm
        return True
    except ValueError:
        return False
    return True


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
