"""Social graphs as undirected edge arrays.

Every builder returns ``(n_users, edges)`` where ``edges`` is an ``(E, 2)``
int32 array of friendships with ``u < v``, no self-loops and no duplicates
(int32 halves a ten-million-user graph's 250 million ties to 2 GB).
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

import itertools
import stat
from dataclasses import astuple
from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np

from sim.core.config import ConfigError, GraphConfig
from sim.engine import kernels
from sim.engine.graph_cache import load_or_build

Edges = np.ndarray


def canonical_edges(u: np.ndarray, v: np.ndarray) -> Edges:
    """Return sorted unique ``(min, max)`` pairs of ``u``-``v``, self-loops dropped."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    keep = u != v
    low, high = np.minimum(u, v)[keep], np.maximum(u, v)[keep]
    if len(low) == 0:
        return np.zeros((0, 2), dtype=np.int32)
    size = int(high.max()) + 1
    codes = np.unique(low * size + high)
    return np.stack([codes // size, codes % size], axis=1).astype(np.int32)


TRIAD_TRIES = 8
"""Redraws of a triad candidate that is already a friend of the new node; after
that, a uniform draw among the target's friends not yet tied, found exactly."""


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
    2002), candidates taken in the same order, node by node, compiled
    (``sim.engine.kernels.holme_kim_edges``): a million users in about 12 s.
    """
    if not 1 <= m < n:
        raise ConfigError(f"graph.mean_degree gives m={m} ties per new node; need 1 <= m < n_users")
    return kernels.holme_kim_edges(
        kernels.HolmeKim(n, m, triad_prob, set_order_width(m), TRIAD_TRIES), rng
    )


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
    return np.stack([low, high], axis=1).astype(np.int32)


def karate() -> tuple[int, Edges]:
    """Zachary's karate club (34 members, 78 ties), from networkx."""
    graph = nx.karate_club_graph()
    edges = np.array(list(graph.edges()), dtype=np.int64)
    return graph.number_of_nodes(), canonical_edges(edges[:, 0], edges[:, 1])


MAX_LINE = 65_536
"""Characters an edge-list line may hold: an edge is two labels and a few columns."""

MAX_FIELDS = 16
"""Columns a line may hold (SNAP files have two to four: labels, weight, time)."""


def check_edgelist_file(path: str | Path) -> Path:
    """Check that ``path`` is a regular file this process can read; return it.

    Raises:
        ConfigError: one line naming the file and what it is instead (missing,
            a link loop, a folder, a FIFO or device, unreadable).

    """
    file = Path(path)
    try:
        info = file.stat()
    except FileNotFoundError:
        raise ConfigError(f"graph.path: no such edge-list file: {file}") from None
    except OSError as error:  # a symlink loop, a name too long, a path through a file
        raise ConfigError(f"graph.path: {file}: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"graph.path: {file} is a folder, not an edge-list file")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a socket or device"
        raise ConfigError(f"graph.path: {file} is {kind}, not a regular edge-list file")
    try:
        with file.open("rb") as data:
            data.read(1)
    except OSError as error:
        raise ConfigError(
            f"graph.path: {file} cannot be read ({error.strerror or type(error).__name__})"
        ) from None
    return file


def read_edgelist(path: str | Path) -> tuple[int, Edges]:
    """Read a whitespace-separated edge list: two node labels per line.

    Blank lines and ``#`` comments are skipped, further columns (weights) are
    ignored, labels may be any tokens and are numbered in order of first
    appearance; self-loops and repeated ties are dropped. A line longer than
    ``MAX_LINE`` characters or with more than ``MAX_FIELDS`` columns is not an
    edge (a 23 MB file on one line once ran as a single tie): refused.
    The last file read is kept in memory, keyed by its size and modification
    time, so the command line's check and the run read it once.

    Raises:
        ConfigError: one line naming the file and line.

    """
    file = check_edgelist_file(path)
    info = file.stat()
    return _read_edgelist(file.resolve(), info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=1)
def _read_edgelist(file: Path, size: int, mtime_ns: int) -> tuple[int, Edges]:
    index: dict[str, int] = {}
    u: list[int] = []
    v: list[int] = []
    try:
        with file.open(encoding="utf-8", errors="replace") as lines:
            for number in itertools.count(1):
                line = lines.readline(MAX_LINE + 1)
                if not line:
                    break
                if len(line) > MAX_LINE:
                    raise ConfigError(
                        f"graph.path: {file} line {number} is longer than {MAX_LINE:,} "
                        "characters: an edge list holds one tie per line"
                    )
                fields = line.split("#", 1)[0].split()
                if not fields:
                    continue
                if len(fields) < 2 or len(fields) > MAX_FIELDS:
                    found = line.strip()
                    shown = found if len(found) <= 60 else f"{found[:57]}..."
                    raise ConfigError(
                        f"graph.path: {file} line {number}: expected two node labels "
                        f"(and at most {MAX_FIELDS - 2} more columns), got {shown!r}"
                    )
                u.append(index.setdefault(fields[0], len(index)))
                v.append(index.setdefault(fields[1], len(index)))
    except OSError as error:
        raise ConfigError(
            f"graph.path: {file} cannot be read ({error.strerror or type(error).__name__})"
        ) from None
    edges = canonical_edges(np.array(u), np.array(v))
    if len(edges) == 0:
        raise ConfigError(f"graph.path: {file} holds no edges between distinct nodes")
    edges.setflags(write=False)
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
    (``sim.engine.graph_cache``) and the most recent one of at most
    ``MEMORY_CACHE_USERS`` users in memory per process.
    """
    if cfg.kind not in GENERATED:
        return build_graph(cfg, np.random.default_rng([seed, 1]))
    if cfg.n_users <= MEMORY_CACHE_USERS:
        return _cached_graph(astuple(cfg), seed)
    return _cached_graph.__wrapped__(astuple(cfg), seed)


MEMORY_CACHE_USERS = 200_000
"""Largest graph a process keeps in memory for its next run (a sweep's worker
reuses it). Above, keeping the edges would hold 4 bytes per arc through the run
(200 MB at a million users, 2 GB at ten million) for a graph seldom run twice in
one process; the disk cache still serves it."""


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
