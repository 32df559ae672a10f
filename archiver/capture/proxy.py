"""A small forwarding proxy on 127.0.0.1 that holds the browser to the address policy (or,
for a replay, to the one server that replays).

It does not look inside TLS: a CONNECT tunnel is opened to an address the policy allows (the
first one the host resolves to that is allowed) and bytes are passed through, so the browser
speaks TLS (and HTTP/2) with the origin itself and checks its certificate itself. A plain
``http://`` request is forwarded the same way, one request to a connection. Each capture has
a proxy of its own: what it refused, the address each host was reached at, and the bytes
received are that capture's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from archiver.capture.netpolicy import address_problem

_HEAD_LIMIT = 64 * 1024
_BLOCK = 1 << 16
_CONNECT_TIMEOUT = 15.0
_HOP_HEADERS = frozenset({b"proxy-connection", b"proxy-authorization", b"connection",
                          b"keep-alive"})


@dataclass(frozen=True)
class Refusal:
    """A connection the proxy refused: the host asked for and why."""

    host: str
    reason: str


@dataclass
class ProxyLog:
    """What one capture's proxy did."""

    refused: list[Refusal] = field(default_factory=list)
    peers: dict[str, str] = field(default_factory=dict)  # "host:port" -> address connected to
    received: int = 0  # bytes from origins
    over_limit: bool = False


class PolicyProxy:
    """The proxy: ``address`` is its ``host:port``; ``max_bytes`` caps what all its
    connections together may receive (the capture's --max-bytes)."""

    def __init__(self, *, allow_private: bool, max_bytes: int,
                 only: str | None = None) -> None:
        self.allow_private = allow_private
        self.only = only  # "host:port": the one place connections may go (a replay's)
        self.max_bytes = max_bytes
        self.log = ProxyLog()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if not self._track(conn):
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._closed:
                sock.close()
                return False
            self._sockets.add(sock)
            return True

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        try:
            head, rest = _read_head(client)
            if head is None:
                return
            line, _, headers = head.partition(b"\r\n")
            method, target, _version = ([*line.decode("latin-1").split(" ", 2), "", ""])[:3]
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                upstream = self._open(client, host.strip("[]"), int(port or 443), tunnel=True)
                if upstream is None:
                    return
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            else:
                parts = urlsplit(target)
                if parts.scheme != "http" or not parts.hostname:
                    _answer(client, 400, "the proxy forwards http:// URLs and CONNECT only")
                    return
                upstream = self._open(client, parts.hostname, parts.port or 80, tunnel=False)
                if upstream is None:
                    return
                path = parts.path or "/"
                path += f"?{parts.query}" if parts.query else ""
                upstream.sendall(_forwarded(method, path, _version, headers))
            if rest:
                upstream.sendall(rest)
            _splice(client, upstream, self)
        except (OSError, ValueError):
            return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    self._drop(sock)

    def _open(self, client: socket.socket, host: str, port: int, *,
              tunnel: bool) -> socket.socket | None:
        """A connection to ``host``'s first allowed address, or None (the browser told why,
        for a ``tunnel``)."""
        if self.only is not None and f"{host}:{port}" != self.only:
            with self._lock:
                self.log.refused.append(Refusal(f"{host}:{port}", f"not {self.only}"))
            if tunnel:
                _answer(client, 403, f"refused: only {self.only} may be reached")
            return None
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            if tunnel:
                _answer(client, 502, f"cannot resolve {host}: {exc}")
            return None
        reasons = []
        for family, kind, proto, _, address in infos:
            problem = address_problem(address[0], allow_private=self.allow_private)
            if problem is not None:
                reasons.append(f"{address[0]} is {problem}")
                continue
            sock = socket.socket(family, kind, proto)
            if not self._track(sock):
                return None
            try:
                sock.settimeout(_CONNECT_TIMEOUT)
                sock.connect(address)
                sock.settimeout(None)
            except OSError as exc:
                reasons.append(f"{address[0]}: {exc.strerror or exc}")
                self._drop(sock)
                continue
            with self._lock:
                self.log.peers[f"{host}:{port}"] = address[0]
            return sock
        reason = "; ".join(reasons) or "no address"
        with self._lock:
            self.log.refused.append(Refusal(f"{host}:{port}", reason))
        if tunnel:  # a plain request is left unanswered: an answer would pass for the site's
            _answer(client, 403, f"refused by the address policy: {reason}")
        return None

    def count(self, size: int) -> bool:
        """Count ``size`` bytes received; False once the capture's cap is passed."""
        with self._lock:
            self.log.received += size
            if self.log.received > self.max_bytes:
                self.log.over_limit = True
            return not self.log.over_limit

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        sock.close()

    def close(self) -> None:
        """Stop accepting and cut every open connection."""
        with self._lock:
            self._closed = True
            sockets, self._sockets = list(self._sockets), set()
        self._listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _read_head(client: socket.socket) -> tuple[bytes | None, bytes]:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        data = client.recv(_BLOCK)
        if not data or len(buffer) > _HEAD_LIMIT:
            return None, b""
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head, rest


def _forwarded(method: str, path: str, version: str, headers: bytes) -> bytes:
    """The request in origin form, proxy headers dropped, one request to the connection."""
    kept = [h for h in headers.split(b"\r\n")
            if h and h.split(b":", 1)[0].strip().lower() not in _HOP_HEADERS]
    lines = [f"{method} {path} {version}".encode("latin-1"), *kept, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _answer(client: socket.socket, status: int, reason: str) -> None:
    body = reason.encode("utf-8", "replace")
    client.sendall(f"HTTP/1.1 {status} Refused\r\nContent-Type: text/plain\r\nContent-Length: "
                   f"{len(body)}\r\nConnection: close\r\n\r\n".encode() + body)


def _splice(client: socket.socket, upstream: socket.socket, proxy: PolicyProxy) -> None:
    """Pass bytes both ways until the origin closes (or the byte cap is passed)."""
    def up() -> None:
        try:
            while data := client.recv(_BLOCK):
                upstream.sendall(data)
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    thread = threading.Thread(target=up, daemon=True)
    thread.start()
    try:
        while data := upstream.recv(_BLOCK):
            if not proxy.count(len(data)):
                return
            client.sendall(data)
    except OSError:
        return
    # the origin has closed: so does the browser's side (a body that ends with the
    # connection ends now); the other direction's thread ends as its socket is closed
