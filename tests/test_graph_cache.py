"""The on-disk graph cache: hits, keys, atomic writes, files that fail their checks, off switch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sim.core.config import GraphConfig
from sim.engine.graph_cache import cache_dir, cache_file, load_or_build
from sim.engine.graphs import build_graph

CFG = GraphConfig(kind="holme_kim", n_users=3000, mean_degree=40)


def builder(cfg: GraphConfig, seed: int, calls: list[int]):
    def build():
        calls.append(seed)
        return build_graph(cfg, np.random.default_rng([seed, 1]))

    return build


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_GRAPH_CACHE", str(tmp_path / "graphs"))
    return tmp_path / "graphs"


def test_second_request_loads_the_same_graph_without_building(cache):
    calls: list[int] = []
    first = load_or_build(CFG, 4, builder(CFG, 4, calls))
    again = load_or_build(CFG, 4, builder(CFG, 4, calls))
    assert calls == [4]
    assert first[0] == again[0] == 3000
    np.testing.assert_array_equal(first[1], again[1])
    assert again[1].dtype == np.int32  # edges are int32 everywhere (ARC_BYTES)
    [file] = cache.iterdir()
    assert file.name.startswith("holme_kim-3000-") and stored(file).dtype == np.int32


def stored(file):
    with np.load(file) as data:
        return data["edges"]


def test_key_covers_config_and_seed(cache):
    other = GraphConfig(kind="holme_kim", n_users=3000, mean_degree=40, triad_prob=0.4)
    names = {cache_file(cache, c, s).name for c in (CFG, other) for s in (0, 1)}
    assert len(names) == 4


def test_a_broken_file_is_rebuilt_and_replaced(cache, capsys):
    calls: list[int] = []
    cache.mkdir()
    file = cache_file(cache, CFG, 2)
    file.write_bytes(b"not a graph")
    _, edges = load_or_build(CFG, 2, builder(CFG, 2, calls))
    assert calls == [2]
    np.testing.assert_array_equal(stored(file), edges)
    assert [p.name for p in cache.iterdir()] == [file.name]  # no temporaries left
    assert "was not used (not a readable graph file" in capsys.readouterr().err


def tamper(file, change):
    """Rewrite a cached file with its edges changed by ``change`` (hash and size as stored)."""
    with np.load(file) as data:
        fields = {key: data[key] for key in data.files}
    fields["edges"] = change(fields["edges"].copy()).astype(np.int32)
    with open(file, "wb") as out:
        np.savez(out, **fields)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # all zeros, the right shape: every friendship a self-loop of user 0
        (np.zeros_like, "does not match its stored hash"),
        # one tie changed to another pair of users
        (lambda e: np.concatenate([e[:1] + np.int32(1), e[1:]]), "does not match its stored hash"),
        (lambda e: e[:-100], "does not match its stored hash"),  # truncated
    ],
)
def test_a_file_whose_content_changed_is_rebuilt_with_a_note(cache, capsys, change, reason):
    calls: list[int] = []
    _, built = load_or_build(CFG, 5, builder(CFG, 5, calls))
    [file] = cache.iterdir()
    tamper(file, change)
    _, edges = load_or_build(CFG, 5, builder(CFG, 5, calls))
    assert calls == [5, 5]  # not trusted: built again
    np.testing.assert_array_equal(edges, built)
    np.testing.assert_array_equal(stored(file), built)  # and the file replaced
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(file) in err[0] and reason in err[0] and "rebuilt" in err[0]
    load_or_build(CFG, 5, builder(CFG, 5, calls))
    assert calls == [5, 5] and not capsys.readouterr().err  # the rebuilt file is used quietly


def test_a_well_hashed_file_that_breaks_the_graph_rules_is_not_used(cache, capsys):
    from sim.engine.graph_cache import _store

    calls: list[int] = []
    cache.mkdir()
    file = cache_file(cache, CFG, 6)
    loops = np.array([[0, 0], [1, 2]], dtype=np.int64)  # a self-loop, hashed as if valid
    _store(file, loops, CFG.n_users)
    load_or_build(CFG, 6, builder(CFG, 6, calls))
    assert calls == [6] and "self-loop" in capsys.readouterr().err
    _store(file, np.array([[0, 1], [2, 3000]]), CFG.n_users)  # a node beyond the last user
    load_or_build(CFG, 6, builder(CFG, 6, calls))
    assert calls == [6, 6] and "a node outside 0..2999" in capsys.readouterr().err
    _store(file, np.array([[0, 1]]), 2999)  # stored for another number of users
    load_or_build(CFG, 6, builder(CFG, 6, calls))
    assert calls == [6, 6, 6] and "holds 2999 users" in capsys.readouterr().err


def test_small_graphs_and_off_switch_skip_the_cache(cache, monkeypatch):
    calls: list[int] = []
    small = GraphConfig(kind="holme_kim", n_users=400, mean_degree=30)
    load_or_build(small, 0, builder(small, 0, calls))
    assert not cache.exists()
    monkeypatch.setenv("SIM_GRAPH_CACHE", "off")
    assert cache_dir() is None
    load_or_build(CFG, 0, builder(CFG, 0, calls))
    load_or_build(CFG, 0, builder(CFG, 0, calls))
    assert calls == [0, 0, 0] and not cache.exists()


def test_concurrent_writers_leave_one_whole_file(cache):
    code = (
        "import numpy as np; from sim.core.config import GraphConfig;"
        "from sim.engine.graphs import build_graph;"
        "from sim.engine.graph_cache import load_or_build;"
        "cfg = GraphConfig(kind='holme_kim', n_users=3000, mean_degree=40);"
        "n, e = load_or_build(cfg, 9, lambda: build_graph(cfg, np.random.default_rng([9, 1])));"
        "print(int(e.sum()))"
    )
    env = {"SIM_GRAPH_CACHE": str(cache), "PATH": "/usr/bin:/bin"}
    writers = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True)
        for _ in range(4)
    ]
    sums = {w.communicate()[0].strip() for w in writers}
    assert all(w.returncode == 0 for w in writers) and len(sums) == 1
    [file] = cache.iterdir()
    assert str(stored(file).astype(np.int64).sum()) == sums.pop()
