"""Benchmark ``archiver verify`` at scale, side by side with the tools it competes with.

    python -m benchmarks.bench_verify [--dir DIR] [--sources 2000] [--page-kb 700] [--jobs N]

Builds (once; cached in ``--dir``) a collection of ``--sources`` captures: as many distinct
article pages (about 20 KB of text each, filled to ``--page-kb`` with an inline image),
captured over HTTP from a local server with ``capture_urls``, so that every source has its
own page, WARC, text and history and the collection passes verify (checked after the build).
Then it times,
over the same files and each as a separate process tree:

* ``archiver verify`` cold (its caches emptied) and warm (caches filled);
* a plain hashlib sha256 pass over every corpus file, in one process;
* ``warcio check`` and ``fastwarc check --verify-payloads`` over every WARC (batched under
  ARG_MAX; fastwarc reads one file, so it gets the WARCs concatenated on a pipe);

with wall time, CPU time and peak memory (the largest process's RSS, and the tree's total
PSS sampled every 20 ms, which counts pages forked workers share with their parent once), and
prints the ratios against the goals. The page cache cannot be dropped without root, so every
file is read once, untimed, before the first measurement: all figures are warm-page-cache
figures.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from archiver.capture.pages import CaptureOptions, capture_urls
from archiver.collection import Collection
from archiver.verify import verify
from archiver.workers import default_jobs
from benchmarks.bench_capture import PageHandler, PageServer, make_page

BUILD_MARK = "bench-build.json"
ARTICLE_BYTES = 20_000  # the article text of every page; the rest is its inline image
ARG_BYTES = 100_000  # command line length per batch of WARCs, far below ARG_MAX
SAMPLE_SECONDS = 0.02

# Runs a list of commands one after the other, their output to the file named third, then
# writes the CPU time and the largest resident set of all of them (and their children) as
# JSON to the file named first.
_RUSAGE = """
import json, resource, subprocess, sys
with open(sys.argv[3], "wb") as out:
    codes = [subprocess.run(c, stdout=out).returncode for c in json.load(open(sys.argv[2]))]
r = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"cpu": r.ru_utime + r.ru_stime, "maxrss_kb": r.ru_maxrss, "codes": codes},
          open(sys.argv[1], "w"))
"""

# The baseline fixity pass: sha256 of every file named in the list file, nothing else, with
# the hash verify uses (hashlib: OpenSSL), in as many processes as the second argument says
# (verify's --jobs: the same implementation and process count on both sides).
SHA256 = """
import hashlib, sys
from multiprocessing import Pool
def digest(name):
    with open(name, "rb") as fh:
        hashlib.file_digest(fh, "sha256")
if __name__ == "__main__":
    names = open(sys.argv[1]).read().split("\\n")
    with Pool(int(sys.argv[2])) as pool:
        pool.map(digest, names, chunksize=16)
