"""Tests for archiver.capture.memento (``capture --from-archive``): pywb on 127.0.0.1 replaying a
WARC warcio wrote with two versions of a real page, asked through its Memento TimeGate."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from exchange_files import warcio_warc
from servers import REAL_PAGES, Wayback, wayback

from archiver.capture.memento import raw_url, timegate_url
from archiver.cli import main
from archiver.collection import Collection
from archiver.manifest import load_manifest
from archiver.warc.records import read_response

URL = "https://example.org/news/story"
MAY = (REAL_PAGES / "gregoryszorc.com-750955e5.html").read_bytes()
AUGUST = MAY.replace(b"</body>", b"<p>A correction added in August.</p></body>")


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Iterator[Wayback]:
    folder = tmp_path_factory.mktemp("pywb")
    warc = warcio_warc(folder / "story.warc.gz", URL, MAY, date="2024-05-01T10:00:00Z",
                       extra=((URL, AUGUST, "2024-08-01T10:00:00Z"),))
    with wayback(folder / "site", [warc]) as server:
        yield server


@pytest.fixture
def root(tmp_path: Path) -> Path:
    assert main(["init", "--root", str(tmp_path / "c")]) == 0
    return tmp_path / "c"


def pywb_digests(archive: Wayback) -> dict[str, str]:
    """pywb's own index of URL: timestamp -> payload digest (sha1, base32)."""
    with urllib.request.urlopen(f"{archive.base}/coll/cdx?url={URL}&output=json",
                                timeout=30) as answer:
        rows = [json.loads(line) for line in answer.read().decode().splitlines() if line]
    return {row["timestamp"]: row["digest"] for row in rows}


def test_raw_memento_urls() -> None:
    assert timegate_url("http://a/coll", URL) == f"http://a/coll/{URL}"
    assert (raw_url(f"http://a/coll/20240501100000mp_/{URL}")
            == f"http://a/coll/20240501100000id_/{URL}")
    assert raw_url(f"http://a/web/2024/{URL}") == f"http://a/web/2024id_/{URL}"
    assert raw_url("http://a/memento/42") == "http://a/memento/42"


