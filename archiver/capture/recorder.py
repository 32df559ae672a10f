"""A page's DevTools ``Network`` events turned into hops: every request and its response as
the browser made and received them, redirects hop by hop, with what is still in flight.

Requests are keyed by their id alone: a frame of another site is navigated in its parent's
session and finished in its own. Bodies are asked for (``Network.getResponseBody``) as each
response finishes, and collected at the end.
"""

from __future__ import annotations

import base64
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from archiver.capture.cdp import Browser

_SKIPPED_SCHEMES = ("data", "blob", "about", "chrome", "chrome-extension")


def host_port(url: str) -> str:
    """The ``host:port`` ``url`` is fetched from (the scheme's port when none is given)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


@dataclass
class Hop:
    """One request and its response (one redirect hop) as the browser made and received it."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    post_data: bytes
    started: datetime
    resource_type: str
    status: int = 0
    status_text: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    protocol: str = ""
    mime_type: str = ""
    from_service_worker: bool = False
    from_cache: bool = False
    security: dict[str, Any] | None = None
    body: bytes | None = None  # None: no body kept (a redirect, or the browser had none)
    encoded_length: int = 0
    error: str | None = None
    ip_address: str | None = None

    @property
    def host_port(self) -> str:
        """Where the hop was sent: ``host:port``, as the proxy names it."""
        return host_port(self.url)


