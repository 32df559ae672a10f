"""Benchmark capture: pages/second of ``archiver capture`` vs ``wget --warc-file`` vs plain
requests, over the same pages from a local threaded server.

    PYTHONPATH=. python benchmarks/bench_capture.py [--pages 500] [--size 250000] [--jobs 8]

All pages are on one host, so the capture runs with ``per_host=jobs`` (the default of one
request at a time per host would measure politeness, not speed). The capture figure includes
everything ``archiver capture`` does per page: fetch, WARC, read-back, text extraction,
manifest. ``--no-extract`` serves the pages as ``text/plain`` so that no text is extracted,
which isolates the archiving cost from trafilatura's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from archiver.capture import CaptureOptions, capture_urls
from archiver.collection import Collection

WORDS = ["archive", "provenance", "court", "ruling", "minister", "report", "council", "rights",
         "water", "city", "river", "budget", "school", "election", "health", "market"]


def make_page(index: int, size: int) -> bytes:
    """An article-like HTML page of about ``size`` bytes, with links in its paragraphs."""
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        body = self.server.pages[self.path]
        self.send_response(200)
        self.send_header("Content-Type", self.server.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, bytes]
    content_type: str


def serve(pages: int, size: int, content_type: str, ports: multiprocessing.Queue[int]) -> None:
    """Serve the pages from this (child) process, so that the server does not compete with
    the client for the GIL; put the port on ``ports``."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.pages = {f"/page/{i}": make_page(i, size) for i in range(pages)}
    server.content_type = content_type
    ports.put(server.server_address[1])
    server.serve_forever()


def timed(run: Callable[[], int]) -> tuple[float, int]:
    """(seconds, pages fetched) of ``run``."""
    start = time.perf_counter()
    count = run()
    return time.perf_counter() - start, count


def run_capture(urls: list[str], jobs: int, work: Path) -> int:
    collection = Collection.init(work / "collection")
    options = CaptureOptions(allow_private=True, jobs=jobs, per_host=jobs, timeout=30)
    outcomes = list(capture_urls(collection, urls, options))
    failed = [o.message for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f"capture failed: {failed[:3]}")
    return len(outcomes)


def run_wget(urls: list[str], work: Path) -> int:
    listing = work / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    subprocess.run(["wget", "-q", "-i", str(listing), f"--warc-file={work / 'wget'}",
                    "-P", str(work / "wget-files")], check=True)
    return len(urls)


def run_requests(urls: list[str], jobs: int) -> int:
    local = threading.local()

    def get(url: str) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = local.session.get(url, timeout=30)
        response.raise_for_status()
        return len(response.content)

    with ThreadPoolExecutor(jobs) as pool:
        return len(list(pool.map(get, urls)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--size", type=int, default=250_000)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--no-extract", action="store_true",
                        help="serve text/plain so that capture extracts no text")
    args = parser.parse_args()

    content_type = "text/plain" if args.no_extract else "text/html; charset=utf-8"
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.pages, args.size, content_type,
                                                         ports), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=120)}"
    urls = [f"{base}/page/{i}" for i in range(args.pages)]
    print(f"{args.pages} pages of ~{args.size // 1000} KB, {args.jobs} jobs, "
          f"{'no extraction' if args.no_extract else 'with text extraction'}")

    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        runs: list[tuple[str, Callable[[], int]]] = [
            ("plain requests", lambda: run_requests(urls, args.jobs)),
            (f"archiver capture ({args.jobs} jobs)", lambda: run_capture(urls, args.jobs, work)),
        ]
        if shutil.which("wget"):
            runs.append(("wget --warc-file", lambda: run_wget(urls, work)))
        for name, run in runs:
            seconds, count = timed(run)
            results[name] = count / seconds
            print(f"{name:32} {count / seconds:8.1f} pages/s  ({seconds:.2f} s)")
    server.terminate()

    capture = next(v for k, v in results.items() if k.startswith("archiver"))
    if wget := results.get("wget --warc-file"):
        print(f"capture / wget:           {capture / wget:.2f}x  (goal >= 2)")
    print(f"plain requests / capture: {results['plain requests'] / capture:.2f}x  (goal <= 1.5)")


if __name__ == "__main__":
    main()
