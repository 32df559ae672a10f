"""The browser capture's test site: Debian's nginx serving tests/data/browsersite over HTTP and
over HTTPS with HTTP/2, on a self-signed certificate made by OpenSSL for 127.0.0.1.

The browser is told to trust that certificate alone, by its public key's SPKI hash
(``capture --trust-spki``), for the tests that ask: nothing turns certificate checks off.
Besides the files: /old.html answers 301 to /index.html, /slow/ trickles a byte a second
(a page that never finishes loading), /download/ serves the files as attachments, and the
web font is a real TrueType font of the system.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from servers import _await_port, _free_port

SITE = Path(__file__).parent / "data" / "browsersite"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


@dataclass(frozen=True)
class BrowserSite:
    """The site's two origins and the SPKI hash of the HTTPS origin's certificate."""

    http: str
    https: str
    spki: str
    root: Path


def _config(root: Path, docroot: Path, port: int, tls_port: int) -> str:
    temp = {name: root / name for name in ("client", "proxy", "fastcgi", "uwsgi", "scgi")}
    user = "user root;" if _root() else ""
    return f"""
{user}
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    types {{ application/javascript js; }}
    access_log {root}/access.log;
    client_body_temp_path {temp['client']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    gzip on; gzip_min_length 1;
    gzip_types text/css application/json application/javascript text/plain;
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl http2;
        ssl_certificate {root}/cert.pem;
        ssl_certificate_key {root}/key.pem;
        root {docroot};
        location = /old.html {{ return 301 /index.html; }}
        location /slow/ {{ limit_rate 1; }}
        location /download/ {{ alias {docroot}/;
            add_header Content-Disposition "attachment; filename=river.png"; }}
    }}
}}
"""


def _root() -> bool:
    return os.geteuid() == 0


def _certificate(root: Path) -> str:
    """A self-signed certificate for 127.0.0.1 made by OpenSSL; return its SPKI hash."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    cert = x509.load_pem_x509_certificate((root / "cert.pem").read_bytes())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="session")
def browser_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserSite]:
    """nginx serving the browser test site on HTTP and HTTPS (HTTP/2)."""
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if binary is None or not FONT.is_file():
        missing = "nginx" if binary is None else str(FONT)
        if os.environ.get("CI"):
            pytest.fail(f"{missing} is not installed (apt-get install nginx fonts-dejavu-core);"
                        " CI must run the browser capture tests")
        pytest.skip(f"{missing} is not installed")
    root = tmp_path_factory.mktemp("browsersite")
    docroot = root / "html"
    shutil.copytree(SITE, docroot)
    (docroot / "fonts").mkdir()
    shutil.copyfile(FONT, docroot / "fonts" / "story.ttf")
    (docroot / "slow").mkdir()
    shutil.copyfile(SITE / "river.png", docroot / "slow" / "forever.png")
    spki = _certificate(root)
    port, tls_port = _free_port(), _free_port()
    config = root / "nginx.conf"
    config.write_text(_config(root, docroot, port, tls_port))
    process = subprocess.Popen([binary, "-p", str(root), "-c", str(config), "-e",
                                str(root / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _await_port(process, port, "nginx")
        _await_port(process, tls_port, "nginx")
        yield BrowserSite(f"http://127.0.0.1:{port}", f"https://127.0.0.1:{tls_port}", spki,
                          docroot)
    finally:
        process.terminate()
        process.wait(timeout=30)
