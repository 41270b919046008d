"""The day's big compiled passes, split across the machine's cores.

At a million users a day walks millions of arcs whose rows lie scattered in
memory; one core spends most of such a pass waiting for memory, and two cores
wait for twice as many rows at once. The passes split here draw no random
numbers and write nothing two parts share, so a part's result is the result of
the whole pass over its slice: parts are contiguous, joined in order (or summed,
where sums of counts are exact in any order: ``summed``), and the
model's outputs do not depend on how many threads ran (``tests/test_parallel.py``).

A pass big enough to split (``SPLIT_AT`` arcs or items) is cut into
``PARTS_PER_THREAD`` parts a thread, and each thread takes the next part not
yet taken until none is left, so the threads finish within about a part of
each other. Equal arcs or items do not mean equal time: the parts with the many
small authors (the high-numbered users of a Holme-Kim graph) take longer a row
than the hubs'. With one part a thread, the first 60 days at a million users
spent 8.5 s in split passes, the calling thread's parts 5.3 s of it and the
other thread's 8.2 s: the calling thread waited a third of the time. With up
to four parts a thread but none under 100,000 items, most of a day's passes
(200,000 to 800,000 items) were cut in three, one thread ran two of them, and
over days 61-120 the two threads sat idle 40 ms a day of the 115 ms the day
spent in split passes; eight parts a thread left 14 ms idle, and a day took
0.955-0.963 as long (two models in one process, days alternated).

Why by hand, not numba's ``parallel=True``: that needs a threading layer, and
the one every machine has (workqueue) aborts the process when two Python
threads call parallel code at once (the dashboard serves each browser from a
thread); GNU OpenMP's is not safe across ``fork``. Plain threads running
``nogil`` kernels have neither problem. The threads are kept between passes
(starting one per pass was 2% of a million-user day: eighteen passes a day); a
forked process starts with none (``os.register_at_fork``) and makes its own.

``SIM_THREADS`` sets how many threads a pass may use (default: the cores this
process may run on). A pass smaller than ``SPLIT_AT`` arcs or items runs on
the calling thread alone, as every run of a few thousand users does.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from collections.abc import Callable, Sequence

import numpy as np

from sim.core.config import ConfigError
from sim.engine import kernels

SPLIT_AT = 200_000
"""Arcs (or items) a pass needs before it is split: below it, handing parts to the
other threads costs more than it saves."""

PARTS_PER_THREAD = 8
"""Parts a thread, once a pass splits: enough for the threads to finish together,
few enough to keep each part's fixed costs (a call, a result to join) small."""