class Recorder:
    """Turns a page's Network events into hops; tracks what is in flight."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        # by requestId alone: a frame's navigation is reported in its parent's session and
        # finished in its own
        self.hops: dict[str, list[Hop]] = {}
        self.order: list[Hop] = []
        self.extra_request: dict[str, list[list[tuple[str, str]]]] = {}
        self.extra_response: dict[str, list[list[tuple[str, str]]]] = {}
        self.inflight: set[str] = set()
        self.last_change = time.monotonic()
        self.bodies: list[tuple[Hop, Future[dict[str, Any]]]] = []
        self.console: list[str] = []
        self.loaded = False
        self.crashed = False
        self.download: str | None = None
        self.gone: str | None = None
        self.page_session = ""

    def handle(self, message: dict[str, Any]) -> None:
        method = message.get("method", "")
        params = message.get("params", {})
        session = message.get("sessionId", "")
        handler = getattr(self, "_on_" + method.replace(".", "_"), None)
        if handler is not None:
            handler(session, params)

    def _on_archiver_disconnected(self, _s: str, params: dict[str, Any]) -> None:
        self.gone = params["reason"]

    def _on_Inspector_targetCrashed(self, _s: str, _p: dict[str, Any]) -> None:
        self.crashed = True

    def _on_Page_loadEventFired(self, session: str, _p: dict[str, Any]) -> None:
        if session == self.page_session:
            self.loaded = True

    def _on_Page_downloadWillBegin(self, _s: str, params: dict[str, Any]) -> None:
        self.download = params.get("url", "")

    def _on_Target_attachedToTarget(self, _s: str, params: dict[str, Any]) -> None:
        child = params["sessionId"]
        kind = params["targetInfo"]["type"]
        calls = [("Network.enable", {}), ("Network.setCacheDisabled", {"cacheDisabled": True})]
        if kind in ("iframe", "page"):
            calls += [("Page.enable", {}), ("Runtime.enable", {})]
        calls += [("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True,
                                            "flatten": True}),
                  ("Runtime.runIfWaitingForDebugger", {})]
        for name, params_ in calls:  # not awaited: this runs on the events' own path
            self.browser.send(name, child, **params_)

    def _on_Network_requestWillBeSent(self, session: str, params: dict[str, Any]) -> None:
        request = params["request"]
        key = params["requestId"]
        previous = self.hops.get(key)
        if params.get("redirectResponse") and previous:
            self._respond(previous[-1], params["redirectResponse"])
            previous[-1].body = None
        elif previous and not previous[-1].status and previous[-1].url == request["url"]:
            return  # the same request reported again, by the frame's own session
        if urlsplit(request["url"]).scheme in _SKIPPED_SCHEMES:
            return
        post = "".join(e.get("bytes", "") for e in request.get("postDataEntries", []))
        hop = Hop(url=request["url"],  # without its fragment, which is never sent
                  method=request["method"],
                  request_headers=list(request.get("headers", {}).items()),
                  post_data=base64.b64decode(post) if post else b"",
                  started=datetime.fromtimestamp(params.get("wallTime", time.time()), UTC),
                  resource_type=params.get("type", "Other"))
        self.hops.setdefault(key, []).append(hop)
        self.order.append(hop)
        self.inflight.add(key)
        self.last_change = time.monotonic()

    def _on_Network_requestWillBeSentExtraInfo(self, session: str,
                                               params: dict[str, Any]) -> None:
        key = params["requestId"]
        self.extra_request.setdefault(key, []).append(_pairs(params.get("headers", {})))

    def _on_Network_responseReceivedExtraInfo(self, session: str,
                                              params: dict[str, Any]) -> None:
        key = params["requestId"]
        self.extra_response.setdefault(key, []).append(_pairs(params.get("headers", {})))

    def _on_Network_responseReceived(self, session: str, params: dict[str, Any]) -> None:
        hops = self.hops.get(params["requestId"])
        if hops:
            self._respond(hops[-1], params["response"])

    def _respond(self, hop: Hop, response: dict[str, Any]) -> None:
        hop.status = response["status"]
        hop.status_text = response.get("statusText", "")
        hop.response_headers = _pairs(response.get("headers", {}))
        hop.protocol = response.get("protocol", "")
        hop.mime_type = response.get("mimeType", "")
        hop.from_service_worker = bool(response.get("fromServiceWorker"))
        hop.from_cache = bool(response.get("fromDiskCache") or response.get("fromPrefetchCache"))
        hop.security = response.get("securityDetails")
        hop.encoded_length = int(response.get("encodedDataLength", 0))

    def _on_Network_loadingFinished(self, session: str, params: dict[str, Any]) -> None:
        key = params["requestId"]
        self._settle(key)
        hops = self.hops.get(key)
        if hops:
            hops[-1].encoded_length = int(params.get("encodedDataLength", 0))
            future = self.browser.send("Network.getResponseBody", session,
                                       requestId=params["requestId"])
            self.bodies.append((hops[-1], future))

    def _on_Network_loadingFailed(self, _s: str, params: dict[str, Any]) -> None:
        key = params["requestId"]
        self._settle(key)
        hops = self.hops.get(key)
        if hops:
            hops[-1].error = params.get("errorText") or "failed"
            if params.get("canceled"):
                hops[-1].error += " (canceled)"

    def pending(self) -> list[str]:
        """The URLs of the requests still in flight, in the order they were made."""
        inflight = {id(self.hops[k][-1]) for k in self.inflight if self.hops.get(k)}
        return [hop.url for hop in self.order if id(hop) in inflight]

    def _settle(self, key: str) -> None:
        self.inflight.discard(key)
        self.last_change = time.monotonic()

    def _on_Runtime_exceptionThrown(self, _s: str, params: dict[str, Any]) -> None:
        details = params.get("exceptionDetails", {})
        text = details.get("exception", {}).get("description") or details.get("text", "")
        self.console.append(f"exception: {text.splitlines()[0] if text else ''}")

    def _on_Runtime_consoleAPICalled(self, _s: str, params: dict[str, Any]) -> None:
        if params.get("type") in ("error", "assert"):
            words = [str(a.get("value", a.get("description", ""))) for a in params["args"]]
            self.console.append("console.error: " + " ".join(words))

    def _on_Log_entryAdded(self, _s: str, params: dict[str, Any]) -> None:
        entry = params.get("entry", {})
        if entry.get("level") == "error":
            self.console.append(f"{entry.get('source', 'log')}: {entry.get('text', '')}")

    def finish(self) -> None:
        """Give each hop its raw headers (where the browser reported them) and its body."""
        for key, hops in self.hops.items():
            for hop, headers in zip(hops, self.extra_request.get(key, []), strict=False):
                hop.request_headers = headers
            answered = [h for h in hops if h.status]
            for hop, headers in zip(answered, self.extra_response.get(key, []), strict=False):
                hop.response_headers = headers
        for hop, future in self.bodies:
            try:
                answer = future.result(timeout=30)
            except TimeoutError:
                continue
            result = answer.get("result")
            if result is not None:
                body = result.get("body", "")
                hop.body = (base64.b64decode(body) if result.get("base64Encoded")
                            else body.encode("utf-8"))


def _pairs(headers: dict[str, str]) -> list[tuple[str, str]]:
    """DevTools joins repeated headers with newlines: one pair per value again."""
    return [(name, value) for name, values in headers.items() for value in values.split("\n")]
