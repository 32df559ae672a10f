"""Worker processes for CPU-bound work: verifying sources, archiving and extracting pages."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor

# Imported once by the fork server, so that each worker starts with them loaded.
_PRELOAD = ["archiver.capture", "archiver.verify"]


def default_jobs() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes.

    Forked from this process, and at once, when it runs no other thread: the workers then
    share its loaded modules' memory. Otherwise (fetching threads, a progress bar) forked
    from a fork server, because a fork would copy locks that other threads hold.
    """
    if threading.active_count() == 1:
        pool = ProcessPoolExecutor(max_workers=workers,
                                   mp_context=multiprocessing.get_context("fork"))
        pool.submit(int).result()  # the first task forks every worker, here and now
        return pool
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)
