"""Cold ``verify`` cost per capture on real pages beside synthetic ones, interleaved.

    python -m benchmarks.bench_verify_cost [--dir DIR] [--captures 500] [--page-kb 700]
                                           [--jobs N] [--rounds 5]

Builds (once; cached in ``--dir``) two collections of ``--captures`` captures each, both made
by ``archiver capture`` from nginx with gzip (as sites serve pages): the 60 pages of
``../shared/real-pages`` in turn, and ``bench_verify``'s synthetic pages (``--page-kb``).
Then runs ``archiver verify --jobs N`` cold (caches emptied) on each, alternately, for
``--rounds`` rounds, and prints captures per CPU second (all processes' CPU: the machine may be
shared, which stretches wall time more than CPU time) and per wall second, median and range.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from archiver.capture.pages import CaptureOptions, capture_urls
from archiver.collection import Collection
from archiver.workers import default_jobs
from benchmarks.bench_capture import nginx, spread, write_pages
from benchmarks.bench_verify import BUILD_MARK, measure, page, user_cache


def build(root: Path, captures: int, shape: str, page_bytes: int, work: Path) -> None:
    """``captures`` captures of real (``shape`` real) or synthetic pages from nginx."""
    params = {"captures": captures, "shape": shape, "page_bytes": page_bytes}
    mark = root / BUILD_MARK
    if mark.is_file() and json.loads(mark.read_text()) == params:
        return
    shutil.rmtree(root, ignore_errors=True)
    docroot = work / f"www-{shape}"
    shutil.rmtree(docroot, ignore_errors=True)
    if shape == "real":
        write_pages(docroot, captures, 0, "real")
    else:
        (docroot / "html").mkdir(parents=True)
        for i in range(captures):
            (docroot / "html" / f"{i}.html").write_bytes(page(i, i, page_bytes))
    collection = Collection.init(root)
    with nginx(docroot, work / f"nginx-{shape}") as (port, _):
        urls = [f"http://127.0.0.1:{port}/html/{i}.html" for i in range(captures)]
        options = CaptureOptions(allow_private=True, jobs=8, per_host=8, timeout=60)
        failed = [o.message for o in capture_urls(collection, urls, options) if not o.ok]
    if failed:
        raise SystemExit(f"capture failed: {failed[:3]}")
    shutil.rmtree(docroot)
    mark.write_text(json.dumps(params))


def main() -> None:
    """Build both collections, run cold verify on each in turn, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where to keep the collections")
    parser.add_argument("--captures", type=int, default=500)
    parser.add_argument("--page-kb", type=int, default=700, help="synthetic page size")
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "nginx-real").mkdir()
        (work / "nginx-synthetic").mkdir()
        base = (args.dir or work).resolve()
        roots = {shape: base / f"verify-cost-{shape}" for shape in ("real", "synthetic")}
        for shape, root in roots.items():
            build(root, args.captures, shape, args.page_kb * 1000, work)
            print(f"built {shape}", file=sys.stderr)
        runs: dict[str, list[tuple[float, float]]] = {shape: [] for shape in roots}
        for attempt in range(args.rounds):
            order = list(roots.items()) if attempt % 2 == 0 else list(roots.items())[::-1]
            for shape, root in order:
                shutil.rmtree(user_cache(work), ignore_errors=True)
                m = measure(f"verify cold, {shape}", [[
                    sys.executable, "-m", "archiver", "verify", "--root", str(root),
                    "--jobs", str(args.jobs), "--format", "json"]], work)
                summary = json.loads(m.output)["summary"]
                if summary["errors"]:
                    raise SystemExit(f"the {shape} collection fails verify: {summary}")
                runs[shape].append((m.cpu, m.wall))
    print(f"\ncold verify --jobs {args.jobs}, {args.captures} captures each, {args.rounds} "
          "rounds interleaved; median (range)")
    print(f"{'':12} {'captures per CPU s':>22} {'captures per s':>20} {'CPU ms/capture':>18}")
    for shape, results in runs.items():
        print(f"{shape:12} {spread([args.captures / c for c, _ in results]):>22} "
              f"{spread([args.captures / w for _, w in results]):>20} "
              f"{spread([c / args.captures * 1000 for c, _ in results]):>18}")
    real = statistics.median(args.captures / c for c, _ in runs["real"])
    print(f"real pages: {real:.1f} captures per CPU second (goal >= 60: "
          f"{'met' if real >= 60 else 'MISSED'})")


if __name__ == "__main__":
    main()
