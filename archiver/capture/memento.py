"""Capture from a web archive that speaks Memento (RFC 7089): the original as it was archived.

Datetime negotiation at the TimeGate (``Accept-Datetime``) names a memento: by a redirect's
``Location`` (Wayback's style), or, answered in place (pywb's framed replay), by
``Content-Location`` or the ``Link`` of relation ``memento``. A replayed memento is rewritten
for the browser; the archived original is its raw form, which Wayback and pywb serve when the
timestamp carries the ``id_`` flag (``/20240501100000id_/URL``). Both exchanges go through the
recording Fetcher (address policy, limits), so the WARC is a real capture of the exchange
with the archive; the raw memento must carry ``Memento-Datetime``, or it is no memento.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urljoin

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


def fetch_memento(fetcher: Fetcher, timegate: str, url: str,
                  at: datetime | None = None) -> tuple[Fetch, Memento]:
    """Negotiate at ``timegate`` for ``url`` near ``at`` (else the latest), fetch the memento
    raw; return every exchange made (negotiation first) and the memento's provenance."""
    gate = timegate_url(timegate, url)
    wanted = {"Accept-Datetime": format_datetime(at.astimezone(UTC), usegmt=True)} if at else {}
    negotiation = fetcher.fetch(gate, headers=wanted, follow=False)
    answer = negotiation.final
    memento_url = _named_memento(answer, _headers(answer))
    raw = raw_url(memento_url)
    fetched = fetcher.fetch(raw)
    final = fetched.final
    headers = _headers(final)
    stamp = headers.get("Memento-Datetime")
    if final.status >= 400 or stamp is None:
        raise CaptureError(raw, f"the archive answered HTTP {final.status} without "
                                "Memento-Datetime: not a memento")
    links = _links(headers) or _links(_headers(answer))
    original = links.get("original", url)
    provenance = Memento(archive=timegate, memento_url=memento_url, raw_url=raw,
                         memento_datetime=_http_date(stamp, raw), original_url=original,
                         accept_datetime=at)
    exchanges = negotiation.exchanges + fetched.exchanges
    return Fetch(gate, exchanges, original_url=original), provenance


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