def workers() -> int:
    """Return how many threads a pass may use: ``SIM_THREADS``, else the usable cores."""
    setting = os.environ.get("SIM_THREADS", "").strip()
    if setting:
        if not (setting.isascii() and setting.isdigit()) or int(setting) < 1:
            raise ConfigError(
                f"SIM_THREADS must be a whole number of threads >= 1, not {setting!r}"
            )
        return int(setting)
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_threads(processes: int) -> int:
    """Return the threads each of ``processes`` workers side by side may use.

    The user's ``SIM_THREADS`` if set, else this process's cores shared out: two
    workers on two cores run one thread each, not two.
    """
    if "SIM_THREADS" in os.environ:
        return workers()
    return max(1, workers() // max(1, processes))


def share_cores(processes: int) -> None:
    """Set ``SIM_THREADS`` to ``worker_threads(processes)``, for workers started after this."""
    os.environ["SIM_THREADS"] = str(worker_threads(processes))


def _parts(work: int) -> int:
    if work < SPLIT_AT:  # checked first: most passes of most runs are this small
        return 1
    threads = workers()
    if threads == 1:
        return 1
    return min(PARTS_PER_THREAD * threads, work)


def author_parts(start: np.ndarray, authors: np.ndarray) -> list[np.ndarray]:
    """Split ``authors`` into contiguous parts with about as many arcs each."""
    if not len(authors):
        return [authors]
    # the arcs between the first and the last author's lists bound theirs: no count needed
    # for the many passes that are too small to split
    if _parts(int(start[authors.max() + 1] - start[authors.min()])) == 1:
        return [authors]
    parts = _parts(kernels.arc_count(start, authors))
    if parts == 1:
        return [authors]
    return np.split(authors, kernels.author_cuts(start, authors, parts))


def item_parts(count: int) -> list[slice]:
    """Split ``range(count)`` into contiguous slices of about equal length."""
    parts = _parts(count)
    bounds = [count * p // parts for p in range(parts + 1)]
    return [slice(bounds[p], bounds[p + 1]) for p in range(parts)]


class _Helpers:
    """Threads that stay between passes, each running the jobs put in ``jobs`` in turn."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()
        self.local = threading.local()  # .helper: this thread is one of them

    def serve(self) -> None:
        self.local.helper = True
        while True:
            self.jobs.get()()

    def ensure(self, count: int) -> None:
        """Start threads until there are at least ``count``."""
        with self.lock:
            while len(self.threads) < count:
                thread = threading.Thread(target=self.serve, daemon=True, name="sim-pass")
                thread.start()
                self.threads.append(thread)


_helpers = _Helpers()


def _forget_helpers() -> None:
    """In a forked child: the parent's threads did not come along."""
    global _helpers
    _helpers = _Helpers()


os.register_at_fork(after_in_child=_forget_helpers)


def run[P, R](task: Callable[[P], R], parts: Sequence[P]) -> list[R]:
    """Return ``[task(part) for part in parts]``, the parts run on up to ``workers()`` threads.

    The calling thread is one of them. Each thread takes the next part no thread
    has taken, so the results do not depend on which thread ran which part.
    After an exception no further part is started; it is raised here once
    every started part has finished (a Ctrl-C in any part first, else the
    lowest-numbered failed part's).
    """
    if len(parts) == 1:
        return [task(parts[0])]
    results: list = [None] * len(parts)
    errors: dict[int, BaseException] = {}
    claim = itertools.count()  # next() on it is atomic: the GIL is held
    halt: list[bool] = []

    def work() -> None:
        while not errors and not halt and (k := next(claim)) < len(parts):
            try:
                results[k] = task(parts[k])
            except BaseException as error:  # re-raised on the calling thread
                errors[k] = error

    helpers = _helpers
    if getattr(helpers.local, "helper", False):  # a pass within a pass: no waiting on ourselves
        work()
        return _outcome(results, errors)
    finished = threading.Semaphore(0)

    def helped() -> None:
        try:
            work()
        finally:
            finished.release()

    submitted = 0
    try:
        wanted = min(workers(), len(parts)) - 1
        helpers.ensure(wanted)
        for _ in range(wanted):
            helpers.jobs.put(helped)
            submitted += 1
        work()
    finally:
        # every started part finishes before the caller goes on, even on Ctrl-C:
        # parts write into the model's arrays
        halt.append(True)
        interrupted = False
        for _ in range(submitted):
            while True:
                try:
                    finished.acquire()
                    break
                except KeyboardInterrupt:
                    interrupted = True
        if interrupted:
            raise KeyboardInterrupt
    return _outcome(results, errors)


def _outcome[R](results: list[R], errors: dict[int, BaseException]) -> list[R]:
    """Return ``results``, or raise the parts' error (``run``)."""
    for error in errors.values():
        if isinstance(error, KeyboardInterrupt):  # Ctrl-C in a part: the user's, first
            raise error
    if errors:
        raise errors[min(errors)]  # the first part's error, whichever failed first
    return results


def summed[P](
    task: Callable[[P, np.ndarray], None], parts: Sequence[P], zeros: Callable[[], np.ndarray]
) -> np.ndarray:
    """Return the sum of what ``task(part, out)`` adds into ``out`` over all ``parts``.

    Each thread adds its parts into an array of its own (``zeros()``, made at its
    first part), and the threads' arrays are added at the end: one array a
    thread, not one a part. The caller's sums must not depend on their order
    (counts: exact in any grouping).
    """
    outs: dict[int, np.ndarray] = {}

    def add(part: P) -> None:
        out = outs.get(threading.get_ident())
        if out is None:
            out = outs[threading.get_ident()] = zeros()
        task(part, out)

    run(add, parts)
    total, *rest = outs.values()
    for out in rest:
        total += out
    return total


def joined[P](task: Callable[[P], np.ndarray], parts: Sequence[P]) -> np.ndarray:
    """Return ``run(task, parts)`` as one array, the parts' results in order."""
    results = run(task, parts)
    return results[0] if len(results) == 1 else np.concatenate(results)


def joined_tuple[P](task: Callable[[P], tuple], parts: Sequence[P]) -> tuple:
    """Return ``run(task, parts)`` with each field of the parts' tuples joined in order."""
    results = run(task, parts)
    if len(results) == 1:
        return results[0]
    return tuple(np.concatenate(field) for field in zip(*results, strict=True))
