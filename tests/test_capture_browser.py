"""`archiver capture --browser`: Debian's headless Chromium loads pages nginx serves over HTTP
and over HTTPS with HTTP/2 (tests/browsersite.py); the WARC it makes is read back by warcio,
archiver's check-warc and jwarc's validator, and verify judges the text against the DOM."""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from browsersite import BrowserSite, browser_site  # noqa: F401 (the fixture)
from cryptography import x509
from jwarc import Jwarc, jwarc_fixture  # noqa: F401 (the fixture `jwarc`)
from test_jwarc import assert_passes
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.browser import BrowserOptions, Chromium, capture_page
from archiver.capture.cdp import INSTALL_HINT, Browser, capture_args, find_browser
from archiver.cli import main
from archiver.collection import LOCK_FILE, Collection
from archiver.errors import ArchiverError, CaptureError
from archiver.manifest import Capture, load_manifest
from archiver.warc.check import check_warc

STORY = ("Residents of the valley were evacuated before dawn, the county's emergency office "
         "said in a statement on Tuesday.")
PAGE_RESOURCES = ("index.html", "style.css", "fonts/story.ttf", "river.png", "missing.png",
                  "app.js", "story.json")


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    return Collection.init(tmp_path / "collection")


def files(collection: Collection) -> list[str]:
    return sorted(p.relative_to(collection.root).as_posix()
                  for p in collection.root.rglob("*") if p.is_file() and p.name != LOCK_FILE)