"""


def page(index: int, image_seed: int, page_bytes: int) -> bytes:
    """Article ``index`` (about 20 KB of text with links) with an inline base64 image that
    fills the page to ``page_bytes``; the image bytes come from ``image_seed``."""
    html = make_page(index, ARTICLE_BYTES)
    image_len = max(0, (page_bytes - len(html)) * 3 // 4)
    image = base64.b64encode(random.Random(image_seed).randbytes(image_len))
    figure = b'<figure><img alt="chart" src="data:image/jpeg;base64,' + image + b'"></figure>'
    return html.replace(b"</article>", figure + b"</article>")


class Pages(Sequence[bytes]):
    """``count`` pages of ``page_bytes``, each made when it is served: 20,000 pages of 700 KB
    do not fit in memory."""

    def __init__(self, count: int, page_bytes: int) -> None:
        self.count, self.page_bytes = count, page_bytes

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.count))]
        if not 0 <= index < self.count:
            raise IndexError(index)
        return page(index, index, self.page_bytes)


def capture_all(collection: Collection, count: int, page_bytes: int) -> None:
    """Capture ``count`` distinct pages over HTTP from a local server with archiver's own
    capture, as a user would: each source has its own page, WARC, text and history, so the
    collection passes verify and no text is shared between sources."""
    server = PageServer(("127.0.0.1", 0), PageHandler)  # serves page N at /html/N
    server.pages = Pages(count, page_bytes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        options = CaptureOptions(allow_private=True, jobs=8, per_host=8, timeout=60)
        failed = [o.message for o in capture_urls(
            collection, (f"{base}/html/{i}" for i in range(count)), options)
            if not o.ok or o.text_path is None]
    finally:
        server.shutdown()
        server.server_close()
    if failed:
        raise SystemExit(f"capture failed: {failed[:3]}")


def build(root: Path, sources: int, page_bytes: int) -> None:
    """Build the collection under ``root`` unless a build with these parameters is there,
    and check that a verify of it finds nothing (a benchmark of a failing collection
    measures the failure)."""
    params = {"sources": sources, "page_bytes": page_bytes, "generator": 2}
    mark = root / BUILD_MARK
    if mark.is_file() and json.loads(mark.read_text()) == params:
        print(f"reusing the collection in {root}", file=sys.stderr)
        return
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    collection = Collection.init(root)
    capture_all(collection, sources, page_bytes)
    result = verify(collection)
    # the one finding allowed: the collection is not sealed yet (a benchmark seals it)
    found = Counter(f.code for f in result.all_findings() if f.counts and f.code != "unsealed")
    if found:
        raise SystemExit(f"the generated collection fails verify: {dict(found)}")
    mark.write_text(json.dumps(params))
    print(f"built {sources} sources in {time.perf_counter() - started:.1f} s; verify finds "
          "nothing but that it is unsealed", file=sys.stderr)


@dataclass(frozen=True)
class Measure:
    """One measured run: wall and CPU seconds, the largest process's peak RSS and the
    sampled peak PSS of the whole process tree (MB)."""

    name: str
    wall: float
    cpu: float
    max_process_mb: float
    tree_peak_mb: float
    codes: list[int]
    output: bytes


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(c) for c in fh.read().split()]
    except OSError:  # it just ended
        return []


def _tree_pss(pid: int) -> int:
    """Proportional set size in bytes of the descendants of ``pid`` (not ``pid`` itself), now:
    pages a forked worker shares with its parent count once, not once per process."""
    total, todo = 0, _children(pid)
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as fh:
                pss = next(line for line in fh if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
        total += int(pss.split()[1]) * 1024
        todo += _children(current)
    return total


def measure(name: str, commands: list[list[str]], work: Path) -> Measure:
    """Run ``commands`` one after another in a fresh process tree and measure it."""
    plan, result, output = work / "plan.json", work / "rusage.json", work / "output"
    plan.write_text(json.dumps(commands))
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _RUSAGE, str(result), str(plan), str(output)])
    while proc.poll() is None:
        peak = max(peak, _tree_pss(proc.pid))
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - started
    usage = json.loads(result.read_text())
    print(f"  {name}: {wall:.2f} s", file=sys.stderr)
    return Measure(name, wall, usage["cpu"], usage["maxrss_kb"] / 1024, peak / 2**20,
                   usage["codes"], output.read_bytes())


def user_cache(work: Path) -> Path:
    """Point verify's cache (``$XDG_CACHE_HOME``) at a folder under ``work``, for this
    process and the commands it runs; return the folder, emptied for a cold run."""
    folder = work / "user-cache"
    os.environ["XDG_CACHE_HOME"] = str(folder)
    return folder


def batches(paths: list[str], prefix: list[str]) -> list[list[str]]:
    """``prefix`` + paths, split so that no command line exceeds ARG_BYTES."""
    out: list[list[str]] = []
    current: list[str] = []
    size = 0
    for path in paths:
        if current and size + len(path) + 1 > ARG_BYTES:
            out.append(prefix + current)
            current, size = [], 0
        current.append(path)
        size += len(path) + 1
    return [*out, prefix + current] if current else out


def collection_arguments(description: str) -> argparse.Namespace:
    """The options of the benchmarks that build a collection of captures (this one and
    ``bench_speed``): where, how many, how big, how many processes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dir", type=Path, help="where to build (and keep) the collection; "
                        "default: a temporary directory, removed afterwards")
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--page-kb", type=int, default=700, help="HTML page size in KB")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="verify (and bagit) processes (default: all cores)")
    return parser.parse_args()


