"""Where verify's re-derivation of a text spends its CPU, stage by stage, on the real pages.

    python -m benchmarks.bench_extract [--rounds 5] [--pages GLOB]

Runs the stages of ``rederive(..., with_page_text=True)`` (what verify does per capture) one
by one over every page of ``../shared/real-pages/pages``, ``--rounds`` times, and prints each
stage's CPU milliseconds per page (median over the rounds, with the range) and its share:
decoding, the parse (trafilatura's HTML repair and lxml's parser, as htmlparse runs them), each
preprocessing step, trafilatura's extraction, and the page-text pass (which reads the same tree
last).
CPU time, in this process: the machine may be shared.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import trafilatura

from archiver.fidelity import extract
from benchmarks.bench_capture import REAL_PAGES, spread

URL = "https://example.org/news/article.html"


class Clock:
    """CPU seconds spent in each stage, summed over the pages."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.last = time.process_time()

    def __call__(self, stage: str) -> None:
        now = time.process_time()
        self.spent[stage] = self.spent.get(stage, 0.0) + now - self.last
        self.last = now


def stages(html: bytes, options: dict[str, Any], clock: Callable[[str], None]
           ) -> tuple[str, str] | None:
    """One re-derivation of ``html`` as ``extract.rederive`` runs it, calling ``clock(stage)``
    as each stage ends; its text and page text (None for a page with no tree)."""
    page, used, _ = extract.decode_html(html)
    clock("decode")
    tree = extract.parse_page(page, html, used)
    clock("parse")
    if tree is None:
        return None
    empty = extract._empty_links(tree)
    extract._collapse_whitespace(tree)
    clock("collapse whitespace")
    extract._absolute_links(tree, URL)
    clock("absolute links")
    text = trafilatura.extract(tree, url=URL, **options)
    clock("trafilatura extract")
    shown = extract._read_page(tree, extract._emptied(tree, empty))[0]
    clock("page-text pass")
    return text or "", shown


def main() -> None:
    """Time every stage over the pages, round after round; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pages", default="*.html")
    args = parser.parse_args()
    pages = [p.read_bytes() for p in sorted(REAL_PAGES.glob(args.pages))
             if p.name.endswith(".html")]
    options = extract.installed_extractor().options
    totals: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        clock = Clock()
        for html in pages:
            clock.last = time.process_time()
            stages(html, options, clock)
        for stage, seconds in clock.spent.items():
            totals.setdefault(stage, []).append(seconds / len(pages) * 1000)
    whole = sum(statistics.median(v) for v in totals.values())
    print(f"{len(pages)} real pages, {args.rounds} rounds; CPU ms per page, median (range)")
    for stage, values in totals.items():
        print(f"{stage:24} {spread(values):>18} {statistics.median(values) / whole:6.1%}")
    print(f"{'all':24} {whole:10.1f}")


if __name__ == "__main__":
    main()
