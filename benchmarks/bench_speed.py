"""``archiver`` side by side with the plain tools a custodian would otherwise use.

    python -m benchmarks.bench_speed [--dir DIR] [--sources 2000] [--page-kb 700] [--jobs N]

Measures, over the same files and each as a separate process tree (wall time, CPU time, the
largest process's peak RSS and the tree's sampled peak PSS, as ``bench_verify`` measures):

* start-up: ``archiver --version`` against a bare ``python -c 'import sys'`` (median of 21);
* this repository's own collection (a copy): ``archiver verify`` as a user runs it, the first
  time (its cache removed before each run) and again (cache filled), against
  ``bagit.py --validate`` of a bag of the same files (median of 21 each);
* ``archiver verify`` cold (caches emptied) against ``bagit.py --validate`` of a bag made
  with bagit-python from the same corpus files (hard links, sha256 manifest), both with
  ``--jobs``/``--processes N``;
* ``archiver verify`` warm (caches filled) against a sha256 pass over the same files with the
  same hash implementation (hashlib: OpenSSL) in the same number of processes (``--jobs``),
  and against coreutils' ``sha256sum`` in as many processes (``xargs -P``);
* cold verify's captures per second per core (per CPU second: the machine may be shared).

The collection is built as ``bench_verify`` builds it (cached in ``--dir``). Every file is
read once, untimed, first: all figures are warm-page-cache figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import site
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bagit

from archiver.collection import Collection
from benchmarks.bench_verify import (
    SHA256,
    Measure,
    build,
    collection_arguments,
    measure,
    user_cache,
)

STARTS = 21
REPOSITORY = Path(__file__).resolve().parents[1]


def startup(command: list[str], *, check: bool = True, fresh: Path | None = None) -> float:
    """Median wall seconds of ``command`` over STARTS runs (after one untimed run); the
    folder ``fresh`` is removed before each run."""
    subprocess.run(command, check=check, capture_output=True)
    times = []
    for _ in range(STARTS):
        if fresh is not None:
            shutil.rmtree(fresh, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(command, check=check, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def install_kind() -> str:
    """``editable`` or ``regular``: an editable install starts slower (its import hook runs
    at every start), so start-up figures hold for the kind they were measured on."""
    found = [p for d in site.getsitepackages() for p in Path(d).glob("__editable__*archiver*")]
    return "editable" if found else "regular"


def make_bag(root: Path, files: list[str], bag: Path, jobs: int) -> None:
    """A BagIt bag of ``files`` (hard links: the same inodes) with a sha256 manifest."""
    if bag.exists():
        shutil.rmtree(bag)
    for name in files:
        target = bag / Path(name).relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(name, target)
    bagit.make_bag(str(bag), checksums=["sha256"], processes=jobs)


def repository_runs(work: Path) -> tuple[float, float, float]:
    """Median wall seconds of ``archiver verify`` of a copy of this repository's collection,
    the first time (no cache) and again (cache filled), and of ``bagit.py --validate`` of a
    bag of the same files. Its texts' damage makes verify exit 1 by design: not checked."""
    copy = work / "repository"
    for part in ("manifests", "corpus"):
        shutil.copytree(REPOSITORY / part, copy / part)
    files = sorted(str(copy / p) for p in Collection(copy).corpus_files())
    files += sorted(str(p) for p in (copy / "manifests").glob("*.json"))
    bag = work / "repository-bag"
    make_bag(copy, files, bag, 1)
    bin_dir = Path(sys.executable).parent
    verify = [str(bin_dir / "archiver"), "verify", "--root", str(copy)]
    first = startup(verify, check=False, fresh=user_cache(work))
    again = startup(verify, check=False)
    return first, again, startup([str(bin_dir / "bagit.py"), "--validate", "--quiet", str(bag)])


