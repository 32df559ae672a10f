"""Worker processes: started safely, and never left behind by a run that was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Starts a pool of two workers (with another thread running first, if asked: the pool then
# comes from the fork server), prints their pids, and keeps them busy for a minute.
SCRIPT = """
import os, sys, threading, time
from archiver.workers import process_pool
if sys.argv[1] == "threads":
    threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
pool = process_pool(2)
first = [pool.submit(time.sleep, 0.3) for _ in range(2)]
for f in first:
    f.result()
print(" ".join(str(p) for p in pool._processes), flush=True)
for _ in range(2):
    pool.submit(time.sleep, 60)
time.sleep(60)
"""


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie nobody reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
@pytest.mark.parametrize("start", ["alone", "threads"], ids=["forked", "fork-server"])
def test_workers_end_when_their_run_is_killed(start: str) -> None:
    run = subprocess.Popen([sys.executable, "-c", SCRIPT, start], stdout=subprocess.PIPE,
                           text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.stdout is not None
    workers = [int(pid) for pid in run.stdout.readline().split()]
    assert len(workers) == 2 and all(running(pid) for pid in workers)
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(pid) for pid in workers)
