"""The arc table: layout by author, twins, status changes and counts."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import kernels
from sim.engine.network import ArcStatus, ArcTable


def table():
    return ArcTable(4, np.array([[0, 1], [0, 2], [1, 2], [2, 3]]))


def test_arcs_are_grouped_by_author_with_reverse_twins():
    arcs = table()
    assert len(arcs) == 8
    author, twin = arcs.authors(), arcs.twin_of(np.arange(len(arcs)))
    assert (np.diff(author) >= 0).all()
    assert (author[twin] == arcs.reader).all()
    assert (arcs.reader[twin] == author).all()
    assert arcs.start.tolist() == [0, 2, 4, 7, 8]


def test_of_authors_and_between():
    arcs = table()
    idx = arcs.of_authors(np.array([2, 0]))
    assert sorted(zip(arcs.author_of(idx).tolist(), arcs.reader[idx].tolist(), strict=True)) == [
        (0, 1),
        (0, 2),
        (2, 0),
        (2, 1),
        (2, 3),
    ]
    assert len(arcs.of_authors(np.array([], dtype=int))) == 0
    assert arcs.author_of(np.array([arcs.between(3, 2)]))[0] == 2
    assert arcs.reader[arcs.between(3, 2)] == 3
    assert arcs.between(0, 3) == -1


def test_unfriending_removes_both_directions_and_counts_stay_consistent():
    arcs = table()
    arc = arcs.between(1, 0)
    arcs.mute(np.array([arcs.between(0, 1)]))
    assert arcs.counts.tolist() == [7, 1, 0]
    arcs.remove(np.array([arc, arc]))
    assert arcs.status[arc] == ArcStatus.REMOVED
    assert arcs.status[arcs.twin_of(np.array([arc]))[0]] == ArcStatus.REMOVED
    assert arcs.counts.tolist() == [6, 0, 2]
    assert arcs.counts.tolist() == np.bincount(arcs.status, minlength=3).tolist()
    assert sorted(arcs.friends(0).tolist()) == [2]


def test_visible_sum_counts_only_visible_arcs():
    arcs = table()
    posts = np.array([1.0, 2.0, 4.0, 8.0])
    assert arcs.visible_sum(posts).tolist() == [6.0, 5.0, 11.0, 4.0]
    arcs.mute(np.array([arcs.between(2, 3)]))
    arcs.remove(np.array([arcs.between(0, 1)]))
    assert arcs.visible_sum(posts).tolist() == [4.0, 4.0, 3.0, 4.0]


def test_find_gives_the_arc_of_each_pair_or_minus_one():
    rng = np.random.default_rng(3)
    n = 60
    edges = rng.integers(0, n, (300, 2))
    edges = np.unique(np.sort(edges[edges[:, 0] != edges[:, 1]], axis=1), axis=0)
    arcs = ArcTable(n, edges)
    readers, authors = rng.integers(0, n, 2000), rng.integers(0, n, 2000)
    expected = [arcs.between(int(r), int(a)) for r, a in zip(readers, authors, strict=True)]
    found = arcs.find(readers, authors)
    assert found.tolist() == expected
    assert (found >= 0).sum() > 100 and (found < 0).sum() > 100  # both kinds were asked


@pytest.mark.parametrize("sort", [True, False])
def test_the_counted_layout_equals_sorting_arcs_by_author_then_reader(sort):
    rng = np.random.default_rng(7)
    n = 200
    edges = rng.integers(0, n, (3000, 2))
    edges = np.unique(np.sort(edges[edges[:, 0] != edges[:, 1]], axis=1), axis=0)
    if not sort:  # any order and orientation
        edges = edges[rng.permutation(len(edges))]
        flip = rng.random(len(edges)) < 0.5
        edges[flip] = edges[flip][:, ::-1]
    arcs = ArcTable(n, edges)
    # the plain construction: both directions, sorted by (author, reader)
    author = np.concatenate([edges[:, 1], edges[:, 0]])
    reader = np.concatenate([edges[:, 0], edges[:, 1]])
    order = np.lexsort((reader, author))
    assert arcs.authors().tolist() == author[order].tolist()
    assert arcs.reader.tolist() == reader[order].tolist()
    assert arcs.start.tolist() == np.searchsorted(author[order], np.arange(n + 1)).tolist()


def test_author_and_twin_of_any_arcs_in_any_order():
    """No author or twin is stored: both are computed, for arcs in any order and with repeats."""
    rng = np.random.default_rng(11)
    n = 300
    edges = rng.integers(0, n, (2500, 2))
    edges = np.unique(np.sort(edges[edges[:, 0] != edges[:, 1]], axis=1), axis=0)
    arcs = ArcTable(n + 5, edges)  # five users without friends: empty slices in the offsets
    author = np.repeat(np.arange(n + 5), np.diff(arcs.start))
    idx = np.concatenate([rng.permutation(len(arcs)), np.arange(len(arcs)), [0, 0, len(arcs) - 1]])
    assert arcs.author_of(idx).tolist() == author[idx].tolist()
    twin = arcs.twin_of(idx)
    assert (author[twin] == arcs.reader[idx]).all()
    assert (arcs.reader[twin] == author[idx]).all()
    assert (arcs.twin_of(twin) == idx).all()


def test_the_kernels_view_is_the_tables_own_arrays_by_name():
    """Kernels write trust and exposure in place: the view must hold the arrays, not copies."""
    arcs = table()
    arcs.trust = np.full(len(arcs), 0.5)  # the model replaces trust after construction
    view = arcs.kernel_view()
    for name in kernels.Arcs._fields:
        assert getattr(view, name) is getattr(arcs, name), name
    idx = np.array([0, 3])
    before = kernels.erode(
        view,
        np.zeros(4, dtype=bool),
        idx,
        np.array([2, 1]),
        np.zeros(2),
        kernels.ErosionParams(
            day=1,
            window=7.0,
            per_item=0.1,
            clutter_gain=0.0,
            onset=1e9,
            slope=0.0,
            seller_factor=1.0,
        ),
    )
    assert before.tolist() == [0.5, 0.5]
    assert (arcs.trust[idx] < 0.5).all() and arcs.trust[arcs.trust < 0.5].size == 2
    assert arcs.exposure[idx].tolist() == [2.0, 1.0] and arcs.exposure_day[idx].tolist() == [1, 1]


def test_packed_bits_read_and_write_like_a_boolean_array():
    from sim.engine.network import PackedBits

    bits, plain = PackedBits(21), np.zeros(21, dtype=bool)
    rng = np.random.default_rng(3)
    for _ in range(50):
        idx = rng.integers(0, 21, rng.integers(1, 8))  # repeats included
        value = bool(rng.random() < 0.6)
        bits[idx], plain[idx] = value, value
        np.testing.assert_array_equal(bits[np.arange(21)], plain)
        assert bits.count() == plain.sum() and bits[int(idx[0])] == plain[idx[0]]


def test_a_graph_over_the_int32_arc_limit_is_refused_in_one_line(monkeypatch):
    from sim.core.config import ConfigError
    from sim.engine import network

    monkeypatch.setattr(network, "MAX_ARCS", 5)
    with pytest.raises(ConfigError, match="the graph has 6 arcs; the arc table holds at most 5"):
        ArcTable(4, np.array([[0, 1], [1, 2], [2, 3]]))


def test_the_arc_table_takes_the_bytes_it_declares():
    from sim.engine.network import ARC_BYTES

    table = ArcTable(5, np.array([[0, 1], [0, 2], [1, 3], [2, 4], [3, 4]]))
    arrays = {k: v for k, v in vars(table).items() if isinstance(v, np.ndarray) and len(v) == 10}
    assert {k: v.itemsize for k, v in arrays.items()} == {
        k: b for k, b in ARC_BYTES.items() if k != "following"
    }
    assert table.following.words.nbytes == 2  # 10 bits


def test_baselines_are_stored_in_16_bits_and_read_alike_everywhere():
    """A baseline is ``round(T0 x 65535)``; numpy and the kernels read the same float32."""
    arcs = table()
    levels = np.array([0.0, 1.0, 0.5, 1 / 3, 0.123456, 0.999999, 2e-6, 0.7])
    arcs.set_baselines(slice(None), levels)
    read = arcs.baseline_of(slice(None))
    assert read.dtype == np.float32 and (arcs.trust == read).all()  # trust starts there
    assert np.abs(read - levels).max() <= 0.5 / 65535 + 1e-7
    codes = np.arange(65536, dtype=np.uint16)
    numpy_read = np.divide(codes[::97], np.float32(65535), dtype=np.float32)
    kernel_read = [kernels.baseline_level(c) for c in codes[::97]]  # not rounded again here
    assert kernel_read == numpy_read.tolist()
    arcs.set_baselines(np.array([3]), 0.25)
    assert arcs.baseline_of(np.array([3]))[0] == arcs.trust[3] == np.float32(16384 / 65535)


def test_a_graph_handed_over_is_freed_once_laid_out_and_is_the_graph_of_a_run():
    """``graph=[graph].pop``: the model holds the only reference, as when it builds the graph."""
    import gc
    import weakref

    from sim.engine.graphs import build_graph
    from sim.engine.model import SocialCommerceModel
    from tests.conftest import small_model

    built = small_model("graph.n_users=400", "steps=5")
    cfg = built.cfg
    n_users, edges = build_graph(cfg.graph, np.random.default_rng([cfg.seed, 1]))
    alive = weakref.ref(edges)
    handed = [(n_users, edges)]
    del edges
    model = SocialCommerceModel(cfg, graph=handed.pop)
    gc.collect()
    assert alive() is None  # freed once laid out
    for mine in (model, built):
        for _ in range(cfg.steps):
            mine.step()
    np.testing.assert_array_equal(model.arcs.reader, built.arcs.reader)
    assert model.datacollector.get_model_vars_dataframe().equals(
        built.datacollector.get_model_vars_dataframe()
    )


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.float32, np.int8, np.bool_])
def test_nonzero_finds_what_numpy_finds(dtype):
    """``kernels.nonzero`` (the feed's authors, the day's posters) is ``np.flatnonzero``."""
    rng = np.random.default_rng(7)
    values = (rng.integers(-3, 4, 5_000) * (rng.random(5_000) < 0.2)).astype(dtype)
    values[-1] = 1  # the last position counts too
    for case in (values, values[:0], np.zeros(10, dtype=dtype), np.ones(10, dtype=dtype)):
        np.testing.assert_array_equal(kernels.nonzero(case), np.flatnonzero(case))
        other = np.roll(case, 3)  # the day's marketers: shown or folded
        np.testing.assert_array_equal(
            kernels.nonzero_either(case, other), np.flatnonzero((case != 0) | (other != 0))
        )
