"""Benchmark browser capture: ``archiver capture --browser`` beside ``chromium --headless
--screenshot`` (ArchiveBox's way, which records nothing but a PNG) of the same pages.

    python -m benchmarks.bench_browser [--pages 10] [--many 100] [--jobs 4] [--repeat 3]

The pages are tests/data/browsersite's story page (a story built by JavaScript from JSON, a
stylesheet with a web font, two images, one of them missing), served by a threaded stdlib
server in a child process, each page at its own URL (``?n=``). Three figures, runs
interleaved, medians and spread over ``--repeat`` rounds:

- one page per run: ``chromium --screenshot`` (its start, the page, the PNG, its exit) and
  ``archiver capture --browser`` of one URL (its start, the browser's, the page, the WARC read
  back, the text, the manifest), each as a fresh process;
- ``--many`` pages in one ``archiver capture --browser --jobs N`` run: one browser, N tabs.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / "tests" / "data" / "browsersite"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
ARCHIVER = [sys.executable, "-m", "archiver"]


class _Handler(SimpleHTTPRequestHandler):
    disable_nagle_algorithm = True

    def log_message(self, *_: object) -> None:
        """Quiet."""


def _serve(root: str, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Handler, directory=root))
    ready.put(server.server_address[1])
    server.serve_forever()


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[:4]} failed: {done.stderr.strip()[-300:]}")
    return took


def _collection(folder: Path) -> Path:
    root = folder / f"c{time.monotonic_ns()}"
    subprocess.run([*ARCHIVER, "init", "--root", str(root)], check=True, capture_output=True)
    return root


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10, help="single-page runs a round")
    parser.add_argument("--many", type=int, default=100, help="pages in the --jobs run")
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as folder:
        work = Path(folder)
        root = work / "site"
        shutil.copytree(SITE, root)
        (root / "fonts").mkdir()
        shutil.copyfile(FONT, root / "fonts" / "story.ttf")
        ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        server = multiprocessing.Process(target=_serve, args=(str(root), ready), daemon=True)
        server.start()
        base = f"http://127.0.0.1:{ready.get(timeout=30)}/index.html"
        shots: list[float] = []
        captures: list[float] = []
        many: list[float] = []
        n = 0
        for _ in range(args.repeat):
            for _ in range(args.pages):
                n += 1
                shots.append(_timed([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                     f"--screenshot={work / 'shot.png'}",
                                     "--window-size=1280,800", f"{base}?n={n}"]))
                captures.append(_timed([*ARCHIVER, "capture", "--root",
                                        str(_collection(work)), "--browser",
                                        "--allow-private", f"{base}?n={n}"]))
            urls = [f"{base}?n={n}-{i}" for i in range(args.many)]
            many.append(_timed([*ARCHIVER, "capture", "--root", str(_collection(work)),
                                "--browser", "--allow-private", "--jobs", str(args.jobs),
                                *urls]))
        server.terminate()

    def line(name: str, values: list[float], unit: str = "s") -> str:
        return (f"{name:<44} median {statistics.median(values):6.2f} {unit}  "
                f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})")

    print(line("chromium --headless --screenshot, a page", shots))
    print(line("archiver capture --browser, a page", captures))
    ratio = statistics.median(captures) / statistics.median(shots)
    print(f"{'ratio of the medians':<44} {ratio:.2f}x")
    print(line(f"archiver --browser --jobs {args.jobs}, {args.many} pages", many))
    per_page = [m / args.many for m in many]
    print(line("  per page", per_page))


if __name__ == "__main__":
    main()
