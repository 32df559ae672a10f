"""A recording HTTP client: every byte sent and received, hop by hop, with the peer's address.

requests does the HTTP; its urllib3 connections are replaced by ones that check the address
policy before connecting and after, and wrap the (TLS-decrypted) socket in a tape that keeps
the exact request and response bytes, chunk framing and content encoding included.
"""

from __future__ import annotations

import http.client
import io
import math
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from archiver import __version__
from archiver.capture.netpolicy import address_problem, check_url, without_credentials
from archiver.errors import ArchiverError, CaptureError
from archiver.warc.coding import ACCEPT_ENCODING
from archiver.warc.exchange import Fetch, HttpExchange

DEFAULT_USER_AGENT = f"archiver/{__version__}"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_READ_BLOCK = 1 << 16


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch: the capture options that shape each HTTP exchange."""

    timeout: float = 30.0
    max_bytes: int = 100 * 1024 * 1024
    max_redirects: int = 10
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: bool = False

    def __post_init__(self) -> None:
        require_at_least(("--timeout", self.timeout, 0.001), ("--max-bytes", self.max_bytes, 1),
                         ("--max-redirects", self.max_redirects, 0))


def require_at_least(*checks: tuple[str, float, float]) -> None:
    """Raise ArchiverError naming the first (option, value, least) whose value is too small."""
    for option, value, least in checks:
        if not math.isfinite(value):
            raise ArchiverError(option, f"must be a finite number, not {value}")
        if value < least:
            raise ArchiverError(option, f"must be at least {least}, not {value}")


class _Abort(Exception):
    """Stops an exchange from inside urllib3; deliberately not an OSError so nothing retries it."""


_EXPIRED = 1e-6  # the socket timeout once the deadline has passed: 0 would mean non-blocking
_SLICE = 0.2  # longest wait on a socket between looks at whether the run was cancelled
_CANCELLED = "cancelled: the run was interrupted"


@dataclass
class _Tape:
    """The bytes of one exchange, the cap on what may be received, and its deadline."""

    limit: int
    timeout: float
    deadline: float  # time.monotonic() by which the last byte must have arrived
    peer: str = ""
    sent: bytearray = field(default_factory=bytearray)
    received: bytearray = field(default_factory=bytearray)
    # Why the exchange was stopped: urllib3 may turn the exception into another, or close
    # the connection and fail on it, so the cause is kept here too.
    stopped: str | None = None

    def remaining(self) -> float:
        """Seconds left until the deadline (a tiny positive number once it has passed)."""
        return max(self.deadline - time.monotonic(), _EXPIRED)

    def abort(self, reason: str) -> NoReturn:
        """Stop the exchange for ``reason``."""
        self.stopped = reason
        raise _Abort(reason)


_current = threading.local()


class _RecordingSocket:
    """A socket proxy that copies everything sent and received onto its connection's tape."""

    def __init__(self, sock: socket.socket, connection: _RecordingMixin) -> None:
        self._sock = sock
        self._connection = connection
        self._peer: str = sock.getpeername()[0]
        # Like socket.socket: close() waits until the files made by makefile() are closed,
        # since http.client closes the connection while the response is still being read.
        self._files = 0
        self._closed = False

    def sendall(self, data: bytes) -> None:
        tape = self._connection.tape
        tape.peer = self._peer
        tape.sent += data
        self._sock.settimeout(tape.remaining())
        self._sock.sendall(data)

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        tape = self._connection.tape
        while True:  # in slices, so that a cancelled run (Ctrl-C) stops within one
            if self._connection.cancelled.is_set():
                tape.abort(_CANCELLED)
            remaining = tape.remaining()
            self._sock.settimeout(min(remaining, _SLICE))
            try:
                n = self._sock.recv_into(buffer, nbytes)
                break
            except TimeoutError:
                if remaining <= _SLICE:
                    raise
        tape.received += memoryview(buffer)[:n]
        if len(tape.received) > tape.limit:
            tape.abort(f"response exceeds --max-bytes {tape.limit}")
        if n and tape.remaining() == _EXPIRED:
            tape.abort(_late(tape.timeout))
        return n

    def makefile(self, mode: str = "rb", buffering: int | None = None,
                 **_: Any) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError(f"recording socket reads only (mode {mode!r})")
        self._files += 1
        return io.BufferedReader(socket.SocketIO(self, "rb"), buffering or _READ_BLOCK)  # type: ignore[arg-type]

    def _decref_socketios(self) -> None:
        """Called by SocketIO.close(): the real socket closes with the last file."""
        self._files -= 1
        if self._closed and self._files <= 0:
            self._sock.close()

    def close(self) -> None:
        self._closed = True
        if self._files <= 0:
            self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _RecordingMixin:
    """Connects only to allowed addresses and records each exchange on a fresh tape."""

    allow_private: bool = False
    cancelled: threading.Event  # set by Fetcher.cancel: stop every exchange in flight
    tape: _Tape
    # Attributes of the urllib3 connection this is mixed into.
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    sock: Any

    def _new_conn(self) -> socket.socket:
        """Connect to the first address of the host that the policy allows and that answers."""
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise _Abort(f"DNS lookup of {self.host} failed: {exc.strerror}") from None
        refused, failed = [], []
        for family, kind, proto, _, address in infos:
            problem = address_problem(address[0], allow_private=self.allow_private)
            if problem is not None:
                refused.append(f"refused address {address[0]} ({problem})")
                continue
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                sock.settimeout(_current.tape.remaining())
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(address)
            except TimeoutError:
                sock.close()
                failed.append(f"connecting to {address[0]} port {self.port} timed out")
                continue
            except OSError as exc:
                sock.close()
                failed.append(f"cannot connect to {address[0]} port {self.port}: "
                              f"{exc.strerror or exc}")
                continue
            peer = sock.getpeername()[0]
            problem = address_problem(peer, allow_private=self.allow_private)
            if problem is not None:  # the kernel connected somewhere else than asked
                sock.close()
                raise _Abort(f"refused connected address {peer} ({problem})")
            return sock
        if not self.allow_private and any("metadata" not in r for r in refused):
            refused[-1] += "; pass --allow-private to capture it"
        raise _Abort("; ".join(failed + refused) or f"no address for {self.host}")

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock = _RecordingSocket(self.sock, self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        # The calling thread reads the exchange off _current.tape (made by Fetcher._exchange,
        # before connecting, so the deadline covers the connect): urllib3 may already have
        # handed this connection back to its pool when the response has no body.
        self.tape = _current.tape
        super().request(*args, **kwargs)  # type: ignore[misc]


def _pool_classes(options: FetchOptions, cancelled: threading.Event) -> dict[str, type]:
    """Connection pool classes whose connections record and follow ``options``' policy."""
    settings = {"allow_private": options.allow_private, "cancelled": cancelled}
    classes: dict[str, type] = {}
    for scheme, pool, conn in (("http", HTTPConnectionPool, HTTPConnection),
                               ("https", HTTPSConnectionPool, HTTPSConnection)):
        recording = type(f"Recording{conn.__name__}", (_RecordingMixin, conn), settings)
        classes[scheme] = type(f"Recording{pool.__name__}", (pool,), {"ConnectionCls": recording})
    return classes


class _RecordingAdapter(HTTPAdapter):
    def __init__(self, options: FetchOptions, pool_size: int,
                 cancelled: threading.Event) -> None:
        self._classes = _pool_classes(options, cancelled)
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._classes


class HostThrottle:
    """At most ``per_host`` requests at a time to one host, ``delay`` seconds after the last."""

    def __init__(self, per_host: int = 1, delay: float = 0.0) -> None:
        self.per_host = per_host
        self.delay = delay
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of ``host``'s request slots, waiting out the delay since its last request."""
        with self._lock:
            slots = self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))
        with slots:
            with self._lock:
                wait = self._next.get(host, 0.0) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                yield
            finally:
                with self._lock:
                    self._next[host] = time.monotonic() + self.delay


