"""``verify --replay``: each browser capture replayed in pywb, in the same Chromium, and
compared with what was recorded.

pywb (its own virtualenv, ARCHIVER_PYWB) replays the capture WARCs unframed
(``framed_replay: false``: a framed top frame changes the screenshot). The page is loaded and
recorded as a capture is (capture.browser), in a context whose proxy lets it reach the pywb
server and nothing else: every other request is refused and reported. Four findings, never a
pixel score alone: requests that left the replay, resources recorded 2xx/3xx that the replay
did not have, a text that differs from the recorded ``urn:text:``, and a screenshot that
differs from the recorded ``urn:view:`` (with the share of pixels and their bounding box).
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from archiver.capture.browser import BrowserOptions, PageCapture, capture_page
from archiver.capture.cdp import Browser, capture_args, find_browser
from archiver.collection import Collection
from archiver.errors import ArchiverError, CaptureError
from archiver.findings import Finding
from archiver.manifest import Capture, load_manifest
from archiver.warc.records import WarcError, read_resource

_COLL = "replay"
_START = 60.0  # seconds for pywb to index and open its port


@dataclass(frozen=True)
class ReplayOptions:
    """Where pywb is (its bin/), which Chromium, and each page's deadline."""

    pywb: Path
    browser_path: str | None = None
    timeout: float = 60.0  # a cold pywb answers its first requests slowly


def pywb_bin(given: str | None = None) -> Path:
    """pywb's bin/ folder: ``given``, else $ARCHIVER_PYWB; raise ArchiverError if it holds no
    ``wayback``."""
    path = Path(given or os.environ.get("ARCHIVER_PYWB", ""))
    if not str(path) or not (path / "wayback").is_file():
        raise ArchiverError(str(path) or None,
                            "verify --replay needs pywb: python3 -m venv .pywb && .pywb/bin/pip "
                            "install pywb, then set ARCHIVER_PYWB=.pywb/bin")
    return path


@dataclass(frozen=True)
class _Pywb:
    base: str  # http://127.0.0.1:PORT
    address: str  # 127.0.0.1:PORT

    def url(self, capture: Capture) -> str:
        """The unframed replay URL of ``capture``'s page at its capture time."""
        return f"{self.base}/{_COLL}/{capture.captured_at:%Y%m%d%H%M%S}/{capture.final_url}"

    def original(self, url: str) -> str | None:
        """The archived URL a replay URL asks for (None: not a replay URL)."""
        prefix = f"{self.base}/{_COLL}/"
        if not url.startswith(prefix):
            return None
        rest = url[len(prefix):]
        stamp, _, target = rest.partition("/")
        return target if stamp[:14].isdigit() else None


