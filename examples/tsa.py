#!/usr/bin/env python3
"""A local RFC 3161 timestamp authority for the quick start and the tests: OpenSSL's own
responder (``openssl ts -reply``) behind a small HTTP handler on 127.0.0.1, with a test CA made
at start. Not for real work: its CA is made here, and its key is on disk unprotected.

    python3 examples/tsa.py --port 8766 --ca-out test-tsa-ca.pem

serves ``http://127.0.0.1:8766/good`` until interrupted, and writes the root to trust
(``archiver seal --tsa-ca test-tsa-ca.pem``) once it is listening. It needs ``openssl`` and
the ``cryptography`` package (installed with archiver); ``/expired`` also needs ``faketime``.

Three TSAs share a chain as a public one does: each TSA certificate is issued by an intermediate
("archiver test TSA CA"), issued by the root ("archiver test CA"); each token embeds the TSA's
certificate, the intermediate and the root, leaf first (not in DER SET OF order), as DigiCert's
and GlobalSign's do. The TSAs: ``/good`` (valid 2020-2040), ``/expired`` (a certificate that
expired in 2025, signing under ``faketime`` at a time it was still valid), and ``/failing``
(answers HTTP 500). ``tests/tsaserver.py`` serves the same TSAs to the tests."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

# the expiring TSA signs at this time (under faketime), then its certificate expires
EXPIRED_SIGNS_AT = "2025-01-01 12:00:00"
_CONFIG = """\
[tsa]
default_tsa = good
{sections}
"""
_SECTION = """\
[{name}]
serial = {dir}/{name}.serial
crypto_device = builtin
signer_cert = {dir}/{name}.pem
signer_key = {dir}/{name}.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
certs = {dir}/embedded.pem
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
          issuer_key: ec.EllipticCurvePrivateKey, not_before: str, not_after: str,
          *, ca: bool = False) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.subject if issuer else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(_when(not_before)).not_valid_after(_when(not_after)))
    if issuer is None or ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                        critical=True)
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                        critical=True)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                    critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


@dataclass
class Tsa:
    """The running TSAs: their URLs, the CA file, and the folder holding the PKI."""

    base: str
    ca: Path
    folder: Path

    def url(self, name: str) -> str:
        """The URL of TSA ``name`` (good, expired, failing)."""
        return f"{self.base}/{name}"


def make_pki(folder: Path, names: tuple[str, str, str] = ("archiver test CA",
                                                         "archiver test TSA CA",
                                                         "archiver test TSA")) -> None:
    """A root, an intermediate and two TSA certificates (good; expired in 2025) with the
    openssl ts config; ``embedded.pem``: the certificates each token carries after its own."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _cert(names[0], root_key, None, root_key, "2020-01-01", "2040-01-01")
    _pem(folder / "ca.pem", root)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(names[1], ca_key, root, root_key, "2020-01-01", "2040-01-01",
               ca=True)
    _pem(folder / "intermediate.pem", ca)
    (folder / "embedded.pem").write_bytes((folder / "intermediate.pem").read_bytes()
                                          + (folder / "ca.pem").read_bytes())
    sections = []
    for name, start, end in (("good", "2020-01-01", "2040-01-01"),
                             ("expired", "2024-01-01", "2025-06-01")):
        key = ec.generate_private_key(ec.SECP256R1())
        _pem(folder / f"{name}.pem", _cert(f"{names[2]} {name}", key, ca, ca_key,
                                           start, end))
        _key(folder / f"{name}.key", key)
        (folder / f"{name}.serial").write_text("01\n")
        sections.append(_SECTION.format(name=name, dir=folder))
    (folder / "tsa.cnf").write_text(_CONFIG.format(sections="\n".join(sections)))


def reply(folder: Path, name: str, query: bytes) -> bytes:
    """Run ``openssl ts -reply`` as TSA ``name`` on ``query`` (DER); return the reply."""
    with tempfile.TemporaryDirectory(dir=folder) as work:
        query_file, reply_file = Path(work) / "q.tsq", Path(work) / "r.tsr"
        query_file.write_bytes(query)
        command = ["openssl", "ts", "-reply", "-config", str(folder / "tsa.cnf"),
                   "-section", name, "-queryfile", str(query_file), "-out", str(reply_file)]
        if name == "expired":
            command = ["faketime", EXPIRED_SIGNS_AT, *command]
        subprocess.run(command, check=True, capture_output=True)
        return reply_file.read_bytes()


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    folder: Path
    lock = threading.Lock()  # one openssl at a time: the serial files are shared

    def do_POST(self) -> None:
        name = self.path.strip("/")
        query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if name not in ("good", "expired") or \
                self.headers.get("Content-Type") != "application/timestamp-query":
            self.send_error(500, "this TSA fails")
            return
        with self.lock:
            body = reply(self.folder, name, query)
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(folder: Path, port: int = 0) -> Iterator[Tsa]:
    """The TSAs of the PKI in ``folder`` (``make_pki``) on 127.0.0.1 while the block runs, on
    ``port`` (0: any free port)."""
    handler = type("Handler", (_Handler,), {"folder": folder})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Tsa(f"http://127.0.0.1:{server.server_address[1]}", folder / "ca.pem", folder)
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    """Make a test PKI, serve its TSAs on 127.0.0.1 until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(
        description="Serve a local RFC 3161 test TSA (openssl ts -reply) on 127.0.0.1.",
        epilog="example: python3 examples/tsa.py --port 8766 --ca-out test-tsa-ca.pem")
    parser.add_argument("--port", type=int, default=8766,
                        help="port on 127.0.0.1 to listen on (default 8766; 0: any free port)")
    parser.add_argument("--ca-out", type=Path, metavar="PEM", required=True,
                        help="where to write the test root CA, once the TSA listens")
    args = parser.parse_args(argv)
    if shutil.which("openssl") is None:
        print("tsa.py: openssl is not installed (apt-get install openssl)", file=sys.stderr)
        return 2
    if not args.ca_out.parent.is_dir():
        print(f"tsa.py: {args.ca_out.parent} is not a folder (--ca-out)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="archiver-tsa-") as work:
        folder = Path(work)
        make_pki(folder)
        try:
            with serving(folder, args.port) as running:
                partial = args.ca_out.with_name(args.ca_out.name + ".part")
                shutil.copyfile(running.ca, partial)
                os.replace(partial, args.ca_out)
                print(f"tsa.py: serving {running.url('good')} (root CA in {args.ca_out}); "
                      "Ctrl-C stops it", file=sys.stderr)
                threading.Event().wait()
        except OSError as error:
            print(f"tsa.py: cannot serve on 127.0.0.1:{args.port}: {error.strerror or error}",
                  file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
