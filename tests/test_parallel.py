"""The day's big passes split across threads (``sim.engine.parallel``) change no result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.core.config import ConfigError
from sim.engine import kernels, parallel
from tests.conftest import small_model


def series(*overrides: str) -> pd.DataFrame:
    model = small_model("graph.n_users=1500", *overrides)
    for _ in range(model.cfg.steps):
        model.step()
    return model.datacollector.get_model_vars_dataframe()


@pytest.mark.parametrize("scenario", ["laissez_faire", "separate_shop", "rectify"])
def test_a_run_gives_the_same_series_on_one_thread_and_on_three(monkeypatch, scenario):
    """Every split pass, run in parts on three threads where it would not split, is the pass.

    ``SPLIT_AT`` is lowered so a 1,500-user run splits each pass, most into more
    parts than threads (each thread then takes parts as it frees); the test
    counts that passes really ran in parts.
    """
    monkeypatch.setattr(parallel, "SPLIT_AT", 80)
    monkeypatch.setenv("SIM_THREADS", "1")
    one = series(f"scenario={scenario}")
    split = []
    run = parallel.run

    def counting(task, parts):
        split.append(len(parts))
        return run(task, parts)

    monkeypatch.setattr(parallel, "run", counting)
    monkeypatch.setenv("SIM_THREADS", "3")
    three = series(f"scenario={scenario}")
    assert sum(parts > 3 for parts in split) > 100, "the passes did not split"
    pd.testing.assert_frame_equal(one, three)


def test_author_parts_keep_the_authors_in_order_with_about_equal_arcs(monkeypatch):
    monkeypatch.setattr(parallel, "SPLIT_AT", 20)
    monkeypatch.setenv("SIM_THREADS", "4")
    model = small_model("graph.n_users=1000")
    start = model.arcs.start
    authors = np.flatnonzero(np.random.default_rng(3).random(1000) < 0.5)
    parts = parallel.author_parts(start, authors)
    assert len(parts) == 4 * parallel.PARTS_PER_THREAD  # as many as there are arcs for
    np.testing.assert_array_equal(np.concatenate(parts), authors)
    counts = [kernels.arc_count(start, part) for part in parts]
    assert max(counts) - min(counts) <= 2 * np.diff(start).max()


def test_item_parts_cover_the_range_in_order(monkeypatch):
    monkeypatch.setattr(parallel, "SPLIT_AT", 20)
    monkeypatch.setenv("SIM_THREADS", "3")
    parts = parallel.item_parts(1000)  # PARTS_PER_THREAD a thread, of about equal length
    assert len(parts) == 3 * parallel.PARTS_PER_THREAD
    assert parts[0].start == 0 and parts[-1].stop == 1000
    assert [p.start for p in parts[1:]] == [p.stop for p in parts[:-1]]
    assert {p.stop - p.start for p in parts} <= {1000 // len(parts), 1000 // len(parts) + 1}
    # a pass just big enough to split: as many parts as threads can share, none empty
    parts = parallel.item_parts(100)
    assert len(parts) == 3 * parallel.PARTS_PER_THREAD and min(p.stop - p.start for p in parts) >= 4
    assert parallel.item_parts(20) == [slice(k, k + 1) for k in range(20)]
    assert parallel.item_parts(19) == [slice(0, 19)]  # too small to split
    monkeypatch.setenv("SIM_THREADS", "1")
    assert parallel.item_parts(1000) == [slice(0, 1000)]  # one thread: one part


def test_threads_take_parts_as_they_free_and_the_results_keep_the_parts_order(monkeypatch):
    """A slow first part does not hold up the rest: the other thread runs them meanwhile."""
    import threading
    import time

    monkeypatch.setenv("SIM_THREADS", "2")
    ran_by: dict[int, int] = {}

    def task(part: int) -> int:
        ran_by[part] = threading.get_ident()
        if part == 0:
            time.sleep(0.3)
        return 10 * part

    assert parallel.run(task, list(range(8))) == [10 * k for k in range(8)]
    assert len(set(ran_by.values())) == 2
    assert all(ran_by[k] != ran_by[0] for k in range(1, 8))  # one thread ran seven parts

    def add(part: int, out: np.ndarray) -> None:
        out[part % 3] += part

    made = []
    total = parallel.summed(add, list(range(8)), lambda: made.append(1) or np.zeros(3))
    assert total.tolist() == [0 + 3 + 6, 1 + 4 + 7, 2 + 5]
    assert 1 <= len(made) <= 2  # one array a thread, not one a part


def test_the_helper_threads_stay_between_passes(monkeypatch):
    """Starting a thread per pass cost 2% of a million-user day: the second pass starts none."""
    import threading

    monkeypatch.setenv("SIM_THREADS", "2")
    barrier = threading.Barrier(2, timeout=10)  # each pass needs both threads at once

    def task(part: int) -> int:
        barrier.wait()
        return threading.get_ident()

    assert len(set(parallel.run(task, [0, 1]))) == 2
    kept = {thread.ident for thread in threading.enumerate()}
    started = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: pytest.fail("a thread started"))
    second = set(parallel.run(task, [0, 1]))  # on the caller and a kept helper (any of them)
    monkeypatch.setattr(threading.Thread, "start", started)
    assert len(second) == 2 and second <= kept


def test_a_pass_within_a_pass_runs_on_the_thread_that_asks(monkeypatch):
    """A helper that waited for a helper could wait for itself."""
    import threading

    monkeypatch.setenv("SIM_THREADS", "2")
    barrier = threading.Barrier(2, timeout=10)  # both threads hold a part at once

    def inner(part: int) -> int:
        return part + 1

    def outer(part: int) -> list[int]:
        barrier.wait()
        return parallel.run(inner, [part, part + 10])

    got: list = []
    asking = threading.Thread(target=lambda: got.append(parallel.run(outer, [0, 1])), daemon=True)
    asking.start()
    asking.join(30)  # a helper waiting for itself would wait forever
    assert got == [[[1, 11], [2, 12]]]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_process_makes_its_own_helper_threads(monkeypatch):
    """The parent's threads do not exist in a forked child: it must not wait on them."""
    import multiprocessing
    import threading

    monkeypatch.setenv("SIM_THREADS", "2")
    barrier = threading.Barrier(2, timeout=10)
    parallel.run(lambda part: barrier.wait(), [0, 1])  # the parent has its helper now
    child = multiprocessing.get_context("fork").Process(target=_two_parts_in_a_child)
    child.start()
    child.join(30)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and child.exitcode == 0


