"""Servers nobody here wrote, or that answer as no well-behaved server would, on 127.0.0.1.

- ``stdlib_site``: the stdlib's own file server (SimpleHTTPRequestHandler, HTTP/1.0: it closes
  the connection after every response) serving real article pages;
- ``raw_server``: a raw-socket server that writes whatever bytes a test gives it (framings
  without length, trailers, trickles, endless bodies, garbage, huge headers);
- ``nginx``: Debian's nginx with its brotli module, on a config written in the test tmpdir;
- ``wayback``: pywb replaying WARCs, the web archive a Memento capture asks.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "pages"
# Six real pages of different sizes and sites, the number the bug report fetched.
PAGES = ("aljazeera.com-7916ecca.html", "gregoryszorc.com-750955e5.html",
         "polygraph.info-1ee91d1f.html", "sciencealert.com-359fee22.html",
         "cnn.com-ef4e67b6.html", "theguardian.com-5fa3154e.html")
NGINX_MODULE_DIRS = (Path("/usr/lib/nginx/modules"), Path("/usr/share/nginx/modules"))


def page_dir(root: Path) -> Path:
    """A folder holding copies of PAGES (served by the stdlib server and nginx)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in PAGES:
        shutil.copyfile(REAL_PAGES / name, root / name)
    return root


class _FileHandler(SimpleHTTPRequestHandler):
    # SimpleHTTPRequestHandler speaks HTTP/1.0 already; said here because it is the point.
    protocol_version = "HTTP/1.0"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@dataclass(frozen=True)
class FileSite:
    """A server of the files in ``root``."""

    base: str
    root: Path