def main() -> None:
    """Build or reuse the collection, measure each pair, print the table and the goals."""
    args = collection_arguments(__doc__.splitlines()[0])

    bin_dir = Path(sys.executable).parent
    version = startup([str(bin_dir / "archiver"), "--version"])
    bare = startup([sys.executable, "-c", "import sys"])
    print(f"start-up ({install_kind()} install): archiver --version {version * 1000:.0f} ms, "
          f"python -c 'import sys' {bare * 1000:.0f} ms", file=sys.stderr)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        repository = repository_runs(work)
        print("this repository: archiver verify first {:.0f} ms, again {:.0f} ms, bagit.py "
              "--validate {:.0f} ms".format(*(t * 1000 for t in repository)), file=sys.stderr)
        root = (args.dir or work / "collection").resolve()
        build(root, args.sources, args.page_kb * 1000)
        files = sorted(str(root / p) for p in Collection(root).corpus_files())
        captures = sum(f.endswith(".warc.gz") for f in files)
        total = sum(os.path.getsize(f) for f in files)
        bag = root.parent / f"{root.name}-bag"
        make_bag(root, files, bag, args.jobs)
        for name in files:  # the untimed read: every figure below is warm-page-cache
            Path(name).read_bytes()
        verify = [sys.executable, "-m", "archiver", "verify", "--root", str(root),
                  "--jobs", str(args.jobs), "--format", "json"]
        print(f"{captures} captures, {len(files)} files, {total / 1e9:.2f} GB; measuring:",
              file=sys.stderr)
        listing = work / "files.txt"
        listing.write_text("\n".join(files))
        sha = measure(f"hashlib sha256 x{args.jobs}", [[sys.executable, "-c", SHA256,
                                                       str(listing), str(args.jobs)]], work)
        coreutils = measure(f"sha256sum x{args.jobs}", [[
            "sh", "-c", f'tr "\\n" "\\0" < "$1" | xargs -0 -P {args.jobs} -n 64 sha256sum',
            "sh", str(listing)]], work)
        bagit_run = measure("bagit.py --validate", [[
            str(bin_dir / "bagit.py"), "--validate", "--quiet", "--processes", str(args.jobs),
            str(bag)]], work)
        shutil.rmtree(user_cache(work), ignore_errors=True)
        cold = measure("verify cold", [verify], work)
        warm = measure("verify warm", [verify], work)
        runs = [sha, coreutils, bagit_run, cold, warm]
        if any(code for m in runs for code in m.codes if m is not cold and m is not warm):
            raise SystemExit(f"a baseline failed: {[(m.name, m.codes) for m in runs]}")
        report(args, captures, total, (version, bare, *repository), runs)
        if args.dir is None:
            shutil.rmtree(bag)


def report(args: argparse.Namespace, captures: int, total: int,
           starts: tuple[float, float, float, float, float], runs: list[Measure]) -> None:
    """The table of measurements and the ratios against the goals (wall, and CPU)."""
    version, bare, repo_first, repo_again, repo_bagit = starts
    sha, coreutils, bagit_run, cold, warm = runs
    print(f"\n{captures} captures, {total / 1e9:.2f} GB, pages ~{args.page_kb} KB; "
          f"--jobs {args.jobs} on {os.cpu_count()} CPUs; warm page cache")
    print(f"{'':22} {'wall s':>8} {'cpu s':>8} {'capt/s':>8} {'max RSS MB':>11} "
          f"{'tree PSS MB':>12}")
    for m in runs:
        print(f"{m.name:22} {m.wall:8.2f} {m.cpu:8.2f} {captures / m.wall:8.0f} "
              f"{m.max_process_mb:11.0f} {m.tree_peak_mb:12.0f}")
    per_cpu = captures / cold.cpu
    rss = max(cold.max_process_mb, warm.max_process_mb)
    pss = max(cold.tree_peak_mb, warm.tree_peak_mb)
    goals = [
        ("archiver --version / python start", version / bare, None, 5.0),
        ("this repository: verify / bagit.py", repo_again / repo_bagit, None, 3.0),
        ("  the first verify / bagit.py", repo_first / repo_bagit, None, 3.0),
        ("verify cold / bagit.py --validate", cold.wall / bagit_run.wall,
         cold.cpu / bagit_run.cpu, 3.0),
        ("verify warm / hashlib sha256 pass", warm.wall / sha.wall, warm.cpu / sha.cpu, 2.0),
        ("verify warm / sha256sum", warm.wall / coreutils.wall, warm.cpu / coreutils.cpu, 2.0),
    ]
    print()
    for name, wall, cpu, limit in goals:
        by_cpu = f", cpu {cpu:5.2f}x" if cpu is not None else ""
        print(f"{name:36} wall {wall:5.2f}x{by_cpu}   goal <= {limit:g}x "
              f"{'met' if wall <= limit else 'MISSED'}")
    print(f"{'cold verify captures per CPU second':36} {per_cpu:6.1f}        goal >= 50 "
          f"{'met' if per_cpu >= 50 else 'MISSED'}")
    print(f"{'verify peak RSS (largest process)':36} {rss:6.0f} MB     goal < 200 MB "
          f"{'met' if rss < 200 else 'MISSED'} (tree PSS {pss:.0f} MB)")
    print(f"start-up ({install_kind()} install): archiver --version {version * 1000:.1f} ms, "
          "bare python "
          f"{bare * 1000:.1f} ms (median of {STARTS}); this repository: verify "
          f"{repo_again * 1000:.0f} ms (the first {repo_first * 1000:.0f} ms), bagit.py "
          f"{repo_bagit * 1000:.0f} ms")


if __name__ == "__main__":
    main()
