"""Social graphs as undirected edge arrays.

Every builder returns ``(n_users, edges)`` where ``edges`` is an ``(E, 2)``
int64 array of friendships with ``u < v``, no self-loops and no duplicates.
The model never holds a networkx graph: generators write the array form
directly (so large graphs do not pay networkx's per-edge dict cost), and
``to_networkx`` converts back for export and pictures.

Families (``graph.kind``):
- ``holme_kim``: Holme & Kim (2002) preferential attachment with triad
  formation, the algorithm of ``networkx.powerlaw_cluster_graph``; scale-free
  with clustering, as friendship graphs are (the calibrated default).
- ``barabasi_albert``: the same without triad formation (Barabasi & Albert 1999).
- ``watts_strogatz``: a ring lattice whose ties are rewired with
  ``rewire_prob`` (Watts & Strogatz 1998); rewiring that would duplicate a tie
  drops it, so the mean degree is a little under ``mean_degree``.
- ``erdos_renyi``: G(n, p) with ``p = mean_degree / (n - 1)``.
- ``karate``: Zachary's karate club, the real 34-person graph in networkx.
- ``edgelist``: a whitespace-separated edge list file (SNAP style).

``graph_for_seed`` is what the model calls: the graph of a run comes from its
own random stream, so runs with the same seed share their graph.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import astuple
from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np

from sim.config import ConfigError, GraphConfig
from sim.graph_cache import load_or_build

Edges = np.ndarray


def canonical_edges(u: np.ndarray, v: np.ndarray) -> Edges:
    """Return sorted unique ``(min, max)`` pairs of ``u``-``v``, self-loops dropped."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    keep = u != v
    low, high = np.minimum(u, v)[keep], np.maximum(u, v)[keep]
    if len(low) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    size = int(high.max()) + 1
    codes = np.unique(low * size + high)
    return np.stack([codes // size, codes % size], axis=1)


SEQUENTIAL_NODES = 1000
"""Holme-Kim grows node by node in exact sequence up to this many nodes (the
first ties join nodes that are themselves new); after that, in batches."""

BATCH_FRACTION = 0.02
"""A batch of new nodes is this share of the nodes already there: they draw
their ties from the graph as it stood before the batch, so a node cannot tie
to another of its own batch (at most 2% of the candidates, and the least
attractive ones: new nodes have the lowest degree)."""

TRIAD_TRIES = 8
"""Vectorized redraws of a triad candidate that is already a friend of the new
node; rows still without one are finished exactly, one by one."""


def set_order_width(m: int) -> int:
    """Slots of the Python ``set`` that holds ``m`` small ints (CPython's growth rule).

    networkx draws the ``m`` preferential candidates into a set and pops them in
    slot order (an int's slot is its value modulo this width): the first target,
    whose friends the triad steps draw from, is biased toward the oldest nodes,
    the hubs. Matching networkx's degree tail and assortativity needs that order.
    """
    width = 8
    for fill in range(1, m + 1):
        if fill * 5 >= (width - 1) * 3:
            minimum = fill * 4
            width = 8
            while width <= minimum:
                width <<= 1
    return width


def holme_kim(n: int, m: int, triad_prob: float, rng: np.random.Generator) -> Edges:
    """Grow a Holme-Kim graph: each new node makes ``m`` ties.

    Each new node draws ``m`` distinct candidates in proportion to degree and
    ties to the first; each further tie is, with probability ``triad_prob``, to
    a random friend of the last preferential target not yet tied (triad
    formation), else to the next candidate (a candidate already tied is lost,
    as in networkx). This is ``networkx.powerlaw_cluster_graph`` (Holme & Kim
    2002), candidates taken in the same order. The first ``SEQUENTIAL_NODES``
    join one by one; later ones in batches of ``BATCH_FRACTION`` of the graph,
    vectorized over the batch (``_HolmeKimGrowth``): a million users in seconds.
    """
    if not 1 <= m < n:
        raise ConfigError(f"graph.mean_degree gives m={m} ties per new node; need 1 <= m < n_users")
    first = min(n, max(SEQUENTIAL_NODES, 4 * m))
    picked = _holme_kim_sequential(first, m, triad_prob, rng)
    if first < n:
        growth = _HolmeKimGrowth(n, m, triad_prob, rng, picked)
        while growth.size < n:
            growth.add_batch(min(n, growth.size + max(1, int(growth.size * BATCH_FRACTION))))
        picked = growth.picked
    sources = np.repeat(np.arange(m, n, dtype=np.int64), m)
    tied = picked >= 0  # picked[k] < 0: a lost tie (the candidate was already a friend)
    # every tie joins a new node (source) to an older one (picked), without repeats
    codes = picked[tied].astype(np.int64) * n + sources[tied]
    codes.sort()
    edges = np.empty((len(codes), 2), dtype=np.int64)
    np.floor_divide(codes, n, out=edges[:, 0])
    np.remainder(codes, n, out=edges[:, 1])
    return edges


def _holme_kim_sequential(
    n: int, m: int, triad_prob: float, rng: np.random.Generator
) -> np.ndarray:
    """Grow nodes ``m .. n - 1`` one by one, as networkx does.

    Returns the ``m`` picks of each new node in order, ``-1 - node`` for a lost
    tie (a candidate already tied).
    """
    rand = random.Random(int(rng.integers(2**63))).random
    neighbours: list[list[int]] = [[] for _ in range(n)]
    repeated: list[int] = list(range(m))
    picked: list[int] = []
    for source in range(m, n):
        size = len(repeated)
        candidates: set[int] = set()
        while len(candidates) < m:
            candidates.add(repeated[int(rand() * size)])
        pool = list(candidates)[::-1]  # pop() from the end: the set's own pop order
        target = pool.pop()
        mine = [target]
        ties = {target}
        while len(mine) < m:
            around = neighbours[target]
            if around and rand() < triad_prob:
                friend = _fresh_friend(around, ties, rand)
                if friend is not None:
                    mine.append(friend)
                    ties.add(friend)
                    continue
            target = pool.pop()
            mine.append(target if target not in ties else -1 - target)
            ties.add(target)
        for friend in mine:
            if friend >= 0:
                neighbours[source].append(friend)
                neighbours[friend].append(source)
        picked.extend(mine)
        repeated.extend(friend if friend >= 0 else -1 - friend for friend in mine)
        repeated.extend([source] * m)
    return np.array(picked, dtype=np.int32)


def _fresh_friend(around: list[int], ties: set[int], rand: Callable[[], float]) -> int | None:
    """Return a uniform friend in ``around`` not in ``ties``, or None if there is none."""
    for _ in range(TRIAD_TRIES):
        friend = around[int(rand() * len(around))]
        if friend not in ties:
            return friend
    fresh = [friend for friend in around if friend not in ties]
    return fresh[int(rand() * len(fresh))] if fresh else None


class _HolmeKimGrowth:
    """Holme-Kim growth in batches, over flat int32 arrays.

    ``ends`` is networkx's ``repeated_nodes`` (the seed nodes once, each pick,
    each new node ``m`` times), so a uniform position is a node drawn in
    proportion to degree. Friend lists live in one pool array, node ``i``
    owning ``pool[start[i] : start[i] + cap[i]]`` of which ``degree[i]`` are
    used; a full list moves to the end of the pool with twice the room, so a
    random friend is one index away.
    """

    def __init__(
        self, n: int, m: int, triad_prob: float, rng: np.random.Generator, picked: np.ndarray
    ) -> None:
        self.n, self.m, self.triad_prob, self.rng = n, m, triad_prob, rng
        self.width = set_order_width(m)
        self.size = m + len(picked) // m
        self.picked = np.full(m * (n - m), -1, dtype=np.int32)
        self.picked[: len(picked)] = picked
        self.ends = np.empty(m + 2 * m * (n - m), dtype=np.int32)
        self.n_ends = 0
        self.degree = np.zeros(n, dtype=np.int64)
        self.cap = np.zeros(n, dtype=np.int64)
        self.start = np.zeros(n, dtype=np.int64)
        self.pool = np.empty(5 * m * n + 1024, dtype=np.int32)  # grows if needed
        self.pool_end = 0
        self._add_ends(np.arange(m, dtype=np.int32))
        self._record(m, picked.reshape(-1, m))

    def _add_ends(self, nodes: np.ndarray) -> None:
        self.ends[self.n_ends : self.n_ends + len(nodes)] = nodes
        self.n_ends += len(nodes)

    def _record(self, first: int, picks: np.ndarray) -> None:
        """Add the picks of new nodes ``first ..`` to ``ends`` and the friend lists."""
        count = len(picks)
        sources = np.repeat(np.arange(first, first + count, dtype=np.int32), self.m)
        flat = picks.ravel()
        self._add_ends(np.where(flat >= 0, flat, -1 - flat))
        self._add_ends(sources)
        # new nodes: a fresh list each, their ties first (lost picks are negative)
        new = np.arange(first, first + count)
        self.cap[new] = room = 2 * self.m
        self.start[new] = self._reserve(count * room) + np.arange(count) * room
        ties = -np.sort(-picks, axis=1)
        self.degree[new] = (picks >= 0).sum(axis=1)
        slots = self.start[new][:, None] + np.arange(self.m)
        self.pool[slots] = ties
        tied = flat >= 0
        self._append(flat[tied], sources[tied])

    def _reserve(self, extra: int) -> int:
        """Return the pool offset of ``extra`` fresh slots, growing the pool if needed."""
        if self.pool_end + extra > len(self.pool):
            grown = np.empty(max(len(self.pool) * 3 // 2, self.pool_end + extra), dtype=np.int32)
            grown[: self.pool_end] = self.pool[: self.pool_end]
            self.pool = grown
        offset = self.pool_end
        self.pool_end += extra
        return offset

    def _append(self, nodes: np.ndarray, friends: np.ndarray) -> None:
        """Add ``friends[k]`` to the friend list of ``nodes[k]`` for every k."""
        order = np.argsort(nodes)
        nodes, friends = nodes[order].astype(np.int64), friends[order]
        first = np.flatnonzero(np.r_[True, nodes[1:] != nodes[:-1]])
        owners = nodes[first]
        counts = np.diff(np.r_[first, len(nodes)])
        rank = np.arange(len(nodes)) - np.repeat(first, counts)
        full = self.degree[owners] + counts > self.cap[owners]
        if full.any():
            grow, used = owners[full], self.degree[owners[full]]
            room = np.maximum(np.maximum(2 * self.cap[grow], used + counts[full]), 2 * self.m)
            new_start = self._reserve(int(room.sum())) + np.r_[0, np.cumsum(room)[:-1]]
            within = np.arange(int(used.sum())) - np.repeat(np.r_[0, np.cumsum(used)[:-1]], used)
            self.pool[np.repeat(new_start, used) + within] = self.pool[
                np.repeat(self.start[grow], used) + within
            ]
            self.start[grow], self.cap[grow] = new_start, room
        self.pool[self.start[nodes] + self.degree[nodes] + rank] = friends
        self.degree[owners] += counts

    def _candidates(self, batch: int) -> np.ndarray:
        """Each new node's ``m`` distinct candidates, in networkx's pop order."""
        m, n = self.m, self.n
        drawn = self.ends[self.rng.integers(0, self.n_ends, (batch, m))].astype(np.int64)
        while True:  # sort by set slot, node, draw: repeats end up side by side
            key = (((drawn & (self.width - 1)) * n + drawn) * m) + np.arange(m)
            order = np.argsort(key, axis=1)
            ranked = np.take_along_axis(drawn, order, axis=1)
            repeat = np.zeros(drawn.shape, dtype=bool)
            np.put_along_axis(repeat, order[:, 1:], ranked[:, 1:] == ranked[:, :-1], axis=1)
            if not repeat.any():
                return ranked
            drawn[repeat] = self.ends[self.rng.integers(0, self.n_ends, int(repeat.sum()))]

    def _triad(self, target: np.ndarray, rows: np.ndarray, mine: np.ndarray) -> np.ndarray:
        """For each row, a uniform friend of ``target`` not in ``mine``, or -1 if none."""
        found = np.full(len(rows), -1, dtype=np.int64)
        ask = np.arange(len(rows))
        for _ in range(TRIAD_TRIES):
            if not len(ask):
                return found
            around = target[rows[ask]]
            pick = (self.rng.random(len(ask)) * self.degree[around]).astype(np.int64)
            friend = self.pool[self.start[around] + pick]
            fresh = ~(mine[rows[ask]] == friend[:, None]).any(axis=1)
            found[ask[fresh]] = friend[fresh]
            ask = ask[~fresh]
        for k in ask:  # rare: most of the target's friends are already tied
            row, node = rows[k], target[rows[k]]
            around = self.pool[self.start[node] : self.start[node] + self.degree[node]]
            fresh = np.setdiff1d(around, mine[row])
            if len(fresh):
                found[k] = fresh[self.rng.integers(len(fresh))]
        return found

    def add_batch(self, end: int) -> None:
        """Add nodes ``size .. end - 1``, each making ``m`` picks."""
        m, batch = self.m, end - self.size
        candidates = self._candidates(batch)
        mine = np.full((batch, m), -1, dtype=np.int64)  # -1: not picked yet
        mine[:, 0] = target = candidates[:, 0].astype(np.int64)
        used = np.ones(batch, dtype=np.int64)
        for k in range(1, m):
            tie = np.full(batch, -1, dtype=np.int64)
            rows = np.flatnonzero(
                (self.rng.random(batch) < self.triad_prob) & (self.degree[target] > 0)
            )
            tie[rows] = self._triad(target, rows, mine[:, :k])
            rows = np.flatnonzero(tie < 0)
            target[rows] = candidates[rows, used[rows]]
            used[rows] += 1
            lost = (mine[rows, :k] == target[rows, None]).any(axis=1)
            tie[rows] = np.where(lost, -1 - target[rows], target[rows])
            mine[:, k] = tie
        first = self.size
        self.picked[(first - m) * m : (end - m) * m] = mine.ravel()
        self._record(first, mine)
        self.size = end


def watts_strogatz(n: int, k: int, rewire_prob: float, rng: np.random.Generator) -> Edges:
    """Ring lattice of ``k`` nearest neighbours with each tie rewired w.p. ``rewire_prob``."""
    half = max(1, k // 2)
    u = np.repeat(np.arange(n), half)
    v = (u + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(len(v)) < rewire_prob
    v[rewire] = rng.integers(0, n, int(rewire.sum()))
    return canonical_edges(u, v)


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator) -> Edges:
    """G(n, p) with ``p = mean_degree / (n - 1)``: a binomial edge count, pairs uniform."""
    pairs = n * (n - 1) // 2
    target = int(rng.binomial(pairs, min(1.0, mean_degree / (n - 1))))
    edges = canonical_edges(np.empty(0), np.empty(0))
    while len(edges) < target:
        need = target - len(edges)
        extra = int(need * 1.1) + 16
        drawn = canonical_edges(rng.integers(0, n, extra), rng.integers(0, n, extra))
        edges = np.unique(np.concatenate([edges, drawn]), axis=0)
    if len(edges) > target:
        edges = edges[np.sort(rng.choice(len(edges), target, replace=False))]
    return edges


def complete(n: int) -> Edges:
    """Return the complete graph on ``n`` users: every pair are friends (Bass limit, ODD 7.7)."""
    low, high = np.triu_indices(n, k=1)
    return np.stack([low, high], axis=1).astype(np.int64)


def karate() -> tuple[int, Edges]:
    """Zachary's karate club (34 members, 78 ties), from networkx."""
    graph = nx.karate_club_graph()
    edges = np.array(list(graph.edges()), dtype=np.int64)
    return graph.number_of_nodes(), canonical_edges(edges[:, 0], edges[:, 1])


def read_edgelist(path: str | Path) -> tuple[int, Edges]:
    """Read a whitespace-separated edge list: two node labels per line.

    Blank lines and ``#`` comments are skipped, further columns (weights) are
    ignored, labels may be any tokens and are numbered in order of first
    appearance; self-loops and repeated ties are dropped.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"graph.path: no such edge-list file: {file}")
    index: dict[str, int] = {}
    u: list[int] = []
    v: list[int] = []
    with file.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if len(fields) < 2:
                found = line.strip()
                raise ConfigError(
                    f"graph.path: {file} line {number}: expected two node labels, got {found!r}"
                )
            u.append(index.setdefault(fields[0], len(index)))
            v.append(index.setdefault(fields[1], len(index)))
    edges = canonical_edges(np.array(u), np.array(v))
    if len(edges) == 0:
        raise ConfigError(f"graph.path: {file} holds no edges between distinct nodes")
    return len(index), edges


def build_graph(cfg: GraphConfig, rng: np.random.Generator) -> tuple[int, Edges]:
    """Build the configured graph family as ``(n_users, edges)``."""
    n = cfg.n_users
    if cfg.kind == "holme_kim":
        return n, holme_kim(n, max(1, round(cfg.mean_degree / 2)), cfg.triad_prob, rng)
    if cfg.kind == "barabasi_albert":
        return n, holme_kim(n, max(1, round(cfg.mean_degree / 2)), 0.0, rng)
    if cfg.kind == "watts_strogatz":
        return n, watts_strogatz(n, round(cfg.mean_degree), cfg.rewire_prob, rng)
    if cfg.kind == "erdos_renyi":
        return n, erdos_renyi(n, cfg.mean_degree, rng)
    if cfg.kind == "karate":
        return karate()
    if cfg.kind == "complete":
        return n, complete(n)
    return read_edgelist(str(cfg.path))


GENERATED = ("holme_kim", "barabasi_albert", "watts_strogatz", "erdos_renyi")


def graph_for_seed(cfg: GraphConfig, seed: int) -> tuple[int, Edges]:
    """Build the graph of run ``seed`` from its own random stream, ``(seed, 1)``.

    The graph does not share the dynamics' stream, so every policy and
    intensity run with the same seed sees the same graph (common random
    numbers). Generated graphs are cached on disk across processes
    (``sim.graph_cache``) and the most recent one in memory per process.
    """
    if cfg.kind in GENERATED:
        return _cached_graph(astuple(cfg), seed)
    return build_graph(cfg, np.random.default_rng([seed, 1]))


@lru_cache(maxsize=1)
def _cached_graph(key: tuple, seed: int) -> tuple[int, Edges]:
    cfg = GraphConfig(*key)
    n_users, edges = load_or_build(
        cfg, seed, lambda: build_graph(cfg, np.random.default_rng([seed, 1]))
    )
    edges.setflags(write=False)
    return n_users, edges


def to_networkx(n_users: int, edges: Edges) -> nx.Graph:
    """Return the friendship graph as a networkx ``Graph`` (for export and plots)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(n_users))
    graph.add_edges_from(map(tuple, edges.tolist()))
    return graph
