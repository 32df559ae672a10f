"""Benchmark: peak memory of capture, import, verify and report on a compression bomb.

Run from the repository root: ``python -m benchmarks.bench_bomb [--inflated-mib N] [--runs R]``.
Writes (with warcio) a WARC of about 1 MB whose one response has a gzip ``Content-Encoding``
body that inflates to N MiB (default 1024), makes a collection with a received text for its
URL, then runs ``archiver import`` of the WARC into that source, ``verify --no-cache`` and
``report --no-cache``; and ``capture`` of the same body served by a stdlib HTTP server on
127.0.0.1. Each runs in its own process, R times interleaved; printed: each command's peak
resident memory (ru_maxrss of the process and the workers it waited for) and wall time,
median and range.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from bombs import URL, gzip_bomb, write_bomb  # the tests' bomb, written by warcio


class _Bomb(BaseHTTPRequestHandler):
    body = b""
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def measure(*args: str) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of one ``archiver`` run, which must exit 0 or 1."""
    argv = [sys.executable, "-m", "archiver", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return usage.ru_maxrss / 1024, time.perf_counter() - start


def main() -> None:
    """Print the peak RSS and time of import, verify and report on the bomb."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inflated-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {
        "capture": [], "import": [], "verify": [], "report": []}
    _Bomb.body = gzip_bomb(args.inflated_mib << 20)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bomb)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/bomb"
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        warc = write_bomb(base / "bomb.warc", args.inflated_mib << 20)
        text = base / "text.txt"
        text.write_text("The page's text as received.\n", encoding="utf-8")
        print(f"bomb WARC: {warc.stat().st_size:,} bytes, inflating to "
              f"{args.inflated_mib:,} MiB")
        for _ in range(args.runs):
            root = base / "collection"
            shutil.rmtree(root, ignore_errors=True)
            for argv in (["init", "--root", str(root)],
                         ["add", str(text), "--root", str(root), "--id", "bomb", "--url", URL]):
                subprocess.run([sys.executable, "-m", "archiver", *argv], check=True,
                               capture_output=True)
            at = ("--root", str(root))
            results["capture"].append(measure("capture", url, *at, "--allow-private",
                                              "--jobs", "1"))
            results["import"].append(measure("import", str(warc), *at, "--id", "bomb",
                                             "--url", URL))
            results["verify"].append(measure("verify", *at, "--no-cache", "--jobs", "1"))
            results["report"].append(measure("report", *at, "--no-cache", "--jobs", "1",
                                             "--output", str(base / "report.html")))
    server.shutdown()
    for command, runs in results.items():
        rss = [r for r, _ in runs]
        secs = [s for _, s in runs]
        print(f"{command:7} peak RSS median {statistics.median(rss):7.1f} MiB "
              f"(range {min(rss):.1f}-{max(rss):.1f}), time median {statistics.median(secs):.2f} s "
              f"(range {min(secs):.2f}-{max(secs):.2f}), {len(runs)} runs")


if __name__ == "__main__":
    main()
