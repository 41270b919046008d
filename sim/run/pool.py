"""Worker processes for commands that run many simulations (calibration, frontier, docking).

The one place a pool is made. Workers start by ``spawn``: a fresh interpreter
each, so numba's compiled kernels, Hydra's global state and open files are
never inherited half-way; with one worker the jobs run in this process, with
no pool to start.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from sim.engine import parallel


class InProcess(Executor):
    """An executor that runs each job at once in this process (one worker, no pool)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` now; return its finished future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # the future carries it, as a pool's would
            future.set_exception(error)
        return future


def processes(workers: int | None = None) -> Executor:
    """Return an executor of ``workers`` processes (default: every core); one runs in-process.

    Use it as a context manager: ``with processes(jobs) as pool: pool.map(...)``.
    """
    count = workers or os.cpu_count() or 1
    if count == 1:
        return InProcess()
    return ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_share_cores,
        initargs=(parallel.worker_threads(count),),
    )


def _share_cores(threads: int) -> None:
    """In a worker: threads within a run (``sim.engine.parallel``) get this worker's share."""
    os.environ["SIM_THREADS"] = str(threads)