def capture(collection: Collection, capsys, *argv: str, private: bool = True
            ) -> tuple[int, str, str]:
    code = main(["capture", "--root", str(collection.root), "--browser", "--timeout", "20",
                 *(["--allow-private"] if private else []), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def only_capture(collection: Collection) -> tuple[str, Capture, Path]:
    """The one source's id, its capture and the capture's WARC."""
    (sid,) = collection.ids()
    manifest = load_manifest(collection.manifest_path(sid))
    (capture_,) = manifest.captures
    return sid, capture_, collection.resolve(capture_.warc_path)


def records(warc: Path) -> list[tuple[dict[str, str], bytes, bytes]]:
    """Every record: its WARC headers, its HTTP head (if any) and its content as stored."""
    out = []
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            head = record.http_headers.to_str().encode() if record.http_headers else b""
            headers = dict(record.rec_headers.headers)
            out.append((headers, head, record.content_stream().read()))
    return out


def pageinfo(collection: Collection, capture_: Capture) -> dict:
    warc = collection.resolve(capture_.warc_path)
    assert capture_.browser is not None
    (block,) = [body for headers, _, body in records(warc)
                if headers["WARC-Record-ID"] == capture_.browser.pageinfo.record_id]
    return json.loads(block)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_a_story_built_by_javascript_is_captured_with_every_resource(
        collection, capsys, browser_site: BrowserSite, jwarc: Jwarc):  # noqa: F811
    url = browser_site.http + "/index.html"
    code, out, err = capture(collection, capsys, url)
    assert code == 0, err
    sid, capture_, warc = only_capture(collection)
    assert out.startswith(f"{sid}: captured {url} (HTTP 200), text corpus/{sid}.txt")
    # the text is the rendered page's: the story JSON's paragraphs are in it
    text = collection.resolve(f"corpus/{sid}.txt").read_text()
    assert STORY in text and "Loading…" not in text
    assert capture_.method == "browser" and capture_.browser is not None
    assert capture_.browser.browser.name == "Chrome"  # as Browser.getVersion says
    assert capture_.browser.viewport == "1280x800"
    # every resource the page took, the 404 too, each with its response record and digest
    listed = {r.url.rsplit("/", 1)[-1] if "fonts" not in r.url else "fonts/story.ttf":
              r for r in capture_.browser.resources}
    assert set(PAGE_RESOURCES) <= set(listed)
    assert listed["missing.png"].http_status == 404
    by_id = {headers["WARC-Record-ID"]: (headers, head, body)
             for headers, head, body in records(warc)}
    for name in PAGE_RESOURCES:
        headers, head, body = by_id[listed[name].record_id]
        assert headers["WARC-Target-URI"] == f"{browser_site.http}/{name}"
        assert hashlib.sha256(body).hexdigest() == listed[name].sha256
        assert f"Content-Length: {len(body)}\r\n".encode() in head
    assert by_id[listed["story.json"].record_id][2] == (browser_site.root
                                                        / "story.json").read_bytes()
    # nginx gzipped the script: stored decoded, its coding kept under another name
    head = by_id[listed["app.js"].record_id][1]
    assert b"X-Orig-Content-Encoding: gzip" in head and b"\r\nContent-Encoding" not in head
    warcinfo = records(warc)[0][2].decode()
    assert "http-bodies: as the browser received them" in warcinfo
    assert "wait-policy: load event, then 0.5 s without a request in flight" in warcinfo
    # what the page showed, each linked to the page's response
    shown = {kind: by_id[getattr(capture_.browser, kind).record_id]
             for kind in ("screenshot", "full_page", "dom", "text", "pageinfo")}
    for kind, prefix in (("screenshot", "urn:view:"), ("full_page", "urn:fullPage:"),
                         ("dom", "urn:dom:"), ("text", "urn:text:"),
                         ("pageinfo", "urn:pageinfo:")):
        headers = shown[kind][0]
        assert headers["WARC-Type"] == "resource"
        assert headers["WARC-Target-URI"] == prefix + url
        assert headers["WARC-Concurrent-To"] == capture_.response_record_id
    assert png_size(shown["screenshot"][2]) == (1280, 800)
    assert STORY in shown["dom"][2].decode() and STORY in shown["text"][2].decode()
    info = json.loads(shown["pageinfo"][2])
    # nothing but the page's own requests: the browser's background traffic is not there
    assert {r["url"].rsplit("/", 1)[0] for r in info["resources"]} <= {
        browser_site.http, browser_site.http + "/fonts"}
    statuses = {r["url"].rsplit("/", 1)[-1]: r["status"] for r in info["resources"]}
    assert statuses["story.json"] == 200 and statuses["missing.png"] == 404
    assert any("404" in line for line in info["console"])
    # three readers agree it is whole
    assert check_warc(warc).verdict == "intact"
    warcio = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", "-v",
                             str(warc)], capture_output=True, text=True)
    assert warcio.returncode == 0
    assert warcio.stdout.count("digest pass") == len(by_id)  # warcinfo among them
    assert_passes(jwarc.validate(warc, "--forbid-extensions"))
    # verify judges the text against the rendered DOM: nothing to say
    code = main(["verify", "--root", str(collection.root), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    (document,) = report["documents"]
    assert (document["findings"], document["fidelity_score"], code) == ([], 1.0, 0)


def test_https_with_http2_is_recorded_with_its_certificate(
        collection, capsys, browser_site: BrowserSite, jwarc: Jwarc):  # noqa: F811
    url = browser_site.https + "/index.html"
    code, _, err = capture(collection, capsys, "--trust-spki", browser_site.spki, url)
    assert code == 0, err
    sid, capture_, warc = only_capture(collection)
    assert STORY in collection.resolve(f"corpus/{sid}.txt").read_text()
    info = pageinfo(collection, capture_)
    assert {r["protocol"] for r in info["resources"] if r["status"]} == {"h2"}
    cert = x509.load_pem_x509_certificate(
        (browser_site.root.parent / "cert.pem").read_bytes())
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    assert info["tls"]["certificateChain"] == [
        base64.b64encode(cert.public_bytes(Encoding.DER)).decode()]
    assert info["tls"]["protocol"].startswith("TLS 1.")
    assert f"trusted-spki: {browser_site.spki}" in records(warc)[0][2].decode()
    assert_passes(jwarc.validate(warc, "--forbid-extensions"))


def test_a_certificate_the_browser_does_not_trust_is_one_line_and_nothing_written(
        collection, capsys, browser_site: BrowserSite):  # noqa: F811
    url = browser_site.https + "/index.html"
    code, out, err = capture(collection, capsys, url)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"archiver: {url}: the browser refused the site's certificate "
        f"(net::ERR_CERT_AUTHORITY_INVALID)"]
    assert files(collection) == []


def test_a_redirect_is_recorded_hop_by_hop(collection, capsys,
                                            browser_site: BrowserSite):  # noqa: F811
    url = browser_site.http + "/old.html"
    code, _, err = capture(collection, capsys, url)
    assert code == 0, err
    _, capture_, warc = only_capture(collection)
    assert (capture_.requested_url, capture_.final_url) == (url, browser_site.http
                                                            + "/index.html")
    (hop,) = capture_.redirects
    assert (hop.url, hop.http_status) == (url, 301)
    assert hop.location == browser_site.http + "/index.html"
    by_id = {h["WARC-Record-ID"]: (h, head) for h, head, _ in records(warc)}
    assert by_id[hop.response_record_id][1].startswith(b"HTTP/1.1 301 Moved Permanently")
    assert by_id[hop.request_record_id][0]["WARC-Type"] == "request"


def test_a_story_that_comes_through_a_service_worker_is_captured(
        collection, capsys, browser_site: BrowserSite):  # noqa: F811
    code, _, err = capture(collection, capsys, browser_site.http + "/sw.html")
    assert code == 0, err
    sid, capture_, _ = only_capture(collection)
    told = (browser_site.root / "sw-source.txt").read_text().strip()
    assert told in collection.resolve(f"corpus/{sid}.txt").read_text()
    # the worker's own fetch is recorded; the page's answer from the worker is listed
    assert browser_site.http + "/sw-source.txt" in {r.url for r in capture_.browser.resources}
    info = pageinfo(collection, capture_)
    (answered,) = [r for r in info["resources"] if r["url"].endswith("/sw-story")]
    assert answered["from_service_worker"] and not answered["recorded"]


def test_a_page_that_never_finishes_loading_is_one_line_and_nothing_written(
        collection, capsys, browser_site: BrowserSite):  # noqa: F811
    url = browser_site.http + "/slow.html"
    code, out, err = capture(collection, capsys, "--timeout", "4", url)
    assert code == 1 and out == ""
    # what it was still waiting for is said: the image that trickles in
    assert err.strip().splitlines() == [
        f"archiver: {url}: the page did not finish loading in 4 s (--timeout): nothing "
        f"recorded; still loading: {browser_site.http}/slow/forever.png"]
    assert files(collection) == []


def test_a_long_page_is_scrolled_and_its_full_page_screenshot_capped(
        collection, capsys, browser_site: BrowserSite):  # noqa: F811
    code, _, err = capture(collection, capsys, browser_site.http + "/long.html")
    assert code == 0, err
    sid, capture_, warc = only_capture(collection)
    assert "The end of the long page" in collection.resolve(f"corpus/{sid}.txt").read_text()
    info = pageinfo(collection, capture_)
    assert info["full_page"]["height"] >= 20000
    (full,) = [body for h, _, body in records(warc)
               if h["WARC-Record-ID"] == capture_.browser.full_page.record_id]
    assert png_size(full) == (1280, info["full_page"]["captured"])
    assert "scrolled" in capture_.browser.waited["scroll"]


def test_loopback_is_refused_without_allow_private(collection, capsys,
                                                   browser_site: BrowserSite):  # noqa: F811
    url = browser_site.http + "/index.html"
    code, out, err = capture(collection, capsys, url, private=False)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [f"archiver: {url}: refused: 127.0.0.1 is loopback"]
    assert files(collection) == []


def test_max_bytes_holds_for_the_whole_page(collection, capsys,
                                            browser_site: BrowserSite):  # noqa: F811
    url = browser_site.http + "/index.html"
    code, out, err = capture(collection, capsys, "--max-bytes", "20000", url)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"archiver: {url}: the page received more than --max-bytes (20000 bytes): nothing "
        f"recorded"]
    assert files(collection) == []


