"""How archiver's commands grow with the collection: one run of each at ``--sources``.

    python -m benchmarks.bench_growth [--dir DIR] [--sources 20000] [--page-kb 100] [--jobs N]

Builds (once; cached in ``--dir``) a collection as ``bench_verify`` builds it (every source
captured over HTTP with archiver's own capture; checked to pass verify), then runs, each as a
separate process tree measured as ``bench_verify`` measures (wall, CPU, the largest
process's peak RSS, the tree's sampled peak PSS): ``verify`` cold (caches emptied) and warm,
``seal --no-timestamp`` (with a new key), ``export bagit`` and ``export wacz`` of every source,
and ``report --output DIR`` (the folder report, after the warm verify: its verify is warm).
Prints each with its time and CPU per 1,000 sources. One run each, not a median: at 20,000
sources a run takes minutes; say so beside the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from archiver.collection import Collection
from benchmarks.bench_verify import (
    Measure,
    build,
    collection_arguments,
    measure,
    user_cache,
)


def main() -> None:
    """Build or reuse the collection, run each command once, print the table."""
    args = collection_arguments(__doc__.splitlines()[0])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = (args.dir or work / "collection").resolve()
        build(root, args.sources, args.page_kb * 1000)
        files = [root / p for p in Collection(root).corpus_files()]
        total = sum(os.path.getsize(f) for f in files)
        for name in files:  # the untimed read: every figure below is warm-page-cache
            name.read_bytes()
        archiver = [sys.executable, "-m", "archiver"]
        at = ["--root", str(root)]
        jobs = ["--jobs", str(args.jobs)]
        env = dict(os.environ, XDG_CONFIG_HOME=str(work / "config"))
        os.environ.update(env)  # the key made here is found by seal, in the measured tree
        if not (root / "keys").is_dir() or not any((root / "keys").iterdir()):
            subprocess.run([*archiver, "key", "new", "bench", *at], check=True,
                           capture_output=True, env=env)
        outputs = work / "out"
        outputs.mkdir()
        shutil.rmtree(user_cache(work), ignore_errors=True)
        steps = [
            ("verify cold", [*archiver, "verify", *at, *jobs, "--format", "json"]),
            ("verify warm", [*archiver, "verify", *at, *jobs, "--format", "json"]),
            ("report (folder)", [*archiver, "report", *at, *jobs,
                                 "--output", str(outputs / "report")]),
            ("seal (no TSA)", [*archiver, "seal", *at, "--no-timestamp"]),
            ("export bagit", [*archiver, "export", "bagit", *at, str(outputs / "bag")]),
            ("export wacz", [*archiver, "export", "wacz", *at, str(outputs / "all.wacz")]),
        ]
        per = args.sources / 1000
        print(f"\n{args.sources} sources ({len(files)} files, {total / 1e9:.2f} GB, pages "
              f"~{args.page_kb} KB); --jobs {args.jobs} on {os.cpu_count()} CPUs; one run each",
              flush=True)
        print(f"{'':18} {'wall s':>8} {'cpu s':>8} {'s/1000':>8} {'cpu/1000':>9} "
              f"{'max RSS MB':>11} {'tree PSS MB':>12}  exit", flush=True)
        runs: list[Measure] = []
        for name, command in steps:  # each printed as it ends: a long run is read as it goes
            m = measure(name, [command], work)
            runs.append(m)
            print(f"{m.name:18} {m.wall:8.1f} {m.cpu:8.1f} {m.wall / per:8.2f} "
                  f"{m.cpu / per:9.2f} {m.max_process_mb:11.0f} {m.tree_peak_mb:12.0f}  "
                  f"{m.codes}", flush=True)
        print(f"cold verify summary: {json.loads(runs[0].output)['summary']}")


if __name__ == "__main__":
    main()
