"""Which records of another tool's file are the capture of a URL: the response (or revisit) for
it, the redirects it leads through within the same capture, and the response a revisit refers to.

A file may hold several captures (a crawl, a WACZ of several WARCs): a redirect is followed to
the record of its target in the same WARC, of the same page when the records name theirs
(``WARC-Page-ID``), in the WARC's order, never to the latest response for that URL anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

from archiver.errors import ArchiverError
from archiver.warc.locate import Contents, LocatedResponse, same_url

MAX_REDIRECTS = 10


def chain_for(contents: Contents, url: str, record_id: str | None,
              path: Path) -> list[LocatedResponse]:
    """The response (or revisit) for ``url`` in the file at ``path``, the latest or the record
    ``record_id`` (``--record-id``), then each redirect it names, followed within the same
    capture (``_next_hop``), never to a response of another WARC or capture."""
    if record_id is not None:
        wanted = record_id.strip().strip("<>")
        first = next((r for r in contents.responses if r.record_id.strip("<>") == wanted), None)
        if first is None:
            raise ArchiverError(path, f"no response record {record_id}")
        if not same_url(first.target_uri, url):
            raise ArchiverError(path, f"record {record_id} is the response for "
                                      f"{first.target_uri}, not {url}")
    else:
        first = _latest(contents, url)
        if first is None:
            known = sorted({r.target_uri for r in contents.responses})
            listed = ", ".join(known[:5]) + (" ..." if len(known) > 5 else "")
            raise ArchiverError(path, f"no response for {url} (it holds responses for "
                                      f"{listed or 'nothing'})")
    chain = [first]
    while chain[-1].location and chain[-1].status in (301, 302, 303, 307, 308):
        target = _next_hop(contents, chain[-1])
        if target is None or target in chain or len(chain) > MAX_REDIRECTS:
            break
        chain.append(target)
    return chain


def _next_hop(contents: Contents, hop: LocatedResponse) -> LocatedResponse | None:
    """The record of ``hop``'s redirect target in the same capture: in the same WARC, of the
    same page when the records name theirs (``WARC-Page-ID``), the first after it, else the
    last before it (a browser may have fetched the target first)."""
    assert hop.location is not None
    url = urljoin(hop.target_uri, hop.location)
    same = [r for r in contents.responses
            if r.member == hop.member and same_url(r.target_uri, url)
            and (hop.page_id is None or r.page_id == hop.page_id)]
    after = [r for r in same if r.position > hop.position]
    if after:
        return min(after, key=lambda r: r.position)
    return max(same, key=lambda r: r.position, default=None)


def _latest(contents: Contents, url: str) -> LocatedResponse | None:
    matches = [r for r in contents.responses if same_url(r.target_uri, url)]
    return max(matches, key=lambda r: moment(r.date), default=None)


def original_of(contents: Contents, revisit: LocatedResponse, path: Path) -> LocatedResponse:
    """The response a revisit refers to: by WARC-Refers-To, else by WARC-Refers-To-Target-URI
    and -Date, else (an older revisit naming neither) the latest earlier response for its URL
    with its payload digest. Refuse, naming the revisit and what it refers to, if absent."""
    responses = [r for r in contents.responses if r.kind == "response"]
    if revisit.refers_to:
        wanted = revisit.refers_to.strip().strip("<>")
        found = [r for r in responses if r.record_id.strip("<>") == wanted]
        named = f"record {revisit.refers_to}"
    elif revisit.refers_to_uri:
        when = moment(revisit.refers_to_date or "")
        found = [r for r in responses if same_url(r.target_uri, revisit.refers_to_uri)
                 and (revisit.refers_to_date is None or moment(r.date) == when)]
        named = (f"the response for {revisit.refers_to_uri} of "
                 f"{revisit.refers_to_date or 'any date'}")
    else:
        found = [r for r in responses if same_url(r.target_uri, revisit.target_uri)
                 and r.payload_digest == revisit.payload_digest
                 and moment(r.date) <= moment(revisit.date)]
        named = f"an earlier response for {revisit.target_uri} with its payload digest"
    original = max(found, key=lambda r: moment(r.date), default=None)
    if original is None:
        raise ArchiverError(path, f"{revisit.target_uri} is held only as revisit record "
                                  f"{revisit.record_id}, which refers to {named}; the file holds"
                                  " no such response, so there is no payload to import")
    return original


def moment(value: str) -> datetime:
    """A WARC-Date as a time (one that does not parse sorts first)."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
