"""Graph builders and the edge-list reader."""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.config import ConfigError, GraphConfig
from sim.engine.graphs import build_graph, canonical_edges, read_edgelist, to_networkx


def assert_canonical(edges):
    assert (edges[:, 0] < edges[:, 1]).all()
    assert len(np.unique(edges, axis=0)) == len(edges)


def test_canonical_edges_drop_loops_and_duplicates():
    edges = canonical_edges(np.array([1, 2, 3, 3]), np.array([2, 1, 3, 0]))
    assert edges.tolist() == [[0, 3], [1, 2]]


@pytest.mark.parametrize("kind", ["holme_kim", "barabasi_albert", "watts_strogatz", "erdos_renyi"])
def test_generators_give_the_requested_size_and_mean_degree(kind, rng):
    n, edges = build_graph(GraphConfig(kind=kind, n_users=2000, mean_degree=20), rng)
    assert n == 2000
    assert_canonical(edges)
    assert 2 * len(edges) / n == pytest.approx(20, rel=0.08)


def test_holme_kim_has_hubs_and_clustering(rng):
    import networkx as nx

    n, edges = build_graph(GraphConfig(kind="holme_kim", n_users=2000, mean_degree=20), rng)
    graph = to_networkx(n, edges)
    degrees = np.array([d for _, d in graph.degree()])
    assert degrees.max() > 5 * degrees.mean()
    assert nx.average_clustering(graph) > 0.05


def test_karate_is_zacharys_graph(rng):
    n, edges = build_graph(GraphConfig(kind="karate", n_users=34, mean_degree=4.6), rng)
    assert (n, len(edges)) == (34, 78)


def test_edgelist_reads_snap_style_files(tmp_path):
    path = tmp_path / "edges.txt"
    path.write_text("# a comment\n\nalice bob\nbob carol 0.5\ncarol carol\nbob alice\n")
    n, edges = read_edgelist(path)
    assert n == 3
    assert edges.tolist() == [[0, 1], [1, 2]]


def test_edgelist_errors_name_the_problem(tmp_path):
    with pytest.raises(ConfigError, match="no such edge-list file"):
        read_edgelist(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n3\n")
    with pytest.raises(ConfigError, match="line 2"):
        read_edgelist(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n4 4\n")
    with pytest.raises(ConfigError, match="no edges"):
        read_edgelist(empty)
