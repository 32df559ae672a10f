"""Worker processes for CPU-bound work: verifying sources, archiving and extracting pages."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

_WATCH_SECONDS = 0.5  # how often a worker looks for its parent

# Imported once by the fork server, so that each worker starts with them loaded.
_PRELOAD = ["archiver.capture.pages", "archiver.verify"]


def default_jobs() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes.

    Forked from this process, and at once, when it runs no other thread: the workers then
    share its loaded modules' memory. Otherwise (fetching threads, a progress bar) forked
    from a fork server, because a fork would copy locks that other threads hold.
    """
    # imported here: multiprocessing is a tenth of the start-up of a run that needs no pool
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if threading.active_count() == 1:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                                   initargs=(os.getpid(),),
                                   mp_context=multiprocessing.get_context("fork"))
        pool.submit(int).result()  # the first task forks every worker, here and now
        return pool
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                               initargs=(os.getpid(),), mp_context=context)


def _start_worker(owner: int) -> None:
    """In a new worker: freeze what it inherited, and end it with the run (``_exit_with_parent``).

    The objects a worker inherits live as long as it does; frozen, the garbage collector
    never walks them, neither during the work nor in the full collections of the worker's
    exit, which the run otherwise waits for (a tenth of a ``verify`` of a few sources)."""
    gc.freeze()
    _exit_with_parent(owner)


def _exit_with_parent(owner: int) -> None:
    """In a new worker: end it when the process that started the pool (``owner``), or the one
    that forked this worker, is gone: a run killed with SIGKILL cannot stop its workers, and
    they would wait for work forever. (A fork server outlives the run while its workers do.)"""
    parent = os.getppid()
    # Ctrl-C reaches the whole process group: the run that owns the pool answers it with one
    # line and ends the pool; a worker's own KeyboardInterrupt would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # it exists, under another user: not ours, but alive
            return True
        return True

    def watch() -> None:
        while os.getppid() == parent and alive(owner):
            time.sleep(_WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