def test_no_browser_is_one_line_saying_how_to_install_one(collection, capsys, monkeypatch,
                                                          tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = capture(collection, capsys, "http://127.0.0.1:9/")
    assert (code, out, err.strip().splitlines()) == (2, "", [f"archiver: {INSTALL_HINT}"])
    code, _, err = capture(collection, capsys, "--browser-path", str(tmp_path / "none"),
                           "http://127.0.0.1:9/")
    assert (code, err.strip().splitlines()) == (
        2, [f"archiver: {tmp_path / 'none'}: --browser-path: not an executable file"])
    assert files(collection) == []


def test_several_pages_in_tabs_of_one_browser_and_a_capture_added_by_id(
        collection, capsys, browser_site: BrowserSite):  # noqa: F811
    urls = [f"{browser_site.http}/{page}" for page in ("index.html", "long.html", "sw.html")]
    code, out, err = capture(collection, capsys, "--jobs", "3", *urls)
    assert code == 0, err
    assert len(out.splitlines()) == 3 and len(collection.ids()) == 3
    sid = next(s for s in collection.ids()
               if load_manifest(collection.manifest_path(s)).captures[0].final_url == urls[1])
    code, out, err = capture(collection, capsys, "--id", sid)
    assert code == 0, err
    manifest = load_manifest(collection.manifest_path(sid))
    assert [c.method for c in manifest.captures] == ["browser", "browser"]
    assert manifest.text is not None
    assert manifest.text.origin.capture_id == manifest.captures[0].id


def test_a_download_is_one_line_and_nothing_written(collection, capsys,
                                                    browser_site: BrowserSite):  # noqa: F811
    url = browser_site.http + "/download/river.png"
    code, out, err = capture(collection, capsys, url)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"archiver: {url}: the page is a download ({url}), not a page: nothing recorded"]
    assert files(collection) == []


