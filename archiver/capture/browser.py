"""Load one page in a headless Chromium and record what it fetched and showed.

Each page gets a browser context of its own (no cache, cookies or service workers shared with
another page) whose traffic goes through a PolicyProxy of its own, so the address policy and
--max-bytes hold for everything the page asks for, and the browser's own background traffic
(on the default context, sent to a proxy port nothing listens on) is never recorded. The
recording is read from the DevTools ``Network`` events of the page and of every frame, worker
and service worker attached under it; bodies are taken with ``Network.getResponseBody``, as
the browser received them (decoded).

When the page counts as done (the wait policy, recorded with every capture): its load event
(by ``timeout``), then ``idle`` seconds with no request in flight (at most ``idle_cap``), then
``document.fonts.ready``, then (with ``scroll``) a scroll to the bottom and back, then idle
again, then every image decoded and two frames painted; all within ``timeout``.
"""

from __future__ import annotations

import base64
import contextlib
import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archiver.capture.cdp import Browser, ProtocolError, capture_args, end_process_group
from archiver.capture.proxy import PolicyProxy
from archiver.capture.recorder import Hop, Recorder, host_port
from archiver.errors import ArchiverError, CaptureError

_FULL_PAGE_CAP = 16384  # px: the tallest full-page screenshot taken (Chromium's texture limit)


@dataclass(frozen=True)
class BrowserOptions:
    """How a page is loaded and when it counts as done."""

    timeout: float = 30.0  # seconds for the whole page, from navigation to the last record
    max_bytes: int = 100 * 1024 * 1024  # bytes the page may receive, all resources together
    allow_private: bool = False
    width: int = 1280
    height: int = 800
    idle: float = 0.5  # seconds without a request in flight that count as idle
    idle_cap: float = 10.0  # the longest wait for idle, each time
    scroll: bool = True
    trusted_spki: tuple[str, ...] = ()  # SPKI sha256 (base64) of certificates trusted as well
    confine_to: str | None = None  # "host:port": refuse every request elsewhere (a replay)

    def __post_init__(self) -> None:
        if self.width < 100 or self.height < 100:
            raise ArchiverError("--viewport", "must be at least 100x100")

    @property
    def wait_policy(self) -> str:
        """The wait policy, in words (recorded in the manifest and warcinfo)."""
        scroll = ", scroll to the bottom and back, idle again" if self.scroll else ""
        return (f"load event, then {self.idle:g} s without a request in flight (at most "
                f"{self.idle_cap:g} s), fonts ready{scroll}, images decoded; all within "
                f"{self.timeout:g} s")


@dataclass
class PageCapture:
    """What a page fetched (every hop, in order of request) and what it showed."""

    requested_url: str
    final_url: str
    main: list[Hop]  # the main document's hops: redirects, then the page
    hops: list[Hop]  # every hop, the main document's included
    started: datetime
    title: str
    dom: str
    text: str
    viewport_png: bytes
    full_page_png: bytes
    full_page_height: int
    browser: str
    user_agent: str
    wait: dict[str, str]
    console: list[str]
    refused: list[dict[str, str]]
    certificates: list[str]  # the main origin's chain, base64 DER, leaf first
    timings: dict[str, float]


