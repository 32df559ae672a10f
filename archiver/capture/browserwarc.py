"""A browser capture as WARC records: every exchange the page made, then what it showed.

Each hop becomes a request and a response record written in HTTP/1.1 form (an HTTP/2 or
HTTP/3 response too; its protocol is in the page info). Bodies are as the browser received
them, decoded: ``Content-Encoding``, ``Transfer-Encoding`` and ``Content-Length`` are kept as
``X-Orig-*`` headers and ``Content-Length`` is the stored body's, as warcinfo states. Then
resource records linked to the page's response by WARC-Concurrent-To: ``urn:view:`` (the
viewport PNG), ``urn:fullPage:``, ``urn:dom:`` (the rendered DOM), ``urn:text:`` (its
innerText) and ``urn:pageinfo:`` (JSON: every resource, TLS chain, console errors, timings).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

from archiver.capture.browser import BrowserOptions, PageCapture
from archiver.capture.recorder import Hop
from archiver.manifest import BrowserCapture, BrowserRecord, BrowserResource, Exchange, Tool
from archiver.warc.records import RecordSpec, build_records, new_record_id, read_back

# the resource records of a page, in the order written: (urn prefix, Content-Type)
VIEW, FULL_PAGE, DOM, TEXT, PAGEINFO = "view", "fullPage", "dom", "text", "pageinfo"
_RESOURCES = ((VIEW, "image/png"), (FULL_PAGE, "image/png"),
              (DOM, "text/html; charset=utf-8"), (TEXT, "text/plain; charset=utf-8"),
              (PAGEINFO, "application/json"))
_RENAMED = ("content-encoding", "transfer-encoding", "content-length")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
BODIES = ("as the browser received them: content and transfer coding removed; the original "
          "Content-Encoding, Transfer-Encoding and Content-Length are kept as X-Orig-*, and "
          "Content-Length is the stored body's; redirect bodies are not kept (length 0)")
PAYLOAD = "sha256 of the HTTP body as stored (decoded, as the browser received it)"


def urn(kind: str, url: str) -> str:
    """The target URI of a page's resource record of ``kind`` (view, fullPage, ...)."""
    return f"urn:{kind}:{url}"


@dataclass(frozen=True)
class BrowserWarc:
    """A browser capture serialised: the WARC's bytes, the page's hops with their record
    ids, and the manifest's account of it."""

    data: bytes
    main: list[tuple[Hop, str, str]]  # the page's hops: (hop, request id, response id)
    browser: BrowserCapture
    redirects: list[Exchange]


def build_browser_warc(page: PageCapture, filename: str, options: BrowserOptions,
                       info: Mapping[str, str]) -> BrowserWarc:
    """Serialise ``page`` as a WARC (``info`` added to warcinfo) and read it back."""
    specs: list[RecordSpec] = []
    ids: dict[int, tuple[str, str]] = {}  # id(hop) -> (request id, response id)
    resources, listed = [], []
    for hop in page.hops:
        entry = _listing(hop)
        listed.append(entry)
        if not hop.status or hop.from_service_worker:
            entry["recorded"] = False
            continue
        if hop.body is None and hop.status not in _REDIRECTS and hop.status not in (204, 304):
            entry["recorded"] = False
            entry["note"] = "the browser kept no body"
            continue
        body = hop.body or b""
        request_id, response_id = new_record_id(), new_record_id()
        ids[id(hop)] = (request_id, response_id)
        specs.append(RecordSpec("response", hop.url, hop.started, _response(hop, body),
                                "application/http;msgtype=response", response_id,
                                hop.ip_address))
        specs.append(RecordSpec("request", hop.url, hop.started, _request(hop),
                                "application/http;msgtype=request", request_id,
                                hop.ip_address, concurrent_to=response_id))
        digest = hashlib.sha256(body).hexdigest() if hop.body is not None else None
        entry.update(recorded=True, record_id=response_id, sha256=digest)
        resources.append(BrowserResource(url=hop.url, http_status=hop.status,
                                         record_id=response_id, sha256=digest))
    final = page.main[-1]
    if id(final) not in ids:
        from archiver.errors import CaptureError

        raise CaptureError(page.requested_url, "the browser kept no body for the page")
    page_record = ids[id(final)][1]
    blocks = {VIEW: page.viewport_png, FULL_PAGE: page.full_page_png,
              DOM: page.dom.encode("utf-8"), TEXT: page.text.encode("utf-8"),
              PAGEINFO: _pageinfo(page, options, listed)}
    made: dict[str, BrowserRecord] = {}
    for kind, content_type in _RESOURCES:
        record_id = new_record_id()
        specs.append(RecordSpec("resource", urn(kind, final.url), page.started, blocks[kind],
                                content_type, record_id, concurrent_to=page_record))
        made[kind] = BrowserRecord(record_id=record_id, uri=urn(kind, final.url),
                                   sha256=hashlib.sha256(blocks[kind]).hexdigest())
    fields = {**_warcinfo(page, options), **info}
    data, _ = build_records(filename, page.started, fields, specs)
    read_back(data, page.requested_url)
    product, _, version = page.browser.partition("/")
    browser = BrowserCapture(
        browser=Tool(name=product, version=version), user_agent=page.user_agent,
        viewport=f"{options.width}x{options.height}", wait_policy=options.wait_policy,
        waited=page.wait, screenshot=made[VIEW], full_page=made[FULL_PAGE], dom=made[DOM],
        text=made[TEXT], pageinfo=made[PAGEINFO], resources=resources)
    main = [(hop, *ids[id(hop)]) for hop in page.main if id(hop) in ids]
    redirects = [Exchange(url=hop.url, http_status=hop.status, request_record_id=req,
                          response_record_id=resp, location=_header(hop, "location"))
                 for hop, req, resp in main[:-1]]
    return BrowserWarc(data, main, browser, redirects)