def test_a_frame_of_another_site_is_recorded_with_its_resources(
        collection, capsys, browser_site: BrowserSite):  # noqa: F811
    code, _, err = capture(collection, capsys, browser_site.http + "/frame.html")
    assert code == 0, err
    _, capture_, _ = only_capture(collection)
    framed = browser_site.http.replace("127.0.0.1", "localhost")
    recorded = {r.url: r.http_status for r in capture_.browser.resources}
    # the frame runs in a renderer of its own (another site): its fetches are recorded too
    assert recorded[framed + "/index.html"] == 200
    assert recorded[framed + "/story.json"] == 200


def test_a_renderer_that_crashes_is_one_line(browser_site: BrowserSite):  # noqa: F811
    url = browser_site.http + "/slow.html"

    done = threading.Event()

    def crash(browser: Browser, before: set[str]) -> None:
        # the page never finishes loading; a second session on its tab crashes the renderer.
        # Its tab is the page target that was not there before, once it shows the page's URL.
        # A target may show the URL before its navigation commits, so that the crash reaches
        # the renderer of about:blank, which the page's then replaces (seen once, on a loaded
        # machine): crashed again each second until the capture has ended
        started = time.monotonic()
        while not done.is_set() and time.monotonic() < started + 50:
            new = [t for t in browser.call("Target.getTargets")["targetInfos"]
                   if t["type"] == "page" and t["targetId"] not in before]
            pages = [t for t in new if t["url"] == url]
            if pages:
                session = browser.call("Target.attachToTarget", targetId=pages[0]["targetId"],
                                       flatten=True)["sessionId"]
                browser.send("Page.crash", session)
                done.wait(1.0)
            else:
                time.sleep(0.1)

    with (tempfile.TemporaryDirectory() as profile,
          Browser(find_browser(), Path(profile), capture_args(1280, 800)) as browser):
        before = {t["targetId"] for t in browser.call("Target.getTargets")["targetInfos"]}
        crasher = threading.Thread(target=crash, args=(browser, before))
        crasher.start()
        try:
            with pytest.raises(CaptureError) as raised:
                capture_page(browser, url, BrowserOptions(allow_private=True, timeout=60))
        finally:
            done.set()
            crasher.join()
    assert str(raised.value) == f"{url}: the page's renderer crashed"


def test_a_page_that_never_goes_idle_is_captured_when_the_wait_is_capped(
        browser_site: BrowserSite):  # noqa: F811
    url = browser_site.http + "/busy.html"
    options = BrowserOptions(allow_private=True, timeout=20, idle_cap=1.0)
    with (tempfile.TemporaryDirectory() as profile,
          Browser(find_browser(), Path(profile), capture_args(1280, 800)) as browser):
        page = capture_page(browser, url, options)
    # what the wait found is recorded: the cap, and what was still in flight
    assert page.wait["idle"].startswith("not idle: 1 requests still in flight after")
    (trickle,) = [h for h in page.hops if h.url.endswith("/slow/forever.png")]
    assert trickle.body is None  # never finished: no body, so no response record
    assert "keeps a request open" in page.text


