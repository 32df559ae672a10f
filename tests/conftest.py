"""Shared fixtures: a real HTTP server on 127.0.0.1 serving pages each test defines, and the
servers of servers.py (stdlib file server, raw sockets, nginx)."""

from __future__ import annotations

import gzip as gzip_module
import mimetypes
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from exportdata import captured  # noqa: F401 (the collection the export tests export)
from servers import nginx, raw_server, stdlib_site  # noqa: F401 (fixtures for every test)
from tsaserver import tsa  # noqa: F401 (the RFC 3161 TSAs on 127.0.0.1)

from archiver.cli import main

SITE_DIR = Path(__file__).parent / "data" / "site"


def pytest_configure(config: pytest.Config) -> None:
    """Keys and the trust file go to a config folder of the run's own, never the user's
    (tests of custody give each test its own)."""
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="archiver-test-config-")


@dataclass(frozen=True)
class Route:
    """What the server answers on one path."""

    body: bytes
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    chunked: bool = False
    gzip: bool = False
    delay: float = 0.0


@dataclass
class Site:
    """The routes of the test server; add pages with ``add`` and address them with ``url``."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # (path, arrival, answer): when the request arrived and when the answer began to be sent,
    # recorded before it is sent so a client that has the answer can rely on the record.
    spans: list[tuple[str, float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def times(self, prefix: str) -> list[tuple[float, float]]:
        """(arrival, answer) monotonic times of the requests for paths starting with
        ``prefix``, in order of arrival."""
        return sorted((start, end) for path, start, end in self.spans if path.startswith(prefix))

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on the server."""
        return self.base + path

    def add(self, path: str, body: bytes | str, *, status: int = 200,
            content_type: str | None = "text/html; charset=utf-8",
            headers: dict[str, str] | None = None, chunked: bool = False,
            gzip: bool = False, delay: float = 0.0) -> str:
        """Serve ``body`` at ``path`` (``str`` bodies as UTF-8); return its URL.

        ``chunked`` sends it with chunked transfer encoding, ``gzip`` with gzip content
        encoding, ``delay`` waits that many seconds before answering.
        """
        data = body.encode("utf-8") if isinstance(body, str) else body
        pairs = [("Content-Type", content_type)] if content_type else []
        pairs += list((headers or {}).items())
        self.routes[path] = Route(data, status, tuple(pairs), chunked, gzip, delay)
        return self.url(path)

    def redirect(self, path: str, target: str, status: int = 302) -> str:
        """Answer ``path`` with a redirect to ``target`` (relative or absolute); return its URL."""
        return self.add(path, b"", status=status, content_type=None,
                        headers={"Location": target})

    def route(self, path: str) -> Route | None:
        """The route for ``path``, or a file under tests/data/site/, or None."""
        if path in self.routes:
            return self.routes[path]
        candidate = (SITE_DIR / path.lstrip("/").split("?", 1)[0]).resolve()
        if SITE_DIR.resolve() in candidate.parents and candidate.is_file():
            kind = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
            return Route(candidate.read_bytes(), headers=(("Content-Type", kind),))
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each small write waits for the peer's delayed ACK
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        arrival = time.monotonic()
        with site.lock:
            site.requests.append((self.path, dict(self.headers.items())))
        route = site.route(self.path) or Route(b"not found", 404, (("Content-Type", "text/plain"),))
        if route.delay:
            time.sleep(route.delay)
        with site.lock:
            site.spans.append((self.path, arrival, time.monotonic()))
        body = gzip_module.compress(route.body) if route.gzip else route.body
        self.send_response(route.status)
        for name, value in route.headers:
            self.send_header(name, value)
        if route.gzip:
            self.send_header("Content-Encoding", "gzip")
        if route.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 1000):
                piece = body[start:start + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up on purpose (timeout, size limit tests) is not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session", autouse=True)
def _user_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The user's cache and configuration (cache secret, private keys) in folders of the
    session, set before any session fixture runs: no test reads or writes the real home."""
    saved = {name: os.environ.get(name) for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("user-config"))
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
               ) -> Path:
    """Each test's own, empty verification cache (``$XDG_CACHE_HOME``), returned."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@pytest.fixture(autouse=True)
def user_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
                ) -> Path:
    """Each test's own configuration folder (``$XDG_CONFIG_HOME``: private keys, the trust
    file, the cache's secret), returned: a copy of the session's, so that what session
    fixtures made (a key pinned, a TSA root trusted by ``seal``) holds in every test, and what
    a test changes stays in it."""
    folder = tmp_path_factory.mktemp("config")
    session = os.environ.get("XDG_CONFIG_HOME")
    if session and Path(session).is_dir():
        shutil.copytree(session, folder, dirs_exist_ok=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in process; return (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="session")
def http_site() -> Iterator[Site]:
    """A threaded HTTP/1.1 server on 127.0.0.1 (bound before its thread starts)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = Site(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.site
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
