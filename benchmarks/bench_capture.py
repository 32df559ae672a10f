"""Benchmark capture: pages/second and CPU per page of ``archiver capture`` (with and without
text extraction) vs ``wget --warc-file`` vs plain requests, over the same pages from nginx.

    python -m benchmarks.bench_capture [--shape real|news|dense] [--pages 500] [--jobs 8]
                                       [--size 250000] [--rounds 5]

The pages are served by nginx with gzip (level 6) to clients that ask for it, keep-alive on,
as sites serve them: archiver and requests ask for gzip; wget 1.21 does not (its default), so
it is sent the pages uncompressed. ``real`` (default) serves the 60 pages of
``../shared/real-pages`` in turn; ``news`` and ``dense`` are synthetic (below). The tools run
interleaved, one run of each a round, the order turning each round, and each figure is the
median of the rounds with their range: the machine may be shared.

Not the same on both sides, and said so in the output: archiver runs ``--jobs`` fetches at
once (8) and its extraction in worker processes (all cores), wget one URL at a time in one
process (it has no parallel mode); archiver's WARCs are gzipped by ISA-L (``isal``) and
hashed by OpenSSL (hashlib), wget's by zlib and its own sha1; archiver also writes the text,
the manifest, fsyncs and reads each WARC back with digest checks. The capture figure includes
all that and text extraction; "no extraction" captures the same bytes served as
``text/plain``, which isolates the archiving cost from trafilatura's. "client CPU" counts
this process and all its descendants (capture's worker processes too), not nginx.

Synthetic shapes: ``news`` is a news article page shaped as sites serve them: metadata,
OpenGraph and JSON-LD in the head, a navigation menu of ~170 links, a ~2,000-word article with
links, related stories and a footer, the rest of the weight being inline CSS and script
state. ``dense`` is the worst case for extraction: the whole page is article paragraphs, each
with a link, and nothing in the head dates it.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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


REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "pages"


def write_pages(docroot: Path, pages: int, size: int, shape: str) -> int:
    """Write page N as ``html/N.html`` and, the same bytes, as ``plain/N.txt`` (served as
    text/plain: captured without extraction); ``real`` takes the real pages in turn. Returns
    the bytes of the pages."""
    real = sorted(REAL_PAGES.glob("*.html")) if shape == "real" else []
    if shape == "real" and not real:
        raise SystemExit(f"no real pages in {REAL_PAGES}")
    total = 0
    for folder in ("html", "plain"):
        (docroot / folder).mkdir(parents=True)
    for i in range(pages):
        body = real[i % len(real)].read_bytes() if real else SHAPES[shape](i, size)
        (docroot / "html" / f"{i}.html").write_bytes(body)
        (docroot / "plain" / f"{i}.txt").write_bytes(body)
        total += len(body)
    return total


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def nginx(docroot: Path, work: Path) -> Iterator[tuple[int, int]]:
    """nginx serving ``docroot`` with gzip (level 6, as Debian's config suggests) to clients
    that ask for it, keep-alive on; yields (port, pid)."""
    port = _free_port()
    temp = "".join(f"{name}_temp_path {work / name};\n"
                   for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = work / "nginx.conf"
    config.write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    {temp}
    gzip on; gzip_comp_level 6; gzip_types text/plain;
    keepalive_requests 100000;
    server {{ listen 127.0.0.1:{port}; root {docroot}; }}
}}
""")
    process = subprocess.Popen(["nginx", "-c", str(config), "-p", str(work)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"nginx did not start: {(work / 'error.log').read_text()}"
                                     ) from None
                time.sleep(0.05)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait()


@dataclass(frozen=True)
class Run:
    """One timed run: seconds, pages, and client CPU seconds (this process and its
    descendants, not the server) per page."""

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


def timed(run: Callable[[int], int], attempt: int, server: int) -> Run:
    """Time ``run(attempt)`` (which returns the pages it fetched); CPU is counted for this
    process and its descendants but the page server ``server``."""
    cpu, start = _cpu(server), time.perf_counter()
    count = run(attempt)
    seconds = time.perf_counter() - start
    return Run(seconds, count, (_cpu(server) - cpu) / count)


def interleaved(rounds: int, benchmarks: list[tuple[str, Callable[[int], int]]],
                server: int) -> dict[str, list[Run]]:
    """Every benchmark once a round, in an order that turns each round (so that no tool
    always runs after the same one on a loaded machine); all runs of each."""
    runs: dict[str, list[Run]] = {name: [] for name, _ in benchmarks}
    for attempt in range(rounds):
        shift = attempt % len(benchmarks)
        for name, run in benchmarks[shift:] + benchmarks[:shift]:
            runs[name].append(timed(run, attempt, server))
    return runs


def spread(values: list[float]) -> str:
    """A median with the range of the runs, as ``12.3 (11.9-13.0)``."""
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


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


def run_requests(urls: list[str], jobs: int) -> int:
    """GET every URL with ``jobs`` threads, reading (and un-gzipping) each body whole."""
    local = threading.local()

    def get(url: str) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = local.session.get(url, timeout=30)
        response.raise_for_status()
        return len(response.content)

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(get, urls))
    return len(urls)


def main() -> None:
    """Run the tools interleaved, round by round; print medians with their range."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--size", type=int, default=250_000,
                        help="page size in bytes (synthetic shapes)")
    parser.add_argument("--jobs", type=int, default=8, help="threads, and requests per host")
    parser.add_argument("--shape", choices=[*sorted(SHAPES), "real"], default="real")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each tool, interleaved")
    args = parser.parse_args()
    if not shutil.which("nginx"):
        raise SystemExit("nginx is not installed (apt-get install nginx)")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        total = write_pages(work / "www", args.pages, args.size, args.shape)
        with nginx(work / "www", work) as (port, server):
            pages = [f"http://127.0.0.1:{port}/html/{i}.html" for i in range(args.pages)]
            plain = [f"http://127.0.0.1:{port}/plain/{i}.txt" for i in range(args.pages)]
            print(f"{args.pages} {args.shape} pages, {total / args.pages / 1000:.0f} KB on "
                  f"average, from nginx with gzip; {args.jobs} threads, {args.jobs} requests "
                  f"at a time to the host; {os.cpu_count()} CPUs; {args.rounds} rounds, "
                  "interleaved; median (range)")
            benchmarks: list[tuple[str, Callable[[int], int]]] = [
                ("plain requests", lambda _: run_requests(pages, args.jobs)),
                ("capture", lambda n: run_capture(pages, args.jobs, work / f"capture-{n}")),
                ("capture, no extraction",
                 lambda n: run_capture(plain, args.jobs, work / f"raw-{n}")),
                ("wget --warc-file", lambda n: run_wget(pages, work / f"wget-{n}")),
            ]
            runs = interleaved(args.rounds, benchmarks, server)
    print(f"{'':24} {'pages/s':>20} {'client CPU ms/page':>20}")
    for name, results in runs.items():
        print(f"{name:24} {spread([r.rate for r in results]):>20} "
              f"{spread([r.cpu_per_page * 1000 for r in results]):>20}")
    rate = {name: statistics.median(r.rate for r in results) for name, results in runs.items()}
    cpu = {name: statistics.median(r.cpu_per_page for r in results)
           for name, results in runs.items()}
    for name in ("capture", "capture, no extraction"):
        print(f"{name}: {rate[name] / rate['wget --warc-file']:.2f}x wget's pages/s, "
              f"{cpu[name] / cpu['wget --warc-file']:.2f}x its CPU per page; plain requests "
              f"{rate['plain requests'] / rate[name]:.2f}x its pages/s")


if __name__ == "__main__":
    main()