@pytest.fixture(scope="session")
def stdlib_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileSite]:
    """The stdlib's HTTP/1.0 file server serving real pages, in a thread."""
    root = page_dir(tmp_path_factory.mktemp("stdlib-pages"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_FileHandler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FileSite(f"http://127.0.0.1:{server.server_address[1]}", root)
    server.shutdown()
    server.server_close()


# An answer: bytes to write and close, or a function that writes to the socket itself and
# returns whether the connection stays open for another request.
Answer = bytes | Callable[[socket.socket], bool]


@dataclass
class RawServer:
    """Answers each path with exactly the bytes (or the writer) a test gave it."""

    base: str
    answers: dict[str, Answer] = field(default_factory=dict)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, answer: Answer) -> str:
        """Answer ``path`` with ``answer``; return its URL."""
        self.answers[path] = answer
        return self.base + path

    def serve(self, conn: socket.socket) -> None:
        with self.lock:
            self.connections += 1
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                answer = self.answers.get(path, b"HTTP/1.1 404 Not Found\r\n\r\n")
                try:
                    if isinstance(answer, bytes):
                        conn.sendall(answer)
                        return
                    if not answer(conn):
                        return
                except OSError:  # the client hung up on purpose (a limit was reached)
                    return


@pytest.fixture(scope="session")
def raw_server() -> Iterator[RawServer]:
    """A raw-socket server on 127.0.0.1, a thread per connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = RawServer(f"http://127.0.0.1:{listener.getsockname()[1]}")

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=server.serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield server
    listener.close()


def _nginx_config(root: Path, docroot: Path, port: int, module: Path) -> str:
    temp = {name: root / name for name in ("client", "proxy", "fastcgi", "uwsgi", "scgi")}
    types = "text/plain text/css application/json application/javascript"
    # run as root when the tests do: workers as nobody could not read the tmpdir
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
load_module {module};
{user}
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {temp['client']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    gzip on; gzip_min_length 1; gzip_http_version 1.0; gzip_types {types};
    brotli on; brotli_min_length 1; brotli_types {types};
    server {{
        listen 127.0.0.1:{port};
        root {docroot};
        location /close/ {{ alias {docroot}/; keepalive_timeout 0; }}
        location /plain/ {{ alias {docroot}/; gzip off; brotli off; }}
        location /gzip/ {{ alias {docroot}/; brotli off; }}
    }}
}}
"""


@dataclass(frozen=True)
class Nginx:
    """A running nginx serving ``root`` with gzip and brotli; /close/ closes after each
    response, /gzip/ serves gzip only, /plain/ the files unencoded."""

    base: str
    port: int
    root: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    """Debian's nginx with its brotli filter module on a free loopback port; skips only when
    nginx is absent outside CI (under CI it must be installed: .ci/run installs it)."""
    # /usr/sbin is not on every user's PATH
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    module = next((d / "ngx_http_brotli_filter_module.so" for d in NGINX_MODULE_DIRS
                   if (d / "ngx_http_brotli_filter_module.so").is_file()), None)
    if binary is None or module is None:
        missing = "nginx" if binary is None else "nginx's brotli module"
        if os.environ.get("CI"):
            pytest.fail(f"{missing} is not installed (apt-get install nginx "
                        f"libnginx-mod-http-brotli-filter); CI must run the nginx tests")
        pytest.skip(f"{missing} is not installed")
    root = tmp_path_factory.mktemp("nginx")
    docroot = page_dir(root / "html")
    port = _free_port()
    config = root / "nginx.conf"
    config.write_text(_nginx_config(root, docroot, port, module))
    process = subprocess.Popen([binary, "-p", str(root), "-c", str(config), "-e",
                                str(root / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _await_port(process, port, "nginx")
        yield Nginx(f"http://127.0.0.1:{port}", port, docroot)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _await_port(process: subprocess.Popen[bytes], port: int, name: str,
                log: Path | None = None) -> None:
    """Return once ``process`` answers on ``port``; fail the test if it exits or takes 30 s.
    Its errors are on its stderr pipe, or in ``log``."""
    deadline = time.monotonic() + 30
    while True:  # the server is up when its port answers
        if process.poll() is not None:
            said = log.read_text() if log else process.stderr.read().decode()  # type: ignore[union-attr]
            pytest.fail(f"{name} did not start: {said}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not open its port in 30 seconds")
            time.sleep(0.05)


# pywb lives in its own virtualenv (.ci/run makes it in .pywb/ and names its bin/ in
# ARCHIVER_PYWB): its brotlipy dependency installs a module named brotli over Google's Brotli,
# which archiver decodes with
PYWB_BIN = Path(os.environ.get("ARCHIVER_PYWB",
                               Path(__file__).resolve().parents[1] / ".pywb" / "bin"))


@dataclass(frozen=True)
class Wayback:
    """pywb's ``wayback`` serving one collection of WARCs on 127.0.0.1."""

    base: str  # http://127.0.0.1:PORT
    root: Path
    coll: str = "coll"

    @property
    def timegate(self) -> str:
        """The collection's TimeGate prefix: ``<timegate><url>`` negotiates for ``url``."""
        return f"{self.base}/{self.coll}/"

    def raw(self, timestamp: str, target: str) -> str:
        """The ``id_`` (original bytes) replay URL of ``target`` captured at ``timestamp``."""
        return f"{self.base}/{self.coll}/{timestamp}id_/{target}"


@contextmanager
def wayback(root: Path, files: list[Path], *, coll: str = "coll",
            unpack_wacz: bool = False) -> Iterator[Wayback]:
    """pywb (``wb-manager init/add``, then ``wayback``) over ``files`` (WARCs, or with
    ``unpack_wacz`` WACZ packages loaded with their own index); skips only when pywb is absent
    outside CI (under CI it must be there: .ci/run installs it)."""
    if not (PYWB_BIN / "wayback").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"pywb is not installed in {PYWB_BIN} (python3 -m venv .pywb && "
                        ".pywb/bin/pip install pywb, or set ARCHIVER_PYWB to its bin/); CI "
                        "must run the pywb tests")
        pytest.skip(f"pywb is not installed in {PYWB_BIN}")
    root.mkdir(parents=True, exist_ok=True)
    manager = [str(PYWB_BIN / "wb-manager")]
    add = ["add", *(["--unpack-wacz"] if unpack_wacz else []), coll, *map(str, files)]
    for command in (["init", coll], add):
        subprocess.run([*manager, *command], cwd=root, check=True, capture_output=True,
                       timeout=120)
    port = _free_port()
    log = root / "wayback.log"  # a file, not a pipe: pywb logs every request
    with log.open("wb") as out:
        process = subprocess.Popen([str(PYWB_BIN / "wayback"), "-p", str(port), "-b",
                                    "127.0.0.1", "-d", str(root)], cwd=root,
                                   stdout=subprocess.DEVNULL, stderr=out)
    try:
        _await_port(process, port, "pywb", log)
        yield Wayback(f"http://127.0.0.1:{port}", root, coll)
    finally:
        process.terminate()
        process.wait(timeout=30)