class _Page:
    """A page being captured: its context, tab, session, proxy and recorder."""

    def __init__(self, browser: Browser, options: BrowserOptions) -> None:
        self.browser = browser
        self.options = options
        self.start_clock()
        self.proxy = PolicyProxy(allow_private=options.allow_private,
                                 max_bytes=options.max_bytes, only=options.confine_to)
        self.context = ""
        self.events: queue.Queue[dict[str, Any]] | None = None
        self.recorder = Recorder(browser)

    def start_clock(self) -> None:
        """The page's deadline counts from now (a tab opened ahead counts from its use)."""
        self.deadline = time.monotonic() + self.options.timeout
        # waiting for the page ends this much before the deadline: the rest is for recording
        self.settle_by = self.deadline - min(5.0, self.options.timeout / 4)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.call(method, self.recorder.page_session,
                                 timeout=self.remaining(), **params)

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)

    def open(self) -> None:
        self.context = self.browser.call(
            "Target.createBrowserContext", disposeOnDetach=True,
            proxyServer=f"http://{self.proxy.address}",
            proxyBypassList="<-loopback>")["browserContextId"]
        # answered while the tab is made: one round trip fewer
        downloads = self.browser.send("Browser.setDownloadBehavior", behavior="deny",
                                      browserContextId=self.context, eventsEnabled=True)
        target = self.browser.call("Target.createTarget", url="about:blank",
                                   browserContextId=self.context)["targetId"]
        session = self.browser.call("Target.attachToTarget", targetId=target,
                                    flatten=True)["sessionId"]
        self.recorder.page_session = session
        self.events = self.browser.listen(session)
        self.browser.answer("Browser.setDownloadBehavior", downloads, self.remaining())
        options = self.options
        self.browser.call_all(session, (
                ("Page.enable", {}), ("Runtime.enable", {}), ("Log.enable", {}),
                ("Inspector.enable", {}),
                ("Network.enable", {"maxTotalBufferSize": options.max_bytes,
                                    "maxResourceBufferSize": options.max_bytes}),
                ("Network.setCacheDisabled", {"cacheDisabled": True}),
                ("Emulation.setDeviceMetricsOverride",
                 {"width": options.width, "height": options.height, "deviceScaleFactor": 1,
                  "mobile": False}),
                ("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True,
                                          "flatten": True})), timeout=self.remaining())

    def drain(self) -> None:
        """Handle the events that came before the page is loaded (a blank tab's, opened
        ahead), so that none of them counts as the page's."""
        assert self.events is not None
        with contextlib.suppress(queue.Empty):
            while True:
                self.recorder.handle(self.events.get_nowait())
        self.recorder.loaded = False

    def pump(self, done: Callable[[], bool], until: float) -> bool:
        """Handle events until ``done()`` or the monotonic time ``until``; say whether done."""
        assert self.events is not None
        recorder = self.recorder
        while True:
            self._check()
            if done():
                return True
            wait = min(until, self.settle_by) - time.monotonic()
            if wait <= 0:
                return False
            try:
                recorder.handle(self.events.get(timeout=min(wait, 0.05)))
            except queue.Empty:
                continue

    def _check(self) -> None:
        recorder = self.recorder
        if recorder.gone:
            raise CaptureError(None, f"the browser stopped: {recorder.gone}")
        if recorder.crashed:
            raise CaptureError(None, "the page's renderer crashed")
        if recorder.download is not None:
            raise CaptureError(None, f"the page is a download ({recorder.download}), not a "
                                     "page: nothing recorded")
        if self.proxy.log.over_limit:
            raise CaptureError(None, f"the page received more than --max-bytes "
                                     f"({self.options.max_bytes} bytes): nothing recorded")

    def idle(self) -> str:
        """Wait until nothing is in flight for ``idle`` seconds (at most ``idle_cap``)."""
        recorder, options = self.recorder, self.options
        start = time.monotonic()

        def quiet() -> bool:
            return (not recorder.inflight
                    and time.monotonic() - recorder.last_change >= options.idle)

        if self.pump(quiet, start + options.idle_cap):
            return f"idle after {time.monotonic() - start:.1f} s"
        return (f"not idle: {len(recorder.inflight)} requests still in flight after "
                f"{time.monotonic() - start:.1f} s (cap)")

    def evaluate(self, expression: str, *, promise: bool = False) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=promise)
        if "exceptionDetails" in result:
            raise CaptureError(None, f"the page refused to be read: "
                                     f"{result['exceptionDetails'].get('text', '')}")
        return result["result"].get("value")

    def close(self) -> None:
        if self.events is not None:
            self.browser.forget(self.events)
        if self.context:
            # a browser that is gone has nothing left to dispose of
            with contextlib.suppress(ProtocolError):
                self.browser.call("Target.disposeBrowserContext",
                                  browserContextId=self.context, timeout=15)
        self.proxy.close()


# down a screen at a time from the second (the first is shown), then back to the top
_SCROLL = """(async () => {
  const step = Math.max(window.innerHeight, 200);
  for (let y = step; y < document.documentElement.scrollHeight && y < %d; y += step) {
    window.scrollTo(0, y); await new Promise(r => setTimeout(r, 50));
  }
  window.scrollTo(0, 0); return document.documentElement.scrollHeight;
})()"""
_DECODED = """Promise.all(Array.from(document.images, i => i.decode().then(() => 1, () => 0)))
  .then(done => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(
    () => r(done.reduce((a, b) => a + b, 0))))))"""
