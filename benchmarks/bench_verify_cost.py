"""Cold ``verify`` cost per capture on real pages beside synthetic ones, interleaved.

    python -m benchmarks.bench_verify_cost [--dir DIR] [--captures 500] [--page-kb 700]
                                           [--jobs N] [--rounds 5] [--against CHECKOUT ...]

Builds (once; cached in ``--dir``) two collections of ``--captures`` captures each, both made
by ``archiver capture`` from nginx with gzip (as sites serve pages): the 60 pages of
``../shared/real-pages`` in turn, and ``bench_verify``'s synthetic pages (``--page-kb``).
Then runs ``archiver verify --jobs N`` cold (caches emptied) on each, alternately, for
``--rounds`` rounds, and prints captures per CPU second (all processes' CPU: the machine may be
shared, which stretches wall time more than CPU time) and per wall second, median and range.

This machine's speed drifts by a third within minutes, so a figure alone says little about a
change: ``--against CHECKOUT`` (another version's source tree, such as a ``git worktree`` of an
older commit; repeatable) adds that version to every round, run from its tree (``python -P``,
``PYTHONPATH``) on real pages it captured itself (an older version may not read today's
manifests), and prints this version's captures per CPU second over that version's, round by
round: the figure that survives the drift.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from archiver.cache import LEGACY_CACHE
from archiver.capture.pages import CaptureOptions, capture_urls
from archiver.collection import Collection
from archiver.workers import default_jobs
from benchmarks.bench_capture import nginx, spread, write_pages
from benchmarks.bench_verify import BUILD_MARK, batches, measure, page, user_cache


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


def archiver_of(checkout: Path) -> list[str]:
    """The command that runs the ``archiver`` of another version's source tree."""
    return ["env", f"PYTHONPATH={checkout}", sys.executable, "-P", "-m", "archiver"]


def revision(checkout: Path) -> str:
    """The commit a source tree is at (its folder's name if it is not a git checkout)."""
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else checkout.name


def build_with(root: Path, captures: int, checkout: Path, work: Path) -> None:
    """``captures`` captures of the real pages from nginx, made by the ``archiver capture``
    of ``checkout`` (its own manifests, which that version reads)."""
    params = {"captures": captures, "shape": "real", "version": revision(checkout)}
    mark = root / BUILD_MARK
    if mark.is_file() and json.loads(mark.read_text()) == params:
        return
    shutil.rmtree(root, ignore_errors=True)
    docroot, server = work / "www-against", work / "nginx-against"
    shutil.rmtree(docroot, ignore_errors=True)
    server.mkdir(exist_ok=True)
    write_pages(docroot, captures, 0, "real")
    command = archiver_of(checkout)
    subprocess.run([*command, "init", "--root", str(root)], check=True, capture_output=True)
    with nginx(docroot, server) as (port, _):
        urls = [f"http://127.0.0.1:{port}/html/{i}.html" for i in range(captures)]
        for batch in batches(urls, [*command, "capture", "--root", str(root), "--allow-private",
                                    "--jobs", "8", "--per-host", "8", "--timeout", "60"]):
            done = subprocess.run(batch, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"capture by {checkout} failed: {done.stderr[-500:]}")
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
    parser.add_argument("--against", type=Path, action="append", default=[],
                        metavar="CHECKOUT", help="another version's source tree, run beside")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "nginx-real").mkdir()
        (work / "nginx-synthetic").mkdir()
        base = (args.dir or work).resolve()
        this = [sys.executable, "-m", "archiver"]
        # what is run: (the collection, the archiver command), by the row it is printed in
        plan = {shape: (base / f"verify-cost-{shape}", this) for shape in ("real", "synthetic")}
        for shape, (root, _) in plan.items():
            build(root, args.captures, shape, args.page_kb * 1000, work)
            print(f"built {shape}", file=sys.stderr)
        for checkout in args.against:
            checkout = checkout.resolve()
            version = revision(checkout)
            root = base / f"verify-cost-real-{version}"
            build_with(root, args.captures, checkout, work)
            print(f"built real, for {version}", file=sys.stderr)
            plan[f"real, {version}"] = (root, archiver_of(checkout))
        runs: dict[str, list[tuple[float, float]]] = {row: [] for row in plan}
        for attempt in range(args.rounds):
            order = list(plan.items()) if attempt % 2 == 0 else list(plan.items())[::-1]
            for row, (root, command) in order:
                shutil.rmtree(user_cache(work), ignore_errors=True)
                shutil.rmtree(root / LEGACY_CACHE, ignore_errors=True)  # older versions' cache
                m = measure(f"verify cold, {row}", [[
                    *command, "verify", "--root", str(root),
                    "--jobs", str(args.jobs), "--format", "json"]], work)
                summary = json.loads(m.output)["summary"]
                if summary["errors"]:
                    raise SystemExit(f"the {row} collection fails verify: {summary}")
                runs[row].append((m.cpu, m.wall))
    print(f"\ncold verify --jobs {args.jobs}, {args.captures} captures each, {args.rounds} "
          "rounds interleaved; median (range)")
    print(f"{'':16} {'captures per CPU s':>22} {'captures per s':>20} {'CPU ms/capture':>18}")
    for row, results in runs.items():
        print(f"{row:16} {spread([args.captures / c for c, _ in results]):>22} "
              f"{spread([args.captures / w for _, w in results]):>20} "
              f"{spread([c / args.captures * 1000 for c, _ in results]):>18}")
    for row in list(runs)[2:]:  # each other version: this one's speed over its, round by round
        ratios = [theirs / ours
                  for (ours, _), (theirs, _) in zip(runs["real"], runs[row], strict=True)]
        print(f"real pages, this version over {row.removeprefix('real, ')}: "
              f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) times "
              "its captures per CPU second (the same rounds)")
    real = statistics.median(args.captures / c for c, _ in runs["real"])
    print(f"real pages: {real:.1f} captures per CPU second (goal >= 60: "
          f"{'met' if real >= 60 else 'MISSED'})")


if __name__ == "__main__":
    main()
