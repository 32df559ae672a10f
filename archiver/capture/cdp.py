"""A headless Chromium and its DevTools protocol: start it, call methods, receive events.

One websocket to the browser; sessions are "flattened" (every call and event names its
session), and a reader thread hands each answer to its caller and each event to the queue of
the page it belongs to, so that several tabs are driven at once from several threads. A
session attached under a page's session (a frame, a worker, a service worker) reports into
its page's queue.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import websocket

from archiver.errors import ArchiverError, CaptureError

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = ("no Chromium found on PATH (chromium, chromium-browser, google-chrome): install "
                "it (apt-get install chromium) or give --browser-path")
# Chromium's own traffic off (updates, sync, safe browsing, translation, field trials): with
# these, what goes through the capture proxy is the page's.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--no-default-browser-check", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--disable-default-apps", "--safebrowsing-disable-auto-update",
         "--disable-domain-reliability", "--disable-client-side-phishing-detection",
         "--metrics-recording-only", "--no-pings", "--mute-audio", "--hide-scrollbars",
         "--disable-features=Translate,OptimizationHints,MediaRouter,"
         "AutofillServerCommunication,DialMediaRouteProvider,InterestFeedContentSuggestions",
         "--remote-debugging-port=0")
# everything the browser itself would send goes to a port nothing listens on: a page's
# traffic goes through its own context's proxy
_DEAD_PROXY = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>")
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
_START = 30.0  # seconds for the browser to open its DevTools port
_CALL = 60.0  # seconds any one call may take


class ProtocolError(CaptureError):
    """The browser refused a call, or stopped answering."""


def find_browser(path: str | None = None) -> str:
    """The Chromium to run: ``path`` if given, else the first of BROWSER_NAMES on PATH."""
    if path is not None:
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise ArchiverError(path, "--browser-path: not an executable file")
        return path
    for name in BROWSER_NAMES:
        if found := shutil.which(name):
            return found
    raise ArchiverError(None, INSTALL_HINT)


def capture_args(width: int, height: int, trusted_spki: Sequence[str] = ()) -> list[str]:
    """The arguments a capturing (or replaying) browser is started with, besides FLAGS."""
    args = [*_DEAD_PROXY, f"--window-size={width},{height}"]
    if trusted_spki:
        args.append(f"--ignore-certificate-errors-spki-list={','.join(trusted_spki)}")
    return args


def end_process_group(process: subprocess.Popen[str]) -> None:
    """Kill ``process`` and every process it started (its own session: group id = pid) at
    once, and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class Browser:
    """A headless Chromium this process started (in its own process group), and its
    DevTools connection."""

    def __init__(self, executable: str, profile: Path, args: Sequence[str] = (), *,
                 launched: Callable[[subprocess.Popen[str]], object] | None = None) -> None:
        """Start the browser and connect to it; ``launched`` is given its process as soon as
        it runs (so that another thread can end a start that hangs)."""
        self.executable = executable
        # no window of its own: a tab the pages never use would start a renderer while the
        # browser starts (about 0.2 s of a single capture); each page opens its own
        self._process = subprocess.Popen(
            [executable, *FLAGS, *args, f"--user-data-dir={profile}", "--no-startup-window"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        if launched is not None:
            launched(self._process)
        self._ws: websocket.WebSocket | None = None
        try:
            self._ws = websocket.create_connection(self._devtools_url(), timeout=None,
                                                   suppress_origin=True,
                                                   enable_multithread=True)
        except (OSError, websocket.WebSocketException) as exc:
            self.close()
            raise ArchiverError(executable, f"cannot reach its DevTools port: {exc}") from None
        self._lock = threading.Lock()
        self._next = 0
        self._pending: dict[int, Future[dict[str, Any]]] = {}
        self._queues: dict[str, queue.Queue[dict[str, Any]]] = {}
        self.browser_events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        version = self.call("Browser.getVersion")
        self.product: str = version["product"]  # e.g. "HeadlessChrome/156.0.8078.129"
        self.user_agent: str = version["userAgent"]

    def _devtools_url(self) -> str:
        stderr = self._process.stderr
        assert stderr is not None
        deadline = time.monotonic() + _START
        said: list[str] = []
        while time.monotonic() < deadline:
            line = stderr.readline()
            if not line and self._process.poll() is not None:
                break
            said.append(line.strip())
            if match := _LISTENING.search(line):
                # the rest of its stderr is drained, or a chatty browser would block on it
                threading.Thread(target=lambda: stderr.read(), daemon=True).start()
                return match.group(1)
        self.close()
        last = next((s for s in reversed(said) if s), "no output")
        raise ArchiverError(self.executable, f"did not open its DevTools port: {last}")

    def _read(self) -> None:
        assert self._ws is not None
        while True:
            try:
                message = json.loads(self._ws.recv())
            except (OSError, websocket.WebSocketException, ValueError):
                self._fail_all("the browser closed its DevTools connection")
                return
            if "id" in message:
                with self._lock:
                    future = self._pending.pop(message["id"], None)
                if future is not None:
                    future.set_result(message)
                continue
            self._route(message)

    def _route(self, message: dict[str, Any]) -> None:
        session = message.get("sessionId")
        with self._lock:
            target = self._queues.get(session) if session else None
            if (target is not None and message.get("method") == "Target.attachedToTarget"):
                # a frame's, worker's or service worker's session reports to its page
                self._queues[message["params"]["sessionId"]] = target
        (target or self.browser_events).put(message)

    def _fail_all(self, reason: str) -> None:
        with self._lock:
            self._closed = True
            pending, self._pending = self._pending, {}
            targets = list({id(q): q for q in self._queues.values()}.values())
        for future in pending.values():
            future.set_result({"error": {"message": reason}})
        for target in targets:
            target.put({"method": "archiver.disconnected", "params": {"reason": reason}})

    def send(self, method: str, session: str | None = None, **params: Any
             ) -> Future[dict[str, Any]]:
        """Send a call without waiting; the future holds the raw answer."""
        future: Future[dict[str, Any]] = Future()
        with self._lock:
            if self._closed:
                future.set_result({"error": {"message": "the browser is gone"}})
                return future
            self._next += 1
            ident = self._next
            self._pending[ident] = future
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        assert self._ws is not None
        try:
            self._ws.send(json.dumps(message))
        except (OSError, websocket.WebSocketException) as exc:
            with self._lock:
                self._pending.pop(ident, None)
            future.set_result({"error": {"message": f"cannot send: {exc}"}})
        return future

    def call(self, method: str, session: str | None = None, *, timeout: float = _CALL,
             **params: Any) -> dict[str, Any]:
        """Call ``method`` (in ``session``) and return its result; raise ProtocolError if the
        browser refuses it or does not answer within ``timeout`` seconds."""
        return self.answer(method, self.send(method, session, **params), timeout)

    @staticmethod
    def answer(method: str, sent: Future[dict[str, Any]], timeout: float = _CALL
               ) -> dict[str, Any]:
        """The result of the call ``sent`` (by ``send``) of ``method``; raise ProtocolError as
        ``call`` does."""
        try:
            answer = sent.result(timeout=max(timeout, 0.001))
        except FutureTimeout:
            raise ProtocolError(method, f"the browser did not answer in {timeout:g} s") from None
        if "error" in answer:
            raise ProtocolError(method, answer["error"].get("message", "refused"))
        return answer.get("result", {})

    def call_all(self, session: str | None, calls: Sequence[tuple[str, dict[str, Any]]], *,
                 timeout: float = _CALL) -> None:
        """Send every (method, params) of ``calls`` at once (the browser runs a session's
        calls in order), then wait for every answer; raise ProtocolError as ``call`` does."""
        sent = [(method, self.send(method, session, **params)) for method, params in calls]
        deadline = time.monotonic() + timeout
        for method, future in sent:
            self.answer(method, future, deadline - time.monotonic())

    def listen(self, session: str) -> queue.Queue[dict[str, Any]]:
        """A queue of the events of ``session`` and of every session attached under it."""
        events: queue.Queue[dict[str, Any]] = queue.Queue()
        with self._lock:
            self._queues[session] = events
        return events

    def forget(self, events: queue.Queue[dict[str, Any]]) -> None:
        """Stop routing events into ``events`` (its page is closed)."""
        with self._lock:
            for session in [s for s, q in self._queues.items() if q is events]:
                del self._queues[session]

    def alive(self) -> bool:
        """Whether the browser process is still running."""
        return self._process.poll() is None

    def close(self) -> None:
        """End the browser: its whole process group at once. Zygote and renderers outlive a
        browser that is asked to quit and write to its profile a moment longer; a killed
        process writes nothing more, so the profile may be removed once this returns (the
        helpers' zombies are init's to reap)."""
        if self._ws is not None:
            self._ws.close()
        end_process_group(self._process)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