# what the page shows, read at once: its rendered DOM, text, title and address
_SHOWN = ("({dom: (document.doctype ? new XMLSerializer().serializeToString(document.doctype)"
          " + '\\n' : '') + document.documentElement.outerHTML,"
          " text: document.body ? document.body.innerText : '',"
          " title: document.title, url: location.href})")


def capture_page(browser: Browser, url: str, options: BrowserOptions, *,
                 opened: _Page | None = None,
                 on_dom: Callable[[str, str], object] | None = None) -> PageCapture:
    """Load ``url`` in a fresh context of ``browser`` (or in ``opened``, a fresh context's
    blank tab opened ahead with these options) and record it; raise CaptureError (one line)
    if it cannot load, does not load in time, crashes, is a download, is refused by the
    address policy or passes --max-bytes. ``on_dom`` is called with the rendered DOM and the
    URL the page was served from as soon as they are read, before the screenshots are taken
    (a caller may start on them meanwhile)."""
    page = opened or _Page(browser, options)
    page.start_clock()
    try:
        return _capture(page, url, on_dom)
    except ProtocolError as exc:
        raise CaptureError(url, f"the browser failed: {exc}") from None
    except CaptureError as exc:
        raise CaptureError(url, exc.reason) from None
    finally:
        page.close()


def _capture(page: _Page, url: str, on_dom: Callable[[str, str], object] | None
             ) -> PageCapture:
    options, recorder = page.options, page.recorder
    started = datetime.now(UTC)
    t0 = time.monotonic()
    if not page.context:
        page.open()
    page.drain()
    navigation = page.call("Page.navigate", url=url)
    timings: dict[str, float] = {}
    if error := navigation.get("errorText"):
        page.pump(lambda: False, time.monotonic() + 0.2)  # a download or refusal says so
        refused = [r for r in page.proxy.log.refused if r.host == host_port(url)]
        if refused:
            raise CaptureError(None, f"refused: {refused[0].reason}")
        if "CERT" in error:
            raise CaptureError(None, f"the browser refused the site's certificate ({error})")
        raise CaptureError(None, f"the browser could not load it ({error})")
    if not page.pump(lambda: recorder.loaded, page.settle_by):
        pending = recorder.pending()
        waiting = f"; still loading: {_few(pending)}" if pending else ""
        raise CaptureError(None, f"the page did not finish loading in {options.timeout:g} s "
                                 f"(--timeout): nothing recorded{waiting}")
    timings["load"] = time.monotonic() - t0
    wait = {"load": f"load event after {timings['load']:.1f} s", "idle": page.idle()}
    fonts = page.evaluate("document.fonts.ready.then(() => document.fonts.status)",
                          promise=True)
    wait["fonts"] = f"fonts {fonts}"
    if options.scroll:
        height = page.evaluate(_SCROLL % 50_000, promise=True)
        wait["scroll"] = f"scrolled {height} px and back"
        wait["idle-after-scroll"] = page.idle()
    # images are decoded off the main thread: a screenshot taken before shows them blank
    decoded = page.evaluate(_DECODED, promise=True)
    wait["images"] = f"{decoded} images decoded, then two frames painted"
    timings["settled"] = time.monotonic() - t0
    main = recorder.hops.get(navigation.get("loaderId", ""), [])
    if not main or not main[-1].status:
        raise CaptureError(None, "the browser reported no response for the page")
    if main[-1].security is not None or urlsplit(main[-1].url).scheme == "https":
        certificates = page.call("Network.getCertificate", origin=_origin(main[-1].url))
    else:
        certificates = {}
    # what the page shows, read before the screenshots: the full page's resizes the view
    shown = page.evaluate(_SHOWN)
    dom, text, title, final_url = shown["dom"], shown["text"], shown["title"], shown["url"]
    if on_dom is not None:
        on_dom(dom, main[-1].url)
    viewport = page.call("Page.captureScreenshot", format="png")["data"]
    metrics = page.call("Page.getLayoutMetrics")["cssContentSize"]
    height = min(int(metrics["height"]), _FULL_PAGE_CAP)
    full = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                     clip={"x": 0, "y": 0, "width": max(int(metrics["width"]), 1),
                           "height": max(height, 1), "scale": 1})["data"]
    page.settle_by = page.deadline
    page.pump(lambda: False, time.monotonic() + 0.05)  # the events the reads raised
    page._check()
    recorder.finish()
    timings["recorded"] = time.monotonic() - t0
    for hop in recorder.order:
        hop.ip_address = page.proxy.log.peers.get(hop.host_port)
    version = page.browser.product
    return PageCapture(
        requested_url=url, final_url=final_url, main=main, hops=recorder.order,
        started=started, title=title or "", dom=dom, text=text or "",
        viewport_png=base64.b64decode(viewport), full_page_png=base64.b64decode(full),
        full_page_height=int(metrics["height"]), browser=version,
        user_agent=page.browser.user_agent, wait=wait, console=recorder.console,
        refused=[{"host": r.host, "reason": r.reason} for r in page.proxy.log.refused],
        certificates=certificates.get("tableNames", []), timings=timings)