@contextmanager
def _pywb(bin_dir: Path, warcs: list[Path]) -> Iterator[_Pywb]:
    with tempfile.TemporaryDirectory(prefix="archiver-pywb-") as folder:
        root = Path(folder)
        manager = str(bin_dir / "wb-manager")
        for command in (["init", _COLL], ["add", _COLL, *map(str, warcs)]):
            done = subprocess.run([manager, *command], cwd=root, capture_output=True,
                                  text=True, timeout=600)
            if done.returncode != 0:
                said = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise ArchiverError(manager, f"pywb could not index the WARCs: {said}")
        (root / "config.yaml").write_text("framed_replay: false\n")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        log = (root / "wayback.log").open("wb")
        process = subprocess.Popen([str(bin_dir / "wayback"), "-p", str(port), "-b",
                                    "127.0.0.1", "-d", str(root)], cwd=root,
                                   stdout=subprocess.DEVNULL, stderr=log)
        try:
            _await(process, port, root / "wayback.log")
            yield _Pywb(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def _await(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + _START
    while process.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    said = log.read_text(errors="replace").strip().splitlines()
    raise ArchiverError("wayback", f"pywb did not start: {said[-1] if said else 'no output'}")


def replay_findings(collection: Collection, source_ids: list[str], options: ReplayOptions,
                    images: dict[str, bytes] | None = None) -> dict[str, list[Finding]]:
    """Replay every browser capture of the sources ``source_ids``; return the findings of
    each source that has any. ``images``, if given, gets a PNG for each capture whose
    replayed screenshot differs (by capture id): the replay, dimmed, the differing pixels red."""
    captures = []
    for sid in source_ids:
        manifest = load_manifest(collection.manifest_path(sid))
        captures += [(sid, c) for c in manifest.captures if c.browser is not None]
    if not captures:
        return {}
    warcs = list(dict.fromkeys(collection.resolve(c.warc_path) for _, c in captures))
    executable = find_browser(options.browser_path)
    found: dict[str, list[Finding]] = {}
    present = [w for w in warcs if w.is_file()]
    with (_pywb(options.pywb, present) as pywb,
          tempfile.TemporaryDirectory(prefix="archiver-chromium-") as profile,
          Browser(executable, Path(profile), capture_args(1280, 800)) as browser):
        for sid, capture in captures:
            findings = _replay_one(collection, browser, pywb, capture, options, images)
            if findings:
                found.setdefault(sid, []).extend(findings)
    return found


def _replay_one(collection: Collection, browser: Browser, pywb: _Pywb, capture: Capture,
                options: ReplayOptions, images: dict[str, bytes] | None = None
                ) -> list[Finding]:
    assert capture.browser is not None
    where = capture.warc_path
    warc = collection.resolve(where)
    width, _, height = capture.browser.viewport.partition("x")
    page_options = BrowserOptions(timeout=options.timeout, allow_private=True,
                                  width=int(width), height=int(height),
                                  confine_to=pywb.address)
    try:
        recorded_text = read_resource(warc, capture.browser.text.record_id).decode("utf-8")
        recorded_view = read_resource(warc, capture.browser.screenshot.record_id)
        try:
            replayed = capture_page(browser, pywb.url(capture), page_options)
        except CaptureError:
            # a replay that did not load (pywb's first answers are slow, a tab that stalls)
            # says nothing of the capture yet: it is tried once more before it is reported
            replayed = capture_page(browser, pywb.url(capture), page_options)
    except (CaptureError, WarcError) as exc:
        return [Finding("replay-failed", f"capture {capture.id}: {exc.reason}", path=where)]
    findings = _escaped(capture, pywb, replayed, where)
    findings += _missing(capture, pywb, replayed, where)
    if (diff := _text_difference(recorded_text, replayed.text)) is not None:
        findings.append(Finding("replay-text-differs", f"capture {capture.id}: {diff}",
                                path=where))
    same_browser = replayed.browser.partition("/")[2] == capture.browser.browser.version
    if (found := _pixel_difference(recorded_view, replayed.viewport_png)) is not None:
        diff, image = found
        if images is not None and image is not None:
            images[capture.id] = image
        versions = ("the same browser version" if same_browser else
                    f"recorded with {capture.browser.browser.version}, replayed with "
                    f"{replayed.browser.partition('/')[2]}")
        findings.append(Finding("replay-screenshot-differs",
                                f"capture {capture.id}: {diff} ({versions})", path=where))
    return findings


def _escaped(capture: Capture, pywb: _Pywb, replayed: PageCapture,
             where: str) -> list[Finding]:
    """Requests that left the replay: refused by its proxy, or made to another server."""
    hosts = {r["host"] for r in replayed.refused}
    hosts |= {urlsplit(h.url).netloc for h in replayed.hops
              if not h.url.startswith(pywb.base + "/")}
    return [Finding("replay-request-escaped", f"capture {capture.id}: the replay asked "
                    f"{host}, outside the archive (refused)", path=where)
            for host in sorted(hosts)]


def _missing(capture: Capture, pywb: _Pywb, replayed: PageCapture,
             where: str) -> list[Finding]:
    """Resources recorded 2xx/3xx that the replay asked for and pywb did not have."""
    assert capture.browser is not None
    good = {r.url for r in capture.browser.resources if r.http_status < 400}
    missing = set()
    for hop in replayed.hops:
        original = pywb.original(hop.url)
        if original in good and (hop.status >= 400 or not hop.status):
            missing.add(original)
    return [Finding("replay-resource-missing", f"capture {capture.id}: {url} was recorded but "
                    f"the replay does not have it", path=where) for url in sorted(missing)]


def _text_difference(recorded: str, replayed: str) -> str | None:
    """None if the texts are the same (line ends and trailing space aside), else a summary."""
    old = [line.rstrip() for line in recorded.strip().splitlines()]
    new = [line.rstrip() for line in replayed.strip().splitlines()]
    if old == new:
        return None
    import difflib

    lost = [line for line in difflib.ndiff(old, new) if line.startswith("- ")]
    gained = [line for line in difflib.ndiff(old, new) if line.startswith("+ ")]
    first = (lost or gained)[0][2:]
    return (f"the replayed text differs from the recorded one: {len(lost)} line(s) missing, "
            f"{len(gained)} added; first: {first[:80]!r}")


def _pixel_difference(recorded: bytes, replayed: bytes) -> tuple[str, bytes | None] | None:
    """None if the screenshots are pixel-identical, else the share of differing pixels and
    their bounding box, and an image of where they differ (None if the sizes differ)."""
    if recorded == replayed:
        return None
    from PIL import Image, ImageChops

    old = Image.open(io.BytesIO(recorded)).convert("RGB")
    new = Image.open(io.BytesIO(replayed)).convert("RGB")
    if old.size != new.size:
        return (f"the replayed screenshot is {new.size[0]}x{new.size[1]}, not "
                f"{old.size[0]}x{old.size[1]}", None)
    diff = ImageChops.difference(old, new).convert("L")
    box = diff.getbbox()
    if box is None:
        return None
    changed = sum(diff.point(lambda v: 255 if v else 0).histogram()[1:])
    share = changed / (old.size[0] * old.size[1])
    mask = diff.point(lambda v: 255 if v else 0)
    shown = Image.blend(new, Image.new("RGB", new.size, "white"), 0.6)  # the replay, dimmed
    shown.paste(Image.new("RGB", new.size, (220, 0, 0)), mask=mask)
    png = io.BytesIO()
    shown.save(png, format="PNG")
    return (f"{share:.2%} of the screenshot's pixels differ ({changed} pixels), within "
            f"x {box[0]}-{box[2]}, y {box[1]}-{box[3]}", png.getvalue())