def main() -> None:
    """Build or reuse the collection, measure every tool, print the table and the goals."""
    args = collection_arguments(__doc__.splitlines()[0])

    with tempfile.TemporaryDirectory() as tmp:
        root = (args.dir or Path(tmp) / "collection").resolve()
        build(root, args.sources, args.page_kb * 1000)
        files = sorted(str(root / p) for p in Collection(root).corpus_files())
        warcs = [f for f in files if f.endswith(".warc.gz")]
        total = sum(os.path.getsize(f) for f in files)
        for name in files:  # the untimed read: every figure below is warm-page-cache
            Path(name).read_bytes()
        listing = Path(tmp) / "files.txt"
        listing.write_text("\n".join(files))
        tools = Path(sys.executable).parent  # this venv's, found without activating it
        verify = [sys.executable, "-m", "archiver", "verify", "--root", str(root),
                  "--jobs", str(args.jobs), "--format", "json"]
        print(f"{len(warcs)} captures, {len(files)} files, {total / 1e9:.2f} GB, "
              f"verify --jobs {args.jobs}; measuring (warm page cache):", file=sys.stderr)
        sha = measure("sha256 pass", [[sys.executable, "-c", SHA256, str(listing),
                                        str(args.jobs)]], Path(tmp))
        # fastwarc check takes one file: feed it the WARCs as one stream (gzip members
        # concatenate), as process start-up per file would dominate its time.
        fast = measure("fastwarc check", batches(warcs, [
            "sh", "-c", f'cat "$@" | {tools}/fastwarc check --quiet --verify-payloads /dev/stdin',
            "sh"
        ]), Path(tmp))
        warcio = measure("warcio check", batches(warcs, [f"{tools}/warcio", "check"]),
                         Path(tmp))
        shutil.rmtree(user_cache(Path(tmp)), ignore_errors=True)
        cold = measure("verify cold", [verify], Path(tmp))
        warm = measure("verify warm", [verify], Path(tmp))
        report(args, len(warcs), total, [sha, fast, warcio, cold, warm])
        for run in (cold, warm):
            print(f"{run.name} summary: {json.loads(run.output)['summary']}")
        exit_codes = {m.name: m.codes for m in (sha, fast, warcio, cold, warm)}
        if any(code for codes in exit_codes.values() for code in codes):
            print(f"note: non-zero exit codes {exit_codes}")


def report(args: argparse.Namespace, captures: int, total: int, runs: list[Measure]) -> None:
    """The table of measurements and the ratios against the goals."""
    sha, fast, warcio, cold, warm = runs
    print(f"\n{captures} captures, {total / 1e9:.2f} GB, pages ~{args.page_kb} KB; "
          f"verify --jobs {args.jobs} on {os.cpu_count()} CPUs; warm page cache")
    print(f"{'':16} {'wall s':>8} {'cpu s':>8} {'MB/s':>8} {'capt/s':>8} "
          f"{'max RSS MB':>11} {'tree PSS MB':>12}")
    for m in runs:
        print(f"{m.name:16} {m.wall:8.2f} {m.cpu:8.2f} {total / 1e6 / m.wall:8.0f} "
              f"{captures / m.wall:8.0f} {m.max_process_mb:11.0f} {m.tree_peak_mb:12.0f}")
    base = sha.wall + fast.wall
    per_core = captures / (cold.wall * args.jobs)
    peak = max(cold.tree_peak_mb, warm.tree_peak_mb)
    goals = [
        (f"warm / (sha256 + fastwarc)   {warm.wall / base:6.2f}x", "<= 1.2x",
         warm.wall <= 1.2 * base),
        (f"cold / warcio check          {cold.wall / warcio.wall:6.2f}x", "< 1x",
         cold.wall < warcio.wall),
        (f"cold captures/s/core         {per_core:6.1f}", ">= 50", per_core >= 50),
        (f"verify peak memory (tree PSS) {peak:5.0f} MB", "< 200 MB", peak < 200),
    ]
    print()
    for text, goal, met in goals:
        print(f"{text}   goal {goal:9} {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
