"""Benchmark: fidelity of a ~10 KB article against its archived page, extraction included.

Run from the repository root: ``python -m benchmarks.bench_fidelity [--runs N]``. Prints the
median total time and the share spent re-extracting the original and aligning it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from archiver.fidelity.compare import check_fidelity
from archiver.fidelity.extract import extract, installed_extractor

_WORDS = (
    "the", "council", "human", "rights", "report", "commissioner", "government", "region",
    "detention", "camps", "evidence", "statement", "officials", "said", "would",
    "independent", "access", "investigation", "abuses", "groups", "united", "nations",
    "member", "states", "session", "minority", "policies", "documents", "leaked",
    "researchers", "families", "camp", "released", "visit", "pressure", "international",
    "accountability", "allegations", "denied", "published",
)


def article(paragraphs: int = 26, words: int = 42, seed: int = 0) -> tuple[bytes, str]:
    """A page with navigation, a ~10 KB article with links and quotes, and a footer."""
    rng = random.Random(seed)
    body = []
    for n in range(paragraphs):
        text = [rng.choice(_WORDS) for _ in range(words)]
        text[5] = f'<a href="/doc/{n}">{text[5]}</a>'
        text[12] = f"“{text[12]}"
        text[16] = f"{text[16]}”"
        body.append(f"<p>Paragraph {n}: {' '.join(text)}.</p>")
    nav = "".join(f'<li><a href="/s/{w}">{w.title()}</a></li>' for w in _WORDS[:12])
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Report</title>'
        f"</head><body><nav><ul>{nav}</ul></nav><article><h1>The report</h1>"
        f"{''.join(body)}</article><footer><p>Copyright Example News</p></footer></body></html>"
    )
    return html.encode(), "https://news.example.org/report.html"


def damaged(text: str) -> str:
    """The extracted text, stored with blank lines between paragraphs, some of it damaged."""
    lines = text.split("\n")
    lines[3] = lines[3].replace("Paragraph 2:", "Paragraph two:")
    del lines[10]
    lines.insert(20, "Related: an unrelated headline spliced into the body")
    return "\n\n".join(lines)


def main() -> None:
    """Time check_fidelity and print the median and its split."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    html, url = article()
    stored = damaged(extract(html, url).text)
    extractor = installed_extractor()
    check_fidelity(stored, "bench.txt", html, url, extractor)  # warm caches and imports
    totals, extraction, alignment = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = check_fidelity(stored, "bench.txt", html, url, extractor)
        totals.append(time.perf_counter() - started)
        extraction.append(result.extraction_seconds)
        alignment.append(result.alignment_seconds)
    total = statistics.median(totals)
    print(f"article: {len(stored.encode()) / 1024:.1f} KB stored text, "
          f"{len(html) / 1024:.1f} KB page, {len(result.findings)} findings, "
          f"score {result.score:.3f}, {runs} runs")
    print(f"median total:      {total * 1000:7.2f} ms")
    print(f"  extraction:      {statistics.median(extraction) * 1000:7.2f} ms "
          f"({statistics.median(extraction) / total:.0%})")
    print(f"  alignment:       {statistics.median(alignment) * 1000:7.2f} ms "
          f"({statistics.median(alignment) / total:.0%})")


if __name__ == "__main__":
    main()
