"""What a capture hands to the WARC writer: each HTTP exchange exactly as it crossed the wire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class HttpExchange:
    """One request and its response exactly as they crossed the wire (one redirect hop)."""

    url: str
    request: bytes
    response: bytes
    status: int
    content_type: str | None
    location: str | None  # absolute redirect target, when the response is a redirect
    ip_address: str
    started_at: datetime


@dataclass(frozen=True)
class Fetch:
    """Every exchange made for one requested URL, the last one being the final response."""

    requested_url: str
    exchanges: tuple[HttpExchange, ...]
    # where the page was published, when that is not where it was fetched from (a memento):
    # its links resolve against this
    original_url: str | None = None

    @property
    def final(self) -> HttpExchange:
        """The exchange whose response is not a followed redirect."""
        return self.exchanges[-1]

    @property
    def page_url(self) -> str:
        """The URL the page's links resolve against: its original's, else the final one."""
        return self.original_url or self.final.url
