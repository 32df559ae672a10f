"""Capture from a web archive that speaks Memento (RFC 7089): the original as it was archived.

Datetime negotiation at the TimeGate (``Accept-Datetime``) names a memento: by a redirect's
``Location`` (Wayback's style), or, answered in place (pywb's framed replay), by
``Content-Location`` or the ``Link`` of relation ``memento``. A replayed memento is rewritten
for the browser; the archived original is its raw form, which Wayback and pywb serve when the
timestamp carries the ``id_`` flag (``/20240501100000id_/URL``). Both exchanges go through the
recording Fetcher (address policy, limits), so the WARC is a real capture of the exchange
with the archive; the raw memento must carry ``Memento-Datetime``, or it is no memento.

Every request goes to the archive's own origin (the TimeGate's scheme, host and port): a
memento named elsewhere is refused, and an archived redirect, whose raw ``Location`` names
the live site, is resolved as a memento of its target at the archive, never followed to the web.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from requests.utils import parse_header_links

from archiver.capture.fetch import REDIRECT_STATUSES, Fetcher
from archiver.errors import CaptureError
from archiver.manifest import Memento
from archiver.warc.exchange import Fetch, HttpExchange

# a Wayback or pywb memento URL: .../<timestamp><flag>/<original URL>
_WAYBACK = re.compile(r"^(?P<prefix>.+?/)(?P<stamp>\d{4,14})(?P<flag>[a-z]{2}_)?/(?P<url>.+)$")


def timegate_url(timegate: str, url: str) -> str:
    """The TimeGate of ``url`` at an archive whose TimeGate prefix is ``timegate``
    (``http://host/coll/`` gives ``http://host/coll/<url>``, as Wayback and pywb lay them)."""
    return (timegate if timegate.endswith("/") else timegate + "/") + url


def raw_url(memento_url: str) -> str:
    """The memento's raw form (``id_``), for a Wayback or pywb URL; others as they are."""
    match = _WAYBACK.match(memento_url)
    if match is None:
        return memento_url
    return f"{match['prefix']}{match['stamp']}id_/{match['url']}"


def origin(url: str) -> tuple[str, str, int | None]:
    """A URL's origin: scheme, host (lower case) and port (the scheme's default filled in)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _within(archive: str, url: str, what: str) -> str:
    """``url`` if it is at the archive's origin; else refuse, before any request is made."""
    if origin(url) != origin(archive):
        raise CaptureError(url, f"{what} is not at the archive ({archive}): not fetched, as "
                                "--from-archive fetches from the archive alone")
    return url


def fetch_memento(fetcher: Fetcher, timegate: str, url: str,
                  at: datetime | None = None) -> tuple[Fetch, Memento]:
    """Negotiate at ``timegate`` for ``url`` near ``at`` (else the latest), fetch the memento
    raw, archived redirects resolved as mementos; return every exchange made (negotiation
    first) and the final memento's provenance. Nothing is fetched outside the archive."""
    gate = _within(timegate, timegate_url(timegate, url), "the TimeGate")
    wanted = {"Accept-Datetime": format_datetime(at.astimezone(UTC), usegmt=True)} if at else {}
    negotiation = fetcher.fetch(gate, headers=wanted, follow=False)
    answer = negotiation.final
    memento_url = _within(timegate, _named_memento(answer, _headers(answer)),
                          "the memento the TimeGate named")
    exchanges = list(negotiation.exchanges)
    while True:
        raw = _within(timegate, raw_url(memento_url), "the raw memento")
        final = fetcher.fetch(raw, follow=False).final
        exchanges.append(final)
        headers = _headers(final)
        if final.status not in REDIRECT_STATUSES or not headers.get("Location"):
            break
        if len(exchanges) > fetcher.options.max_redirects + 1:
            raise CaptureError(raw, f"more than {fetcher.options.max_redirects} archived "
                                    "redirects")
        memento_url = _redirect_memento(timegate, memento_url, headers["Location"])
    stamp = headers.get("Memento-Datetime")
    if final.status >= 400 or stamp is None:
        raise CaptureError(raw, f"the archive answered HTTP {final.status} without "
                                "Memento-Datetime: not a memento")
    links = _links(headers) or _links(_headers(answer))
    archived = _WAYBACK.match(memento_url)
    original = links.get("original") or (archived["url"] if archived else url)
    provenance = Memento(archive=timegate, memento_url=memento_url, raw_url=raw,
                         memento_datetime=_http_date(stamp, raw), original_url=original,
                         accept_datetime=at)
    return Fetch(gate, tuple(exchanges), original_url=original), provenance


def _redirect_memento(timegate: str, memento_url: str, location: str) -> str:
    """The memento an archived redirect leads to. Its ``Location`` is either rewritten into the
    archive already, or, as pywb serves it raw (``id_``), the live target, resolved against
    the archived original: that target is then asked of the archive at the same moment."""
    archived = _WAYBACK.match(memento_url)
    absolute = urljoin(memento_url, location)
    if origin(absolute) == origin(timegate) and _WAYBACK.match(absolute):
        return absolute
    if archived is None:
        raise CaptureError(memento_url, f"the archived redirect to {location} cannot be asked "
                                        "of the archive (its memento URLs are not Wayback's): "
                                        "not followed")
    target = urljoin(archived["url"], location)
    return f"{archived['prefix']}{archived['stamp']}id_/{target}"


def _named_memento(answer: HttpExchange, headers: Message) -> str:
    """The memento the TimeGate chose: a redirect's target, else the one it answered with."""
    if answer.status in REDIRECT_STATUSES and answer.location:
        return answer.location
    if answer.status < 400:
        if headers.get("Memento-Datetime") and headers.get("Content-Location"):
            return urljoin(answer.url, headers["Content-Location"])
        if memento := _links(headers).get("memento"):
            return urljoin(answer.url, memento)
    raise CaptureError(answer.url, f"not a Memento TimeGate: HTTP {answer.status} names no "
                                   "memento (no Location, Content-Location or Link "
                                   "rel=\"memento\")")


def _headers(exchange: HttpExchange) -> Message:
    """The HTTP headers of an exchange's response, as they came."""
    head = exchange.response.split(b"\r\n\r\n", 1)[0]
    return BytesHeaderParser().parsebytes(head.split(b"\r\n", 1)[-1] + b"\r\n\r\n")


def _links(headers: Message) -> dict[str, str]:
    """The Link header's targets by relation (the first of each); ``memento`` also from
    relations such as ``first memento``."""
    links: dict[str, str] = {}
    exact: dict[str, str] = {}
    for value in headers.get_all("Link") or ():
        for link in parse_header_links(value):
            rel = str(link.get("rel", ""))
            exact.setdefault(rel, link.get("url", ""))
            for token in rel.split():
                links.setdefault(token, link.get("url", ""))
    return {**links, **{rel: url for rel, url in exact.items() if " " not in rel}}


def _http_date(value: str, where: str) -> datetime:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise CaptureError(where, f"Memento-Datetime {value!r} is no HTTP date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