def _two_parts_in_a_child() -> None:
    import threading

    barrier = threading.Barrier(2, timeout=10)
    assert parallel.run(lambda part: barrier.wait() >= 0 and part, [0, 1]) == [0, 1]


def test_a_failure_in_any_part_is_raised_to_the_caller_the_first_parts_first(monkeypatch):
    import time

    monkeypatch.setenv("SIM_THREADS", "2")
    finished = []

    def task(part):
        if part == 1:
            time.sleep(0.2)  # fails last in time, but it is the lower-numbered part
            raise ZeroDivisionError("part 1")
        if part == 3:
            raise KeyError("part 3")
        finished.append(part)
        return part

    assert parallel.run(task, [0, 2]) == [0, 2]
    finished.clear()
    with pytest.raises(ZeroDivisionError, match="part 1"):
        parallel.run(task, [0, 1, 2, 3])
    # every started part ran to its end before the error; none started after part 3's
    assert sorted(finished) == [0, 2]


def test_a_ctrl_c_in_any_part_wins_over_a_lower_parts_error(monkeypatch):
    import time

    monkeypatch.setenv("SIM_THREADS", "2")

    def task(part):
        if part == 0:
            time.sleep(0.2)  # part 1 is taken meanwhile: no part starts after an error
            raise ValueError("part 0")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        parallel.run(task, [0, 1])


def test_workers_share_the_cores_unless_the_user_chose(monkeypatch):
    import os

    environ = {key: value for key, value in os.environ.items() if key != "SIM_THREADS"}
    monkeypatch.setattr(parallel.os, "environ", environ)  # this test's own copy
    cores = parallel.workers()
    parallel.share_cores(2)
    assert parallel.workers() == max(1, cores // 2)
    environ["SIM_THREADS"] = "5"
    parallel.share_cores(2)
    assert parallel.workers() == 5


@pytest.mark.parametrize("setting", ["0", "two", "-1", "1.5"])
def test_sim_threads_must_be_a_whole_number_of_threads(monkeypatch, setting):
    monkeypatch.setenv("SIM_THREADS", setting)
    with pytest.raises(ConfigError, match="SIM_THREADS"):
        parallel.workers()


def test_a_bad_sim_threads_stops_a_run_before_its_first_day(monkeypatch):
    """Checked when the model is built, even for a run too small to split a pass."""
    monkeypatch.setenv("SIM_THREADS", "many")
    with pytest.raises(ConfigError, match="SIM_THREADS"):
        small_model()


def test_a_big_model_keeps_freed_blocks_and_a_small_one_leaves_malloc_alone(monkeypatch):
    """``sim.engine.heap``: process-wide, so only a model of ``BIG_RUN_USERS`` or more sets it."""
    import platform

    from sim.engine import heap

    calls = []
    monkeypatch.setattr(heap, "keep_freed_blocks", lambda: calls.append(True) or True)
    small_model("graph.n_users=300")
    assert calls == []
    monkeypatch.setattr(heap, "BIG_RUN_USERS", 300)
    small_model("graph.n_users=300")
    assert calls == [True]
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        import subprocess
        import sys

        # in a process of its own: the setting is process-wide, and this one runs the tests
        check = "from sim.engine import heap; assert heap.keep_freed_blocks() and heap._kept"
        subprocess.run([sys.executable, "-c", check], check=True)
