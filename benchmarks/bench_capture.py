"""Benchmark capture: pages/second of ``archiver capture`` (with and without text extraction)
vs ``wget --warc-file`` vs plain requests, over the same pages from a local threaded server.

    python -m benchmarks.bench_capture [--pages 500] [--size 250000] [--jobs 8]
                                       [--shape news|dense] [--repeat 3]

Every run fetches the same bytes from the same server (a child process, so that it does not
compete with the client for the GIL). All pages are on one host, so the capture runs with
``per_host=jobs`` (8 by default; the default of one request at a time per host would measure
politeness, not speed), and plain requests uses the same number of threads, each with a
keep-alive session, reading every body whole. wget fetches one URL at a time (it has no
parallel mode) over one keep-alive connection, writing its WARC and a copy of each page.

The capture figure includes everything ``archiver capture`` does per page: fetch, WARC (gzip,
sha256 digests), read-back with digest checks, fsync'd atomic writes of the WARC, text and
manifest, and text extraction. "no extraction" captures the same bytes served as
``text/plain``, which isolates the archiving cost from trafilatura's. "client CPU" counts
this process and all its descendants (capture's worker processes too), not the page server.

Page shapes: ``news`` (default) is a news article page as sites serve them: metadata, OpenGraph
and JSON-LD in the head, a navigation menu of ~170 links, a ~2,000-word article with links,
related stories and a footer, the rest of the weight being inline CSS and script state.
``dense`` is the worst case for extraction: the whole page is article paragraphs, each with a
link, and nothing in the head dates it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from archiver.capture.pages import CaptureOptions, capture_urls
from archiver.collection import Collection

WORDS = ["archive", "provenance", "court", "ruling", "minister", "report", "council", "rights",
         "water", "city", "river", "budget", "school", "election", "health", "market"]
SECTIONS = ["world", "politics", "business", "science", "climate", "health", "sport", "culture",
            "opinion", "video", "podcasts", "newsletters"]


def make_page(index: int, size: int) -> bytes:
    """A dense article page of about ``size`` bytes: only paragraphs, each with a link."""
    rng = random.Random(index)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>Article {index}</title></head><body><nav><a href='/'>Home</a></nav>"
             f"<article><h1>Article {index}</h1>"]
    length = sum(map(len, parts))
    while length < size:
        words = " ".join(rng.choice(WORDS) for _ in range(90))
        paragraph = f"<p>{words} <a href='https://example.org/{rng.randrange(10**6)}'>source</a>.</p>\n"
        parts.append(paragraph)
        length += len(paragraph)
    parts.append("</article></body></html>")
    return "".join(parts).encode("utf-8")


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def make_news_page(index: int, size: int) -> bytes:
    """A news article page of about ``size`` bytes, shaped as sites serve them (see above)."""
    rng = random.Random(index)
    title = f"{_sentence(rng, 8)[:-1]} (article {index})"
    day = f"2024-05-{index % 28 + 1:02d}"
    url = f"https://news.example.org/{day.replace('-', '/')}/article-{index}"
    published = f"{day}T08:30:00+00:00"
    head = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title} | Example News</title>"
        f"<meta name='description' content='{_sentence(rng, 25)}'>"
        f"<meta property='og:title' content='{title}'><meta property='og:type' content='article'>"
        f"<meta property='og:url' content='{url}'>"
        "<meta property='og:site_name' content='Example News'>"
        f"<meta property='article:published_time' content='{published}'>"
        f"<meta name='author' content='Jane Doe'><link rel='canonical' href='{url}'>"
        '<script type="application/ld+json">{"@context":"https://schema.org",'
        f'"@type":"NewsArticle","headline":"{title}","datePublished":"{published}",'
        '"author":[{"@type":"Person","name":"Jane Doe"}],'
        '"publisher":{"@type":"Organization","name":"Example News"}}</script>'
    )
    body = ["<header class='site-header'><nav class='nav' aria-label='Sections'><ul>"]
    for section in SECTIONS:
        body.append(f"<li class='nav__item'><a class='nav__link' href='/{section}'>"
                    f"{section.title()}</a><ul class='nav__sub'>")
        body += [f"<li><a class='nav__sublink' data-track='nav-{section}-{k}' "
                 f"href='/{section}/{rng.choice(WORDS)}-{k}'>{_sentence(rng, 2)[:-1]}</a></li>"
                 for k in range(13)]
        body.append("</ul></li>")
    body.append("</ul></nav></header>")
    body += [f"<main><article class='article'><h1 class='article__title'>{title}</h1>",
             "<p class='byline'>By <a rel='author' href='/authors/jane-doe'>Jane Doe</a>, "
             f"<time datetime='{published}'>{day}</time></p>",
             "<figure><img src='/img/lead.jpg' alt='A river'><figcaption>A river.</figcaption>"
             "</figure>"]
    for n in range(30):
        if n in (10, 20):
            body.append(f"<h2>{_sentence(rng, 5)[:-1]}</h2>")
        text = " ".join(_sentence(rng, rng.randrange(8, 20)) for _ in range(4))
        link = (f" <a href='https://example.org/{rng.randrange(10**6)}'>the report</a>."
                if n % 3 == 0 else "")
        body.append(f"<p>{text}{link}</p>")
    body.append("<ul>" + "".join(f"<li>{_sentence(rng, 10)}</li>" for _ in range(5)) + "</ul>")
    body.append("</article><aside class='related'><h2>Related</h2><ul>")
    body += [f"<li class='card'><a href='/story/{rng.randrange(10**6)}'><img src='/t/{k}.jpg' "
             f"alt=''><span class='card__title'>{_sentence(rng, 9)}</span></a></li>"
             for k in range(20)]
    body.append("</ul></aside></main><footer class='site-footer'><ul>")
    body += [f"<li><a href='/{rng.choice(SECTIONS)}/{k}'>{rng.choice(WORDS).title()}</a></li>"
             for k in range(80)]
    body.append("</ul><p>© 2024 Example News. All rights reserved.</p></footer>")
    html = "\n".join(body)  # one element a line, as templates write them
    # Inline CSS (a third) and script state (two thirds) make up the rest of the weight.
    rest = max(0, size - len(head) - len(html) - 80)
    css = _fill(rest // 3, lambda: f".c{rng.randrange(10**5)}{{margin:{rng.randrange(40)}px;"
                                   f"color:#{rng.randrange(16**6):06x}}}")
    state = _fill(rest - rest // 3, lambda: f'"k{rng.randrange(10**6)}":'
                                            f'"{rng.choice(WORDS)}-{rng.randrange(10**6)}",')
    return (f"{head}<style>{css}</style></head><body>{html}"
            f"<script>window.__STATE__={{{state[:-1]}}};</script></body></html>").encode()


def _fill(size: int, item: Callable[[], str]) -> str:
    """Items joined until they reach ``size`` characters."""
    items, length = [], 0
    while length < size:
        items.append(item())
        length += len(items[-1])
    return "".join(items)


SHAPES: dict[str, Callable[[int, int], bytes]] = {"news": make_news_page, "dense": make_page}


class PageHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: PageServer

    def do_GET(self) -> None:
        """Serve page N at /html/N as HTML and at /plain/N, the same bytes, as text/plain."""
        kind, _, index = self.path.strip("/").partition("/")
        body = self.server.pages[int(index)]
        self.send_response(200)
        self.send_header("Content-Type",
                         "text/html; charset=utf-8" if kind == "html" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet."""