class Fetcher:
    """Fetches URLs hop by hop, recording every exchange; safe to share between threads."""

    def __init__(self, options: FetchOptions, *, throttle: HostThrottle | None = None,
                 pool_size: int = 10) -> None:
        self.options = options
        self._throttle = throttle or HostThrottle()
        self._cancelled = threading.Event()
        self._adapter = _RecordingAdapter(options, pool_size, self._cancelled)

    def cancel(self) -> None:
        """Stop every fetch: those in flight within a fraction of a second, later ones at
        once (each fails with a CaptureError saying the run was interrupted)."""
        self._cancelled.set()

    def close(self) -> None:
        """Close pooled connections."""
        self._adapter.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def fetch(self, url: str, *, headers: Mapping[str, str] | None = None,
              follow: bool = True) -> Fetch:
        """Fetch ``url``, following up to max_redirects redirects (none unless ``follow``),
        with ``headers`` added to each request; raise CaptureError on failure."""
        # A session per URL keeps cookies set by one capture's redirects out of another's.
        session = requests.Session()
        session.trust_env = False  # no proxies or .netrc: the peer must be the server itself
        session.mount("http://", self._adapter)
        session.mount("https://", self._adapter)
        session.headers["User-Agent"] = self.options.user_agent
        session.headers.update(headers or {})
        exchanges: list[HttpExchange] = []
        target = url
        while True:
            hop = f"redirect to {without_credentials(target)}: " if exchanges else ""
            _current.tape = None
            try:
                check_url(target)
                exchange = self._exchange(session, target)
            except CaptureError as exc:
                if not exchanges:
                    raise
                raise CaptureError(url, hop + exc.reason) from None
            except (_Abort, requests.RequestException, urllib3.exceptions.HTTPError,
                    http.client.HTTPException, OSError) as exc:
                raise CaptureError(url, hop + self._failure(exc)) from None
            exchanges.append(exchange)
            if exchange.location is None or not follow:
                return Fetch(url, tuple(exchanges))
            if len(exchanges) > self.options.max_redirects:
                raise CaptureError(url, f"more than {self.options.max_redirects} redirects")
            target = exchange.location

    def _failure(self, exc: BaseException) -> str:
        """One line naming why an exchange failed: the limit that stopped it, if one did."""
        tape: _Tape | None = _current.tape
        if tape is not None and tape.stopped:
            return tape.stopped
        if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
            # every socket timeout is the time left until the deadline
            return _late(self.options.timeout)
        return str(exc) if isinstance(exc, _Abort) else _describe(exc)

    def _exchange(self, session: requests.Session, url: str) -> HttpExchange:
        prepared = session.prepare_request(requests.Request("GET", url))
        prepared.headers["Accept-Encoding"] = ACCEPT_ENCODING
        with self._throttle.slot(urlsplit(prepared.url).hostname or ""):
            if self._cancelled.is_set():
                raise _Abort(_CANCELLED)
            started_at = datetime.now(UTC)
            timeout = self.options.timeout
            tape = _current.tape = _Tape(self.options.max_bytes, timeout,
                                         time.monotonic() + timeout)
            response = session.send(prepared, stream=True, allow_redirects=False,
                                    timeout=timeout)
            with response:
                for _ in response.raw.stream(_READ_BLOCK, decode_content=False):
                    pass
        location = response.headers.get("Location")
        redirect = response.status_code in REDIRECT_STATUSES and location
        return HttpExchange(
            url=prepared.url or url,
            request=bytes(tape.sent),
            response=bytes(tape.received),
            status=response.status_code,
            content_type=response.headers.get("Content-Type"),
            location=urljoin(prepared.url or url, location) if redirect else None,
            ip_address=tape.peer,
            started_at=started_at,
        )


def _late(timeout: float) -> str:
    """The reason given when an exchange's deadline passes."""
    return (f"timed out: the exchange took more than --timeout {timeout:g} seconds "
            f"(connect to last byte)")


def _describe(exc: BaseException) -> str:
    """One line naming the cause of a requests/urllib3 failure, without pool internals."""
    inner = exc
    while True:
        nested = getattr(inner, "reason", None) or next(
            (a for a in inner.args if isinstance(a, BaseException)), None)
        if not isinstance(nested, BaseException):
            break
        inner = nested
    if isinstance(exc, requests.exceptions.SSLError | urllib3.exceptions.SSLError):
        return f"TLS error: {inner}"
    return f"connection failed: {_one_line(str(inner))}"


def _one_line(text: str) -> str:
    """A message from a server's bytes (a bad status line, a header) kept to one short line."""
    line = " ".join(text.encode("unicode_escape").decode("ascii").split())
    return line if len(line) <= 200 else line[:200] + "..."
