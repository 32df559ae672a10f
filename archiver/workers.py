"""Worker processes for CPU-bound work: verifying sources, extracting text from pages."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

# Imported once by the fork server, so that each worker starts with them loaded.
_PRELOAD = ["archiver.capture", "archiver.verify"]


def default_jobs() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes forked from a fork server, not from the caller: the
    caller may run threads (fetches, a progress bar) whose held locks a fork would copy."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)