def test_ctrl_c_during_a_browser_capture_ends_at_once(collection, capsys,
                                                       browser_site: BrowserSite):  # noqa: F811
    """Ctrl-C while a page trickles in (a byte a second, --timeout 60): the browser is ended,
    the run stops with one line, exit 130, long before the page's deadline, nothing written."""
    import os
    import signal

    url = browser_site.http + "/slow.html"
    capture_run = subprocess.Popen(
        [sys.executable, "-m", "archiver", "capture", url, "--browser", "--allow-private",
         "--timeout", "60", "--root", str(collection.root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(4)  # the browser starts and the page begins to load (not a timing assertion)
    os.killpg(capture_run.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    _, err = capture_run.communicate(timeout=30)  # well before the page's 60 s deadline
    assert (capture_run.returncode, err) == (130, "archiver: interrupted\n")
    assert [p for p in files(collection) if p.startswith("corpus/")] == []
    assert main(["verify", "--root", str(collection.root), "--jobs", "1"]) == 0


def test_a_browser_that_cannot_start_is_one_line(collection, capsys, tmp_path: Path,
                                                 browser_site: BrowserSite):  # noqa: F811
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 1\n")
    broken.chmod(0o755)
    urls = [f"{browser_site.http}/index.html", f"{browser_site.http}/long.html"]
    code, out, err = capture(collection, capsys, "--browser-path", str(broken), *urls)
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [
        f"archiver: {broken}: did not open its DevTools port: cannot open display"]
    assert files(collection) == []


def test_a_browser_started_ahead_has_the_first_tab_open_and_ends_after_the_last_page(
        browser_site: BrowserSite):  # noqa: F811
    """Chromium starts in the background with the first page's context and tab opened (a
    capture run's imports and checks overlap them); pages are loaded one after another in
    fresh contexts; once the expected pages are captured the browser ends by itself."""
    options = BrowserOptions(allow_private=True, timeout=60)
    with Chromium(find_browser(), options) as chromium:
        chromium.expect(2)
        browser = chromium.browser()
        targets = [t for t in browser.call("Target.getTargets")["targetInfos"]
                   if t["type"] == "page"]
        contexts = browser.call("Target.getBrowserContexts")["browserContextIds"]
        # no window of its own: the one tab is the first page's, blank, in that page's context
        assert [t["url"] for t in targets] == ["about:blank"]
        assert [t["browserContextId"] for t in targets] == contexts
        first = chromium.capture(f"{browser_site.http}/index.html")
        assert browser.alive()
        second = chromium.capture(f"{browser_site.http}/index.html?again")
        ended = time.monotonic() + 30
        while browser.alive() and time.monotonic() < ended:
            time.sleep(0.05)
        assert not browser.alive()
    assert STORY in first.text and STORY in second.text
    assert second.final_url.endswith("?again")
    # each page had a context of its own (no cache shared): the second fetched every
    # resource again
    for page in (first, second):
        fetched = {h.url.split("/", 3)[3].replace("?again", "") for h in page.hops}
        assert set(PAGE_RESOURCES) <= fetched


def _running_with(text: str) -> list[int]:
    """Processes (zombies aside) whose command line holds ``text``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def test_a_browser_closed_while_it_starts_leaves_nothing_behind():
    """Ctrl-C or a usage error can end a run while its browser is still starting: the browser
    and every process it started end, and its profile is removed."""
    chromium = Chromium(find_browser(), BrowserOptions())
    profile = chromium._profile.name
    chromium.close()
    assert not Path(profile).exists()
    assert _running_with(profile) == []
    chromium.close()  # again: nothing left to do


def test_a_browser_that_hangs_as_it_starts_is_ended_by_close(tmp_path: Path):
    """A browser that never says it listens (it prints nothing and waits) holds the start:
    closing the run (Ctrl-C, a usage error) ends it and every process it started, rather than
    waiting for it."""
    hung = tmp_path / "chromium"
    hung.write_text("#!/bin/sh\nsleep 3017\n")
    hung.chmod(0o755)
    chromium = Chromium(str(hung), BrowserOptions())
    started = time.monotonic() + 30
    while not _running_with(str(hung)) and time.monotonic() < started:
        time.sleep(0.05)
    assert _running_with(str(hung))  # it runs, and has said nothing
    closing = threading.Thread(target=chromium.close)
    closing.start()
    closing.join(30)
    assert not closing.is_alive()
    assert _running_with(str(hung)) == [] and _running_with("sleep 3017") == []
    with pytest.raises(ArchiverError, match="did not open its DevTools port"):
        chromium.browser()
