"""Texts other tools make of a page: what users' collections hold, and what fidelity must accept.

Each peer runs with its documented defaults, as a user would call it: resiliparse's main-content
plain text, readability's article turned into Markdown by html2text, and trafilatura's
``extract`` with no options. The real pages' human ground truth (``*.truth.txt``) is one more.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from archiver.fidelity.extract import decode_html

REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages"


def resiliparse_text(page: str, url: str) -> str:
    """resiliparse's main-content plain text."""
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(page, main_content=True)


def readability_text(page: str, url: str) -> str:
    """readability-lxml's article, as Markdown by html2text with its defaults."""
    import html2text
    from readability import Document

    converter = html2text.HTML2Text(baseurl=url)
    return converter.handle(Document(page, url=url).summary())


def trafilatura_default_text(page: str, url: str) -> str:
    """trafilatura's text with its default options."""
    import trafilatura

    return trafilatura.extract(page) or ""


PEERS: dict[str, Callable[[str, str], str]] = {
    "resiliparse": resiliparse_text,
    "readability+html2text": readability_text,
    "trafilatura-default": trafilatura_default_text,
}


@dataclass(frozen=True)
class RealPage:
    """One saved page of the real-pages set, with its URL and human ground truth if any."""

    name: str
    html: bytes
    url: str
    truth: str | None


def real_pages(root: Path = REAL_PAGES, *, truth_only: bool = False) -> Iterator[RealPage]:
    """The real pages in name order (only those with a ``*.truth.txt`` if ``truth_only``)."""
    sources = json.loads((root / "sources.json").read_text(encoding="utf-8"))
    for name in sorted(sources):
        entry = sources[name]
        truth_path = root / entry["truth"] if "truth" in entry else None
        if truth_only and truth_path is None:
            continue
        yield RealPage(
            name,
            (root / "pages" / name).read_bytes(),
            entry["original_url"],
            truth_path.read_text(encoding="utf-8") if truth_path else None,
        )


def peer_texts(page: RealPage) -> dict[str, str]:
    """Every peer's text of ``page``, and its ground truth as ``truth`` when it has one."""
    decoded, _, _ = decode_html(page.html)
    texts = {"truth": page.truth} if page.truth is not None else {}
    texts.update((name, make(decoded, page.url)) for name, make in PEERS.items())
    return texts