def test_a_capture_from_the_archive_is_the_original_as_archived(archive, root, capsys) -> None:
    assert main(["capture", URL, "--from-archive", archive.timegate, "--at",
                 "2024-05-01T12:00:00Z", "--allow-private", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"{URL} as archived by {archive.timegate} at 2024-05-01T10:00:00Z" in out
    [source_id] = Collection(root).ids()
    manifest = load_manifest(Collection(root).manifest_path(source_id))
    [capture] = manifest.captures
    memento = capture.memento
    assert memento is not None and memento.archive == archive.timegate
    assert memento.original_url == URL and memento.memento_datetime.isoformat() == \
        "2024-05-01T10:00:00+00:00"
    assert memento.raw_url == f"{archive.timegate}20240501100000id_/{URL}"
    assert capture.final_url == memento.raw_url and manifest.metadata.url.value == URL
    # the negotiation is in the WARC as a hop, then the raw memento, byte for byte
    [negotiation] = capture.redirects
    assert negotiation.url == timegate_url(archive.timegate, URL)
    response = read_response(root / capture.warc_path, capture.response_record_id)
    assert response.body == MAY
    sha1 = base64.b32encode(hashlib.sha1(response.body).digest()).decode()
    assert pywb_digests(archive)["20240501100000"] == sha1
    assert capture.payload_digest == "sha256:" + hashlib.sha256(MAY).hexdigest()
    assert [h.action for h in manifest.history] == ["captured", "extracted"]
    for entry in manifest.history:  # the WARC and the text, each said to be the archive's copy
        assert f"as archived by {archive.timegate} at 2024-05-01T10:00:00Z" in entry.reason
    assert main(["verify", "--root", str(root)]) == 0


def test_an_existing_source_gains_the_latest_memento(archive, root, tmp_path, capsys) -> None:
    text = tmp_path / "story.txt"
    text.write_text("A text received before the page was archived.\n", "utf-8")
    assert main(["add", str(text), "--url", URL, "--id", "story", "--root", str(root)]) == 0
    assert main(["capture", "--id", "story", "--from-archive", archive.timegate,
                 "--allow-private", "--root", str(root)]) == 0
    manifest = load_manifest(Collection(root).manifest_path("story"))
    [capture] = manifest.captures
    assert capture.memento.memento_datetime.month == 8 and capture.memento.accept_datetime is None
    assert read_response(root / capture.warc_path, capture.response_record_id).body == AUGUST
    sha1 = base64.b32encode(hashlib.sha1(AUGUST).digest()).decode()
    assert pywb_digests(archive)["20240801100000"] == sha1
    assert manifest.text.origin.kind == "received" and manifest.capture_pending is None


def test_a_server_that_is_no_timegate_is_refused(http_site, root, capsys) -> None:
    http_site.add("/plain/" + URL, "<p>no archive here</p>", status=404)
    assert main(["capture", URL, "--from-archive", http_site.url("/plain/"),
                 "--allow-private", "--root", str(root)]) == 1
    assert "not a Memento TimeGate: HTTP 404" in capsys.readouterr().err
    assert Collection(root).ids() == []


def test_a_page_without_memento_datetime_is_no_memento(http_site, root, capsys) -> None:
    page = http_site.add("/not-a-memento", "<p>a page, not a memento</p>")
    http_site.add("/gate/" + URL, "<p>a page</p>", headers={"Link": f'<{page}>; rel="memento"'})
    assert main(["capture", URL, "--from-archive", http_site.url("/gate/"),
                 "--allow-private", "--root", str(root)]) == 1
    assert "HTTP 200 without Memento-Datetime: not a memento" in capsys.readouterr().err
    assert Collection(root).ids() == []


def test_at_needs_an_archive_and_a_zone(root, capsys) -> None:
    assert main(["capture", URL, "--at", "2024-05-01T12:00:00Z", "--root", str(root)]) == 2
    assert "give --from-archive" in capsys.readouterr().err
    assert main(["capture", URL, "--from-archive", "http://127.0.0.1:9/", "--at",
                 "2024-05-01", "--root", str(root)]) == 2
    assert "give the zone too" in capsys.readouterr().err


def test_a_timegate_that_redirects_names_its_memento(http_site, root, capsys) -> None:
    """Wayback's style: the TimeGate answers 302 to the memento at the archive; it is then
    fetched raw."""
    chosen = http_site.url(f"/wayback/20240801100000/{URL}")
    http_site.redirect("/wayback/" + URL, chosen)
    http_site.add(f"/wayback/20240801100000id_/{URL}", AUGUST,
                  headers={"Memento-Datetime": "Thu, 01 Aug 2024 10:00:00 GMT"})
    assert main(["capture", URL, "--from-archive", http_site.url("/wayback/"),
                 "--allow-private", "--root", str(root)]) == 0
    [source_id] = Collection(root).ids()
    [capture] = load_manifest(Collection(root).manifest_path(source_id)).captures
    assert capture.memento.memento_url == chosen
    assert capture.memento.raw_url == http_site.url(f"/wayback/20240801100000id_/{URL}")
    assert capture.memento.original_url == URL
    assert [hop.http_status for hop in capture.redirects] == [302]
    assert read_response(root / capture.warc_path, capture.response_record_id).body == AUGUST
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def test_a_memento_named_at_another_host_is_not_fetched(archive, http_site, root,
                                                        capsys) -> None:
    """A TimeGate that sends the client elsewhere (another port is another origin) is refused
    in one line, before anything is asked there."""
    elsewhere = f"{archive.timegate}20240801100000/{URL}"
    http_site.redirect("/elsewhere/" + URL, elsewhere)
    http_site.add("/linked/" + URL, "<p>a page</p>",
                  headers={"Link": f'<{elsewhere}>; rel="memento"'})
    before = (archive.root / "wayback.log").read_text()
    for gate in ("/elsewhere/", "/linked/"):
        assert main(["capture", URL, "--from-archive", http_site.url(gate),
                     "--allow-private", "--root", str(root)]) == 1
        err = capsys.readouterr().err
        assert err.strip().count("\n") == 0
        assert f"{elsewhere}: the memento the TimeGate named is not at the archive" in err
    assert (archive.root / "wayback.log").read_text() == before
    assert Collection(root).ids() == []


LIVE = "/live-origin"  # the "live" site's paths on http_site: no request may reach them


@pytest.fixture(scope="module")
def redirects(tmp_path_factory, http_site) -> Iterator[Wayback]:
    """pywb replaying a WARC warcio wrote of a "live" site on http_site: an archived 301 to
    an archived page, and an archived 302 (relative Location) to a page never archived."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    folder = tmp_path_factory.mktemp("pywb-redirects")
    live = http_site.url(LIVE)
    warc = folder / "redirects.warc.gz"
    with warc.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for path, status, headers, body, date in (
                ("/moved", "301 Moved Permanently", [("Location", f"{live}/story")], b"",
                 "2024-05-01T10:00:00Z"),
                ("/story", "200 OK", [("Content-Type", "text/html; charset=utf-8")], MAY,
                 "2024-05-01T10:00:01Z"),
                ("/gone", "302 Found", [("Location", f"{LIVE}/never-archived")], b"",
                 "2024-05-01T10:00:02Z")):
            http = StatusAndHeaders(status, [*headers, ("Content-Length", str(len(body)))],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                live + path, "response", payload=io.BytesIO(body), http_headers=http,
                warc_headers_dict={"WARC-Date": date}))
    with wayback(folder / "site", [warc]) as server:
        yield server


def live_requests(http_site) -> list[str]:
    return [path for path, _ in http_site.requests if path.startswith(LIVE)]


def test_an_archived_redirect_is_resolved_as_a_memento(redirects, http_site, root,
                                                       capsys) -> None:
    """pywb answers the archived 301 in id_ mode with the raw Location of the live site; its
    target is asked of the archive, and the live site hears nothing."""
    moved = http_site.url(f"{LIVE}/moved")
    assert main(["capture", moved, "--from-archive", redirects.timegate, "--at",
                 "2024-05-01T10:00:00Z", "--allow-private", "--root", str(root)]) == 0
    assert live_requests(http_site) == []
    [source_id] = Collection(root).ids()
    manifest = load_manifest(Collection(root).manifest_path(source_id))
    [capture] = manifest.captures
    story = http_site.url(f"{LIVE}/story")
    assert capture.memento.original_url == story
    assert capture.memento.raw_url.startswith(redirects.timegate)
    assert capture.memento.raw_url.endswith(f"id_/{story}")
    assert [hop.http_status for hop in capture.redirects][-1] == 301
    assert all(hop.url.startswith(redirects.base) for hop in capture.redirects)
    assert read_response(root / capture.warc_path, capture.response_record_id).body == MAY
    capsys.readouterr()
    assert main(["verify", "--root", str(root)]) == 0


def test_an_archived_redirect_to_a_page_not_archived_is_refused(redirects, http_site, root,
                                                                 capsys) -> None:
    gone = http_site.url(f"{LIVE}/gone")
    assert main(["capture", gone, "--from-archive", redirects.timegate, "--allow-private",
                 "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"id_/{http_site.url(LIVE)}/never-archived" in err and "not a memento" in err
    assert live_requests(http_site) == []
    assert Collection(root).ids() == []