class PageServer(ThreadingHTTPServer):
    daemon_threads = True
    pages: Sequence[bytes]


def serve(pages: int, size: int, shape: str, ports: multiprocessing.Queue[tuple[int, int]]
          ) -> None:
    """Serve the pages from this (child) process; put (port, total bytes) on ``ports``."""
    server = PageServer(("127.0.0.1", 0), PageHandler)
    server.pages = [SHAPES[shape](i, size) for i in range(pages)]
    ports.put((server.server_address[1], sum(map(len, server.pages))))
    server.serve_forever()


@dataclass(frozen=True)
class Run:
    """The best of a benchmark's repeats: seconds, pages, and client CPU seconds (this
    process and its children) per page."""

    seconds: float
    pages: int
    cpu_per_page: float

    @property
    def rate(self) -> float:
        """Pages per second."""
        return self.pages / self.seconds


def _cpu(exclude: int) -> float:
    """CPU seconds of this process and its descendants except the page server ``exclude``:
    children reaped, plus each live child with the children it reaped (capture's worker
    processes are forked, and reaped, by a fork server that lives as long as this process)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    seconds = sum(u.ru_utime + u.ru_stime for u in usage)
    tick = os.sysconf("SC_CLK_TCK")
    for pid in _live_children() - {exclude}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # exited since the listing
            continue
        seconds += sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
    return seconds


def _live_children() -> set[int]:
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            pids.update(int(pid) for pid in (task / "children").read_text().split())
        except FileNotFoundError:  # a thread that ended since the listing
            continue
    return pids


def best_of(repeat: int, run: Callable[[int], int], server: int) -> Run:
    """Time ``run(attempt)`` (which returns the pages it fetched) ``repeat`` times; the fastest.
    CPU time is counted for this process and its descendants but the page server ``server``."""
    runs = []
    for attempt in range(repeat):
        cpu, start = _cpu(server), time.perf_counter()
        count = run(attempt)
        seconds = time.perf_counter() - start
        runs.append(Run(seconds, count, (_cpu(server) - cpu) / count))
    return min(runs, key=lambda r: r.seconds)


def run_capture(urls: list[str], jobs: int, work: Path) -> int:
    """Capture ``urls`` into a new collection at ``work``, ``jobs`` at a time, all to one host."""
    collection = Collection.init(work)
    options = CaptureOptions(allow_private=True, jobs=jobs, per_host=jobs, timeout=30)
    outcomes = list(capture_urls(collection, urls, options))
    failed = [o.message for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f"capture failed: {failed[:3]}")
    return len(outcomes)


def run_wget(urls: list[str], work: Path) -> int:
    """Fetch ``urls`` with wget, one at a time, into a WARC and a copy of each page."""
    work.mkdir()
    listing = work / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    subprocess.run(["wget", "-q", "-i", str(listing), f"--warc-file={work / 'wget'}",
                    "-P", str(work / "files")], check=True)
    return len(urls)


def run_requests(urls: list[str], jobs: int, total_bytes: int) -> int:
    """GET every URL with ``jobs`` threads, reading each body whole; check all bytes came."""
    local = threading.local()

    def get(url: str) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = local.session.get(url, timeout=30)
        response.raise_for_status()
        return len(response.content)

    with ThreadPoolExecutor(jobs) as pool:
        received = sum(pool.map(get, urls))
    if received != total_bytes:
        raise SystemExit(f"plain requests read {received} bytes, the pages hold {total_bytes}")
    return len(urls)


def main() -> None:
    """Run the benchmarks and print pages/s, client CPU per page, and the goals' ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--size", type=int, default=250_000)
    parser.add_argument("--jobs", type=int, default=8, help="threads, and requests per host")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="news")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()

    ports: multiprocessing.Queue[tuple[int, int]] = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.pages, args.size, args.shape,
                                                         ports), daemon=True)
    server.start()
    port, total = ports.get(timeout=120)
    pages = [f"http://127.0.0.1:{port}/html/{i}" for i in range(args.pages)]
    plain = [f"http://127.0.0.1:{port}/plain/{i}" for i in range(args.pages)]
    print(f"{args.pages} {args.shape} pages, {total / args.pages / 1000:.0f} KB on average; "
          f"{args.jobs} threads, {args.jobs} requests at a time to the host; "
          f"{os.cpu_count()} CPUs; best of {args.repeat}")

    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        benchmarks: list[tuple[str, Callable[[int], int]]] = [
            ("plain requests", lambda _: run_requests(pages, args.jobs, total)),
            ("capture", lambda n: run_capture(pages, args.jobs, work / f"capture-{n}")),
            ("capture, no extraction", lambda n: run_capture(plain, args.jobs, work / f"raw-{n}")),
        ]
        if shutil.which("wget"):
            benchmarks.append(("wget --warc-file (1 at a time)",
                               lambda n: run_wget(pages, work / f"wget-{n}")))
        for name, run in benchmarks:
            runs[name] = result = best_of(args.repeat, run, server.pid)
            print(f"{name:32} {result.rate:8.1f} pages/s  ({result.seconds:6.2f} s, "
                  f"client CPU {result.cpu_per_page * 1000:5.1f} ms/page)")
    server.terminate()

    wget = runs.get("wget --warc-file (1 at a time)")
    for name in ("capture", "capture, no extraction"):
        capture = runs[name].rate
        ratios = f"plain / {name}: {runs['plain requests'].rate / capture:.2f}x (goal <= 1.5)"
        if wget:
            ratios = f"{name} / wget: {capture / wget.rate:.2f}x (goal >= 2); " + ratios
        print(ratios)


if __name__ == "__main__":
    main()
