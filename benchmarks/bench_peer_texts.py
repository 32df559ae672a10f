"""Benchmark: fidelity findings on faithful texts that other tools and people made of real pages.

Run from the repository root: ``python -m benchmarks.bench_peer_texts [--show CODE]``. For each
maker (the human ground truth, resiliparse, readability + html2text, trafilatura's defaults)
it checks that maker's text of every real page against the archived page, as ``verify`` checks
a received text, and prints the findings per code. Every text is faithful, so every finding is
a false alarm or a real difference of extent (what the maker kept of the page).
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

from archiver.fidelity.compare import check_fidelity
from archiver.fidelity.extract import installed_extractor
from archiver.findings import RULES, Severity
from benchmarks.peer_extractors import REAL_PAGES, peer_texts, real_pages


def main() -> None:
    """Check every maker's text of every real page and print the findings per code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", default=str(REAL_PAGES), help="the real-pages folder")
    parser.add_argument("--show", action="append", default=[], metavar="CODE",
                        help="also print every finding of this code (repeatable)")
    args = parser.parse_args()
    extractor = installed_extractor()
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    texts: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for page in real_pages(Path(args.pages)):
        for maker, text in peer_texts(page).items():
            if not text.strip():
                continue  # the maker found no text on this page: nothing to judge
            texts[maker] += 1
            result = check_fidelity(text, f"{page.name}:{maker}", page.html, page.url, extractor)
            for finding in result.findings:
                counts[maker][finding.code] += 1
                if finding.code in args.show:
                    print(f"{finding.path}:{finding.line}: {finding.code}: {finding.message}")
    codes = sorted({c for counter in counts.values() for c in counter},
                   key=lambda c: (RULES[c].severity is not Severity.ERROR, c))
    width = max([len(c) for c in codes] + [12])
    print(f"{len(texts)} makers, {sum(texts.values())} texts, "
          f"{time.perf_counter() - started:.1f} s")
    print(f"{'maker':<22} {'texts':>5} {'errors':>6} {'warnings':>8}  "
          + " ".join(f"{c:>{width}}" for c in codes))
    for maker, n in texts.items():
        errors = sum(v for c, v in counts[maker].items() if RULES[c].severity is Severity.ERROR)
        warnings = sum(counts[maker].values()) - errors
        print(f"{maker:<22} {n:>5} {errors:>6} {warnings:>8}  "
              + " ".join(f"{counts[maker][c]:>{width}}" for c in codes))


if __name__ == "__main__":
    main()
