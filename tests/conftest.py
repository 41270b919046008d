"""Shared helpers: small configurations that run in well under a second."""

from __future__ import annotations

import pytest

from sim.core.config import SimConfig
from sim.engine.model import SocialCommerceModel
from sim.run.runner import composed_config

SMALL = ("graph.n_users=400", "graph.mean_degree=30", "steps=60", "progress=false")


def small_config(*overrides: str) -> SimConfig:
    """A validated config on a 400-user Holme-Kim graph, 60 days, plus ``overrides``.

    Hydra composes each set of other overrides once (``composed_config``); a
    plain ``seed=N`` is set on the copy.
    """
    seeds = [o for o in overrides if o.startswith("seed=") and o[5:].isdigit()]
    rest = [o for o in overrides if o not in seeds]
    return composed_config([*SMALL, *rest], int(seeds[-1][5:]) if seeds else None)


def small_model(*overrides: str) -> SocialCommerceModel:
    """A model built from ``small_config(*overrides)``."""
    return SocialCommerceModel(small_config(*overrides))


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(12345)


@pytest.fixture(autouse=True, scope="session")
def graph_cache_in_tmp(tmp_path_factory):
    """Keep the on-disk graph cache of the tests (and their subprocesses) out of ~/.cache."""
    import os

    os.environ.setdefault("SIM_GRAPH_CACHE", str(tmp_path_factory.mktemp("graph_cache")))