def _warcinfo(page: PageCapture, options: BrowserOptions) -> dict[str, str]:
    fields = {
        "payloadDigest": PAYLOAD,
        "method": "browser",
        "browser": page.browser,
        "http-header-user-agent": page.user_agent,
        "viewport": f"{options.width}x{options.height}",
        "wait-policy": options.wait_policy,
        "http-bodies": BODIES,
        "http-version": "every response in HTTP/1.1 form; its protocol is in urn:pageinfo:",
        "capture-timeout": f"{options.timeout:g}",
        "capture-max-bytes": str(options.max_bytes),
        "capture-allow-private": "yes" if options.allow_private else "no",
    }
    if options.trusted_spki:
        fields["trusted-spki"] = " ".join(options.trusted_spki)
    return fields


def _listing(hop: Hop) -> dict[str, object]:
    return {"url": hop.url, "method": hop.method, "status": hop.status or None,
            "type": hop.resource_type, "mime": hop.mime_type or None,
            "protocol": hop.protocol or None, "ip": hop.ip_address,
            "size": None if hop.body is None else len(hop.body),
            "transferred": hop.encoded_length,
            "from_service_worker": hop.from_service_worker, "error": hop.error,
            "started": hop.started.isoformat()}


def _pageinfo(page: PageCapture, options: BrowserOptions,
              listed: list[dict[str, object]]) -> bytes:
    security = page.main[-1].security or None
    tls = None
    if security is not None:
        tls = {key: security.get(key) for key in (
            "protocol", "keyExchange", "keyExchangeGroup", "cipher", "subjectName",
            "sanList", "issuer", "validFrom", "validTo", "certificateTransparencyCompliance")}
        tls["certificateChain"] = page.certificates
    info = {
        "url": page.requested_url, "final_url": page.final_url, "title": page.title,
        "browser": page.browser, "user_agent": page.user_agent,
        "viewport": f"{options.width}x{options.height}", "wait_policy": options.wait_policy,
        "waited": page.wait, "timings": {k: round(v, 3) for k, v in page.timings.items()},
        "full_page": {"height": page.full_page_height,
                      "captured": min(page.full_page_height, 16384)},
        "tls": tls, "console": page.console, "refused": page.refused, "resources": listed,
    }
    return json.dumps(info, indent=1, ensure_ascii=False).encode("utf-8")


def _header(hop: Hop, name: str) -> str | None:
    return next((v for k, v in hop.response_headers if k.lower() == name), None)


def _request(hop: Hop) -> bytes:
    parts = urlsplit(hop.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [(k, v) for k, v in hop.request_headers if not k.startswith(":")]
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    head = f"{hop.method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return _latin1(head) + b"\r\n" + hop.post_data


def _response(hop: Hop, body: bytes) -> bytes:
    reason = hop.status_text or _phrase(hop.status)
    lines = [f"HTTP/1.1 {hop.status} {reason}".rstrip()]
    for name, value in hop.response_headers:
        if name.startswith(":"):
            continue
        if name.lower() in _RENAMED:
            name = "X-Orig-" + "-".join(p.capitalize() for p in name.split("-"))
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    return _latin1("\r\n".join(lines) + "\r\n\r\n") + body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _latin1(text: str) -> bytes:
    """HTTP header bytes: DevTools reports them as text; what is not Latin-1 is UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")