def _few(urls: list[str], shown: int = 3) -> str:
    """The first ``shown`` of ``urls``, and how many more."""
    more = f" and {len(urls) - shown} more" if len(urls) > shown else ""
    return ", ".join(urls[:shown]) + more


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"



class Chromium:
    """A headless Chromium that captures pages with ``options``, a fresh context for each.

    It starts in the background as soon as it is made, and opens the first page's context
    and tab as well (a renderer's start, the slowest part of a page's set-up): a run's own
    start (its imports, the collection's checks) and the browser's overlap, instead of one
    waiting for the other. A failed start is raised by the first capture; ``close`` ends it
    all, at any time, from any thread."""

    def __init__(self, executable: str, options: BrowserOptions) -> None:
        self.options = options
        self._profile = tempfile.TemporaryDirectory(prefix="archiver-chromium-")
        self._browser: Browser | None = None
        self._process: subprocess.Popen[str] | None = None  # the browser's, once it runs
        self._spare: _Page | None = None
        self._error: ArchiverError | None = None
        self._left: int | None = None
        self._lock = threading.Lock()
        self._closing: threading.Thread | None = None
        self._started = threading.Thread(target=self._start, args=(executable,), daemon=True)
        self._started.start()

    def expect(self, pages: int) -> None:
        """Say how many pages this browser will capture: after the last, it is ended at once,
        in the background, while the caller writes what it got."""
        with self._lock:
            self._left = pages

    def _start(self, executable: str) -> None:
        options = self.options
        try:
            browser = Browser(executable, Path(self._profile.name),
                              capture_args(options.width, options.height,
                                           options.trusted_spki), launched=self._launched)
        except ArchiverError as exc:
            self._error = exc
            return
        self._browser = browser
        if self._closing is not None:
            return
        page = _Page(browser, options)
        try:
            page.open()
        except CaptureError:  # the page's own capture opens another, and says what fails
            page.close()
            return
        self._spare = page

    def _launched(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            self._process = process
            closing = self._closing is not None
        if closing:  # closed while it was being launched
            end_process_group(process)

    def browser(self) -> Browser:
        """The browser, once started; raise what stopped it from starting."""
        self._started.join()
        if self._browser is None:
            raise self._error or CaptureError(None, "the browser did not start")
        return self._browser

    def capture(self, url: str, on_dom: Callable[[str, str], object] | None = None
                ) -> PageCapture:
        """Load ``url`` and record it, as ``capture_page`` does."""
        browser = self.browser()
        with self._lock:
            opened, self._spare = self._spare, None
        try:
            return capture_page(browser, url, self.options, opened=opened, on_dom=on_dom)
        finally:
            with self._lock:
                if self._left is not None:
                    self._left -= 1
                    if self._left <= 0 and self._closing is None:
                        self._closing = threading.Thread(target=self._end, daemon=True)
                        self._closing.start()

    def _end(self) -> None:
        with self._lock:
            process = self._process
        if self._browser is not None:  # a tab being opened fails at once
            self._browser.close()
        elif process is not None:  # so does a start, even one that never says it listens
            end_process_group(process)
        self._started.join()
        if self._browser is not None:
            self._browser.close()
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.close()
        self._profile.cleanup()

    def close(self) -> None:
        """End the browser (at once: a page being loaded fails) and remove its profile."""
        with self._lock:
            if self._closing is None:
                self._closing = threading.Thread(target=self._end, daemon=True)
                self._closing.start()
            closing = self._closing
        closing.join()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
