"""The recording HTTP client and the address policy, against a real server on 127.0.0.1."""

from __future__ import annotations

import gzip
import threading
from itertools import pairwise

import pytest

from archiver.capture.fetch import DEFAULT_USER_AGENT, Fetcher, FetchOptions, HostThrottle
from archiver.capture.netpolicy import address_problem
from archiver.errors import CaptureError

ALLOW = FetchOptions(allow_private=True, timeout=5)


def fetch(url: str, options: FetchOptions = ALLOW) -> object:
    with Fetcher(options) as fetcher:
        return fetcher.fetch(url)


def test_redirect_hops_are_recorded_one_by_one(http_site):
    final = http_site.add("/fetch/final", "<p>here</p>")
    http_site.redirect("/fetch/second", "/fetch/final", status=301)
    first = http_site.redirect("/fetch/first", http_site.url("/fetch/second"))

    result = fetch(first)

    assert [(e.url, e.status, e.location) for e in result.exchanges] == [
        (first, 302, http_site.url("/fetch/second")),
        (http_site.url("/fetch/second"), 301, final),
        (final, 200, None),
    ]
    for exchange in result.exchanges:
        path = exchange.url.removeprefix(http_site.base)
        assert exchange.request.startswith(f"GET {path} HTTP/1.1\r\n".encode())
        assert exchange.ip_address == "127.0.0.1"
    assert result.final.response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert result.final.response.endswith(b"\r\n\r\n<p>here</p>")
    assert result.final.content_type == "text/html; charset=utf-8"


def test_user_agent_names_the_tool(http_site):
    url = http_site.add("/fetch/agent", "<p>ua</p>")
    result = fetch(url)
    assert f"User-Agent: {DEFAULT_USER_AGENT}\r\n".encode() in result.final.request
    assert dict(http_site.requests)["/fetch/agent"]["User-Agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith("archiver/")


def test_chunked_gzip_response_is_kept_as_it_came_off_the_wire(http_site):
    body = ("<p>" + "word " * 2000 + "</p>").encode()
    url = http_site.add("/fetch/chunked-gzip", body, chunked=True, gzip=True)

    raw = fetch(url).final.response

    head, _, payload = raw.partition(b"\r\n\r\n")
    assert b"\r\nTransfer-Encoding: chunked" in head
    assert b"\r\nContent-Encoding: gzip" in head
    assert payload.endswith(b"\r\n0\r\n\r\n")
    size_line, _, rest = payload.partition(b"\r\n")
    assert rest.startswith(b"\x1f\x8b")  # the first chunk holds gzip bytes, not text
    chunks, pos = [], 0
    while (size := int(payload[pos:payload.index(b"\r\n", pos)], 16)) > 0:
        start = payload.index(b"\r\n", pos) + 2
        chunks.append(payload[start:start + size])
        pos = start + size + 2
    assert gzip.decompress(b"".join(chunks)) == body
    assert int(size_line, 16) == len(chunks[0])


def test_slow_server_times_out(http_site):
    url = http_site.add("/fetch/slow", "<p>late</p>", delay=1.0)
    with pytest.raises(CaptureError, match=r"timed out: the exchange took more than "
                                           r"--timeout 0\.2 seconds") as info:
        fetch(url, FetchOptions(allow_private=True, timeout=0.2))
    assert info.value.path == url


def test_body_over_max_bytes_is_aborted(http_site):
    url = http_site.add("/fetch/big", b"x" * 2_000_000, content_type="application/octet-stream")
    with pytest.raises(CaptureError, match="max-bytes 100000"):
        fetch(url, FetchOptions(allow_private=True, timeout=5, max_bytes=100_000))


def test_refused_connection(closed_port):
    url = f"http://127.0.0.1:{closed_port}/"
    with pytest.raises(CaptureError, match=f"cannot connect to 127.0.0.1 port {closed_port}"):
        fetch(url)


def test_tls_failure_is_a_capture_error(http_site):
    url = http_site.add("/fetch/tls", "<p>plain</p>").replace("http://", "https://")
    with pytest.raises(CaptureError, match="TLS error"):
        fetch(url)


def test_loopback_is_refused_before_any_request(http_site):
    url = http_site.add("/fetch/private", "<p>secret</p>")
    with pytest.raises(CaptureError, match=r"refused address 127\.0\.0\.1 \(loopback\)"):
        fetch(url, FetchOptions(timeout=5))
    assert "/fetch/private" not in dict(http_site.requests)


def test_redirect_to_cloud_metadata_is_refused_even_when_private_is_allowed(http_site):
    url = http_site.redirect("/fetch/to-metadata", "http://169.254.169.254/latest/meta-data/")
    with pytest.raises(CaptureError, match=r"redirect to http://169\.254\.169\.254/.*metadata"):
        fetch(url)


def test_redirect_to_another_scheme_is_refused(http_site):
    url = http_site.redirect("/fetch/to-ftp", "ftp://127.0.0.1/file")
    expected = r"redirect to ftp://127\.0\.0\.1/file: only http and https"
    with pytest.raises(CaptureError, match=expected):
        fetch(url)


def test_redirect_loop_stops_at_max_redirects(http_site):
    url = http_site.redirect("/fetch/loop", "/fetch/loop")
    with pytest.raises(CaptureError, match="more than 3 redirects"):
        fetch(url, FetchOptions(allow_private=True, timeout=5, max_redirects=3))
    assert [p for p, _ in http_site.requests].count("/fetch/loop") == 4


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/", "/relative"])
def test_only_http_and_https_urls(url):
    with pytest.raises(CaptureError, match="only http and https"):
        fetch(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1/a\r\nX-Injected: 1", "http://127.0.0.1/a b"])
def test_urls_with_spaces_or_control_characters_are_refused(url):
    with pytest.raises(CaptureError, match="URL contains spaces or control characters") as info:
        fetch(url)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("address", "problem"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("192.168.0.1", "private"), ("fd12::1", "private"),
    ("169.254.1.1", "link-local"), ("fe80::1", "link-local"), ("224.0.0.1", "multicast"),
    ("169.254.169.254", "cloud metadata"), ("fd00:ec2::254", "cloud metadata"),
    ("100.64.0.1", "not globally routable"), ("93.184.215.14", None), ("2606:4700::1", None),
])
def test_address_policy(address, problem):
    assert address_problem(address) == problem
    allowed = problem if problem == "cloud metadata" else None
    assert address_problem(address, allow_private=True) == allowed


def test_one_request_at_a_time_per_host(http_site):
    urls = [http_site.add(f"/fetch/serial/{i}", "<p>s</p>", delay=0.05) for i in range(4)]
    with Fetcher(ALLOW, throttle=HostThrottle(per_host=1), pool_size=4) as fetcher:
        threads = [threading.Thread(target=fetcher.fetch, args=(url,)) for url in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    spans = http_site.times("/fetch/serial/")
    assert len(spans) == 4
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(spans))


def test_delay_spaces_requests_to_one_host(http_site):
    urls = [http_site.add(f"/fetch/polite/{i}", "<p>p</p>") for i in range(3)]
    with Fetcher(ALLOW, throttle=HostThrottle(per_host=1, delay=0.15)) as fetcher:
        for url in urls:
            fetcher.fetch(url)
    starts = [start for start, _ in http_site.times("/fetch/polite/")]
    assert len(starts) == 3
    assert all(later - earlier >= 0.15 for earlier, later in pairwise(starts))
