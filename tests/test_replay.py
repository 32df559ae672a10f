"""`verify` of browser captures: without a browser (every record the manifest names, with its
digest) and with `--replay` (pywb replaying the WARC, unframed, in the same Chromium, every
request outside the replay refused). The negative controls are copies of a capture that lost
a resource record, as a forger who also fixed the manifest's hashes would leave them."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from browsersite import BrowserSite, browser_site  # noqa: F401 (the fixture)
from servers import PYWB_BIN, wayback
from warcio.archiveiterator import ArchiveIterator

from archiver.capture.browser import BrowserOptions, capture_page
from archiver.capture.cdp import Browser, capture_args, find_browser
from archiver.cli import main
from archiver.collection import Collection
from archiver.manifest import load_manifest, save_manifest
from archiver.replay import ReplayOptions
from archiver.warc.records import read_resource


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory,
             browser_site: BrowserSite) -> Path:  # noqa: F811
    """A collection holding one browser capture of the story page."""
    if not (PYWB_BIN / "wayback").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"pywb is not installed in {PYWB_BIN}; CI must run the replay tests")
        pytest.skip(f"pywb is not installed in {PYWB_BIN}")
    root = tmp_path_factory.mktemp("replay") / "collection"
    Collection.init(root)
    assert main(["capture", "--root", str(root), "--browser", "--allow-private",
                 browser_site.http + "/index.html"]) == 0
    return root


@pytest.fixture
def collection(captured: Path, tmp_path: Path) -> Collection:
    shutil.copytree(captured, tmp_path / "collection")
    return Collection(tmp_path / "collection")


def verify(collection: Collection, capsys, *argv: str) -> tuple[int, list[tuple[str, str, str]]]:
    """Exit code and every finding (code, message, path) of the one source."""
    code = main(["verify", "--root", str(collection.root), "--format", "json",
                 "--pywb", str(PYWB_BIN), *argv])
    (document,) = json.loads(capsys.readouterr().out)["documents"]
    return code, [(f["code"], f["message"], f["path"]) for f in document["findings"]]


def drop_record(collection: Collection, url_end: str, *, from_manifest: bool,
                kinds: tuple[str, ...] = ("request", "response")) -> str:
    """Remove the response (and request) of the URL ending ``url_end`` from the WARC, and fix
    the manifest's hashes of it (with ``from_manifest``, its resource entry too); return the
    URL."""
    (sid,) = collection.ids()
    manifest = load_manifest(collection.manifest_path(sid))
    (capture,) = manifest.captures
    warc = collection.resolve(capture.warc_path)
    data = warc.read_bytes()
    kept, url = [], ""
    with warc.open("rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            target = record.rec_headers.get_header("WARC-Target-URI") or ""
            record.raw_stream.read()
            start, length = records.get_record_offset(), records.get_record_length()
            if record.rec_type in kinds and target.endswith(url_end):
                url = target
                continue
            kept.append(data[start:start + length])
    warc.write_bytes(b"".join(kept))
    digest = hashlib.sha256(warc.read_bytes()).hexdigest()
    entry = manifest.file(capture.warc_path)
    entry.sha256, entry.size = digest, warc.stat().st_size
    capture.warc_sha256 = digest
    if from_manifest:
        assert capture.browser is not None
        capture.browser.resources = [r for r in capture.browser.resources if r.url != url]
    save_manifest(collection.manifest_path(sid), manifest)
    return url


def test_the_replay_is_pixel_and_text_identical(collection, capsys):
    code, findings = verify(collection, capsys, "--replay")
    assert (code, findings) == (0, [])


def test_a_resource_record_removed_is_found_without_a_browser_and_in_replay(collection,
                                                                             capsys):
    url = drop_record(collection, "/story.json", from_manifest=False)
    (sid,) = collection.ids()
    warc = load_manifest(collection.manifest_path(sid)).captures[0].warc_path
    _, findings = verify(collection, capsys)
    missing = [f for f in findings if f[0] == "capture-record-missing"]
    assert len(missing) == 1 and f"({url})" in missing[0][1] and missing[0][2] == warc
    code, findings = verify(collection, capsys, "--replay")
    codes = {f[0] for f in findings}
    assert code == 1
    assert {"replay-resource-missing", "replay-text-differs"} <= codes
    (gone,) = [f for f in findings if f[0] == "replay-resource-missing"]
    assert gone[1].endswith(f"{url} was recorded but the replay does not have it")
    assert gone[2] == warc
    (text,) = [f for f in findings if f[0] == "replay-text-differs"]
    assert "line(s) missing" in text[1]


def test_an_image_removed_with_its_manifest_entry_is_caught_by_the_screenshot(collection,
                                                                              capsys):
    drop_record(collection, "/river.png", from_manifest=True)
    _, findings = verify(collection, capsys, "--replay")
    shots = [f for f in findings if f[0] == "replay-screenshot-differs"]
    assert len(shots) == 1, findings
    (shot,) = shots
    assert "of the screenshot's pixels differ" in shot[1]
    assert "(the same browser version)" in shot[1]
    # its text is the same: the screenshot, not a score alone, says what is gone
    assert "replay-text-differs" not in {f[0] for f in findings}


def test_a_capture_whose_text_record_is_gone_cannot_be_replayed(collection, capsys):
    (sid,) = collection.ids()
    capture = load_manifest(collection.manifest_path(sid)).captures[0]
    assert capture.browser is not None
    drop_record(collection, capture.browser.text.uri, from_manifest=False, kinds=("resource",))
    code, findings = verify(collection, capsys, "--replay")
    assert code == 1
    assert ("replay-failed", f"capture {capture.id}: no record {capture.browser.text.record_id}",
            capture.warc_path) in findings


def test_a_request_that_leaves_the_replay_is_refused_and_reported(
        tmp_path, capsys, browser_site: BrowserSite, captured):  # noqa: F811
    collection = Collection.init(tmp_path / "collection")
    assert main(["capture", "--root", str(collection.root), "--browser", "--allow-private",
                 browser_site.http + "/escape.html"]) == 0
    capsys.readouterr()
    (sid,) = collection.ids()
    capture = load_manifest(collection.manifest_path(sid)).captures[0]
    code, findings = verify(collection, capsys, "--replay")
    assert code == 1
    assert ("replay-request-escaped", f"capture {capture.id}: the replay asked 127.0.0.1:9, "
            "outside the archive (refused)", capture.warc_path) in findings


def test_a_screenshot_not_the_one_recorded_is_found_without_a_browser(collection, capsys):
    (sid,) = collection.ids()
    manifest = load_manifest(collection.manifest_path(sid))
    capture = manifest.captures[0]
    assert capture.browser is not None
    recorded = capture.browser.screenshot.sha256
    capture.browser.screenshot.sha256 = "0" * 64  # the manifest claims another screenshot
    save_manifest(collection.manifest_path(sid), manifest)
    code, findings = verify(collection, capsys)
    assert code == 1
    assert ("capture-mismatch", f"capture {capture.id}: record "
            f"{capture.browser.screenshot.record_id} holds sha256:{recorded}, the manifest "
            f"says sha256:{'0' * 64}", capture.warc_path) in findings


def test_the_report_shows_the_screenshot_beside_the_text(collection, capsys, tmp_path):
    (sid,) = collection.ids()
    capture = load_manifest(collection.manifest_path(sid)).captures[0]
    assert capture.browser is not None
    out = tmp_path / "report.html"
    assert main(["report", "--root", str(collection.root), "--output", str(out)]) == 0
    page = lxml.html.fromstring(out.read_text())
    (shown,) = page.cssselect("div.shown")
    (img,) = shown.cssselect("img")
    png = base64.b64decode(img.get("src").removeprefix("data:image/png;base64,"))
    assert hashlib.sha256(png).hexdigest() == capture.browser.screenshot.sha256
    (text,) = shown.cssselect("pre")
    assert "Residents of the valley were evacuated before dawn" in text.text_content()


def test_an_exported_wacz_replays_the_page_with_its_resources_in_pywb(collection, tmp_path):
    (sid,) = collection.ids()
    capture = load_manifest(collection.manifest_path(sid)).captures[0]
    assert capture.browser is not None
    wacz = tmp_path / "export.wacz"
    assert main(["export", "wacz", str(wacz), "--root", str(collection.root)]) == 0
    with zipfile.ZipFile(wacz) as zf:
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()][1:]
        index = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("indexes/"))
    assert [p["url"] for p in pages] == [capture.requested_url]
    # the screenshot is indexed under its urn:view: URL, where ReplayWeb.page looks for it
    assert f"urn:view:{capture.final_url}".encode() in index
    # pywb loads the package as `wb-manager add --unpack-wacz` does, unframed; Chromium
    # replays the page from it, every request elsewhere refused
    (tmp_path / "pywb").mkdir()
    (tmp_path / "pywb" / "config.yaml").write_text("framed_replay: false\n")
    with (wayback(tmp_path / "pywb", [wacz], coll="export", unpack_wacz=True) as replay,
          tempfile.TemporaryDirectory() as profile,
          Browser(find_browser(), Path(profile), capture_args(1280, 800)) as browser):
        url = f"{replay.base}/export/{capture.captured_at:%Y%m%d%H%M%S}/{capture.final_url}"
        # as long as verify --replay gives a page (ReplayOptions): a cold pywb answers its
        # first requests slowly, the more so on a loaded machine
        page = capture_page(browser, url, BrowserOptions(
            allow_private=True, confine_to=urlsplit(replay.base).netloc,
            timeout=ReplayOptions.timeout))
    assert page.refused == [], page.wait
    statuses = {h.url.split("/", 5)[-1]: h.status for h in page.hops}
    for resource in capture.browser.resources:
        if resource.http_status < 400:
            assert statuses.get(resource.url) == 200, (resource.url, page.wait, statuses)
    recorded = read_resource(collection.resolve(capture.warc_path),
                             capture.browser.text.record_id).decode()
    assert page.text.strip() == recorded.strip()


def test_an_https_http2_capture_replays_pixel_and_text_identical(
        tmp_path, capsys, browser_site: BrowserSite, captured):  # noqa: F811
    collection = Collection.init(tmp_path / "collection")
    assert main(["capture", "--root", str(collection.root), "--browser", "--allow-private",
                 "--trust-spki", browser_site.spki, browser_site.https + "/index.html"]) == 0
    capsys.readouterr()
    assert verify(collection, capsys, "--replay") == (0, [])


def test_the_report_shows_where_a_replay_differs(collection, capsys, tmp_path):
    """report --replay: the replay's screenshot differs (the image removed), and the one-page
    report shows where, as an image beside the finding; without --replay, no such image."""
    drop_record(collection, "/river.png", from_manifest=True)
    page = tmp_path / "report.html"
    assert main(["report", "--root", str(collection.root), "--output", str(page), "--replay",
                 "--pywb", str(PYWB_BIN)]) == 0
    html = page.read_text("utf-8")
    assert "replay-screenshot-differs" in html
    [image] = re.findall(r'<figure class="replay-diff"><img src="data:image/png;base64,'
                         r'([A-Za-z0-9+/=]+)"', html)
    from PIL import Image

    shown = Image.open(io.BytesIO(base64.b64decode(image))).convert("RGB")
    colours = shown.getcolors(shown.size[0] * shown.size[1]) or []
    reds = sum(n for n, colour in colours if colour == (220, 0, 0))
    assert reds > 0  # the differing pixels are marked
    plain = tmp_path / "plain.html"
    assert main(["report", "--root", str(collection.root), "--output", str(plain)]) == 0
    assert 'class="replay-diff"' not in plain.read_text("utf-8")
    capsys.readouterr()
    assert main(["report", "--root", str(collection.root), "--output", str(tmp_path / "dir"),
                 "--replay"]) == 2
    assert "--replay shows its images in a one-page report" in capsys.readouterr().err
