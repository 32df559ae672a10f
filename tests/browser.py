"""A real browser for the report tests: Debian's headless Chromium, driven over the DevTools
protocol (websocket-client), recording every console message, script error and request.

Chromium is told to send anything it fetches to a dead proxy on 127.0.0.1, with its own
background traffic (updates, sync, safe browsing) off: nothing it does leaves the machine.
Under CI the tests fail, not skip, without it (``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websocket

ARTIFACTS = Path(os.environ.get("ARCHIVER_TEST_ARTIFACTS",
                                Path(__file__).resolve().parent / "artifacts"))
_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--no-default-browser-check", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--disable-extensions",
          "--disable-default-apps", "--safebrowsing-disable-auto-update",
          "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
          "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
          "--remote-debugging-port=0", "--window-size=1280,1600")
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
_WAIT = 30.0  # seconds for the browser to start and for a page to load


def chromium() -> str:
    """The Chromium executable; fails under CI when it is missing, else skips."""
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (apt-get install chromium); CI must run the "
                    "report's browser tests")
    pytest.skip("chromium is not installed")


@dataclass
class Visit:
    """What the browser saw while it opened a page."""

    console: list[dict[str, Any]] = field(default_factory=list)  # console API calls
    errors: list[str] = field(default_factory=list)  # exceptions and error log entries
    requests: list[str] = field(default_factory=list)  # every URL the page asked for


class Browser:
    """One headless Chromium with one tab, driven over its DevTools websocket."""

    def __init__(self, executable: str, profile: Path) -> None:
        self._process = subprocess.Popen(
            [executable, *_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)  # its own process group: close() ends its helpers too
        assert self._process.stderr is not None
        deadline = time.monotonic() + _WAIT
        url = None
        while url is None and time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if not line and self._process.poll() is not None:
                break
            if match := _LISTENING.search(line):
                url = match.group(1)
        if url is None:
            self.close()
            pytest.fail("chromium did not open its DevTools port")
        self._ws = websocket.create_connection(url, timeout=_WAIT, suppress_origin=True)
        self._id = 0
        self._events: list[dict[str, Any]] = []
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target,
                                   flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def _send(self, method: str, params: dict[str, Any], session: str | None) -> int:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        return self._id

    def _receive(self) -> dict[str, Any]:
        return json.loads(self._ws.recv())

    def _call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        wanted = self._send(method, params, session)
        while True:
            message = self._receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method in the tab; return its result."""
        return self._call(method, self._session, **params)

    def open(self, url: str) -> Visit:
        """Load ``url`` and wait for its load event; return what the page did meanwhile."""
        self._events.clear()
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + _WAIT
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            assert time.monotonic() < deadline, f"{url} did not load"
            self._events.append(self._receive())
        self.evaluate("1")  # events raised while loading arrive before this answer
        visit = Visit()
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                visit.console.append(params)
            elif method == "Runtime.exceptionThrown":
                visit.errors.append(json.dumps(params["exceptionDetails"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                visit.errors.append(params["entry"]["text"])
            elif method == "Network.requestWillBeSent":
                visit.requests.append(params["request"]["url"])
        return visit

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (DevTools runs it, not the page)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, name: str) -> Path:
        """Save the whole page as a PNG under the test artifacts; return its path."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        return _save(name, base64.b64decode(data["data"]))

    def pdf(self, name: str) -> Path:
        """Print the page as the print stylesheet lays it out; save the PDF as an artifact."""
        data = self.call("Page.printToPDF", printBackground=True)
        return _save(name, base64.b64decode(data["data"]))

    def close(self) -> None:
        """End the browser (the one process this helper started)."""
        if getattr(self, "_ws", None) is not None:
            self._ws.close()
        # Chromium's zygote and renderers outlive its main process for a moment and still
        # write to the profile: end the whole group, then wait until none is left
        group = os.getpgid(self._process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self._process.wait()
        deadline = time.monotonic() + _WAIT
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.killpg(group, signal.SIGKILL)


def _save(name: str, data: bytes) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for the module's tests."""
    executable = chromium()
    with tempfile.TemporaryDirectory(prefix="archiver-chromium-") as profile:
        b = Browser(executable, Path(profile))
        try:
            yield b
        finally:
            b.close()
