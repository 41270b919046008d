"""Reading's draws by blocks of users, each block on a stream of its own (`sim.engine.streams`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.engine import kernels, parallel, streams
from tests.conftest import small_model

SMALL_SHIFT = 9
"""Blocks of 512 users, so a 1,500-user test world is three blocks (a real block is 131,072)."""


def series(*overrides: str) -> pd.DataFrame:
    model = small_model("graph.n_users=1500", *overrides)
    for _ in range(model.cfg.steps):
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def test_a_million_users_are_eight_blocks_and_a_small_world_one():
    rng = np.random.default_rng(0)
    million = streams.blocks(1_000_000, 0, rng)
    assert len(million) == 8 and million.users[0] == (0, 131_072)
    assert million.users[-1] == (7 * 131_072, 1_000_000)
    assert million.rngs[0] is rng  # block 0 draws from the model's own generator
    assert len(streams.blocks(131_072, 0, rng)) == 1
    assert len(streams.blocks(131_073, 0, rng)) == 2
    assert len(streams.blocks(2_000, 0, rng)) == 1


def test_each_block_has_a_stream_of_its_own_for_each_seed():
    first = {
        (seed, b): streams.blocks(400_000, seed, np.random.default_rng(seed)).rngs[b].random()
        for seed in (0, 1)
        for b in (1, 2, 3)
    }
    assert len(set(first.values())) == len(first)


def test_blocks_that_do_not_hold_every_user_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="do not hold"):
        streams.Blocks([(0, 1_000_000)], [rng], shift=17)  # users 131,072 on: no block
    with pytest.raises(ValueError, match="do not hold"):
        streams.Blocks([(0, 10), (10, 20)], [rng], shift=4)  # a generator short


@pytest.mark.parametrize("scenario", ["laissez_faire", "rectify"])
def test_a_world_in_blocks_gives_the_same_series_on_one_thread_and_on_three(monkeypatch, scenario):
    """The blocks, not the threads, decide which stream a draw comes from.

    Rectification folds items, so its readers draw expansions as well.
    """
    monkeypatch.setattr(streams, "BLOCK_SHIFT", SMALL_SHIFT)
    monkeypatch.setattr(parallel, "SPLIT_AT", 80)
    monkeypatch.setenv("SIM_THREADS", "1")
    one = series(f"scenario={scenario}")
    blocks_run = []
    read_block = kernels.read_block

    def counting(*args):
        blocks_run.append(args[5])
        return read_block(*args)

    monkeypatch.setattr(kernels, "read_block", counting)
    monkeypatch.setenv("SIM_THREADS", "3")
    three = series(f"scenario={scenario}")
    assert set(blocks_run) == {0, 1, 2}, "the world was not read in three blocks"
    pd.testing.assert_frame_equal(one, three)


def test_block_zero_draws_from_the_models_generator_and_the_others_from_their_own(monkeypatch):
    """Who opens Moments on day 1: block 0 as in one block of every user, the rest not."""
    filled: dict[int, np.ndarray] = {}  # by the generator drawn from: blocks fill side by side
    fill = kernels.opened_today

    def keep(in_moments, engagement, rng, out):
        fill(in_moments, engagement, rng, out)
        filled[id(rng)] = out.copy()

    monkeypatch.setattr(kernels, "opened_today", keep)
    one = small_model("graph.n_users=1500")  # one block
    one.step()
    whole = filled.pop(id(one.rng))
    monkeypatch.setattr(streams, "BLOCK_SHIFT", SMALL_SHIFT)
    three = small_model("graph.n_users=1500")  # three blocks
    three.step()
    first, *rest = (filled[id(rng)] for rng in three.blocks.rngs)
    assert three.blocks.rngs[0] is three.rng
    assert len(whole) == 1500 and [len(block) for block in [first, *rest]] == [512, 512, 476]
    np.testing.assert_array_equal(first, whole[:512])
    assert not np.array_equal(np.concatenate(rest), whole[512:])
