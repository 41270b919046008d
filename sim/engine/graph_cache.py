"""On-disk cache of generated graphs, shared by every process of a study.

A sweep runs every policy and intensity on the same graph per seed, and each
worker or SLURM array task would build that graph again. The first process to
build it writes it here; the others load it (a 5,000-user default graph builds
in about 0.8 s and loads in milliseconds; a million-user one builds in ~15 s
and loads in under a second).

- **Content-addressed**: the file name is a hash of the generator version, the
  graph config (family, size, mean degree, probabilities) and the seed, so a
  different config or a changed generator never reads a stale graph.
- **Compact**: one uncompressed ``.npz`` file: the ``int32`` edge pairs
  (``(E, 2)``), the number of users, and the SHA-256 of the edge bytes.
- **Proves its content**: a loaded file must match its stored hash, the run's
  number of users, and the shape every generator promises (``(low, high)``
  pairs with ``low < high`` in sorted order: no self-loops, no repeats, every
  node in range). A file that fails any check (a damaged disk, a hand-edited
  or truncated file, an all-zero array of the right shape) is rebuilt and
  replaced, with one line on stderr saying so; it is never used.
- **Atomic and safe under concurrent writers**: each writer writes a private
  temporary file in the cache folder and renames it into place; two writers of
  the same graph write identical bytes, and a reader sees either no file or a
  whole one.
- **Where**: ``$SIM_GRAPH_CACHE`` if set, else ``$XDG_CACHE_HOME/sim/graphs``
  (``~/.cache/sim/graphs``). ``SIM_GRAPH_CACHE=off`` turns it off. On a cluster
  point it at the shared file system (docs/CLUSTER.md). The cache only ever
  writes files named ``<family>-<users>-<hash>.npz`` and its own temporaries;
  it deletes nothing but a temporary it failed to finish. Remove the folder to
  clear it.
- Only graphs of at least ``MIN_EDGES`` expected ties are cached: smaller ones
  build faster than a file is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from sim.core.config import GraphConfig
from sim.core.outputs import write_atomically
from sim.engine import kernels

GENERATOR_VERSION = 3
"""Bump when any generator's output for a given config and seed changes."""

MIN_EDGES = 50_000
"""Expected ties (users x mean degree / 2) below which graphs are not cached."""

ENV = "SIM_GRAPH_CACHE"
OFF = ("off", "0", "false", "no", "")


def cache_dir() -> Path | None:
    """Return the cache folder, or None when the cache is off."""
    setting = os.environ.get(ENV)
    if setting is not None:
        return None if setting.strip().lower() in OFF else Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sim" / "graphs"


def cache_file(folder: Path, cfg: GraphConfig, seed: int) -> Path:
    """Return the file that holds the graph of ``cfg`` and ``seed``."""
    fields = asdict(cfg)
    fields.pop("path")  # generated families only
    text = json.dumps({"version": GENERATOR_VERSION, "graph": fields, "seed": seed}, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:24]
    return folder / f"{cfg.kind}-{cfg.n_users}-{digest}.npz"


def content_hash(edges: np.ndarray) -> str:
    """SHA-256 of the edge pairs as stored (``int32``, row-major)."""
    stored = np.ascontiguousarray(edges, dtype=np.int32)
    return hashlib.sha256(memoryview(stored).cast("B")).hexdigest()


def _load(file: Path, n_users: int) -> tuple[np.ndarray | None, str | None]:
    """Return the edges stored in ``file`` and None, or None and why the file is not used.

    A missing file is ``(None, None)``: nothing to report.
    """
    if not file.exists():
        return None, None
    try:
        with np.load(file, allow_pickle=False) as stored:
            edges, users, digest = stored["edges"], int(stored["n_users"]), str(stored["sha256"])
    except (OSError, ValueError, EOFError, KeyError, TypeError) as error:
        return None, f"not a readable graph file ({type(error).__name__})"
    problem = _problem(edges, users, digest, n_users)
    return (None, problem) if problem else (edges, None)


def _problem(edges: np.ndarray, users: int, digest: str, n_users: int) -> str | None:
    """Say what is wrong with a stored graph (None: the graph as stored, well formed)."""
    if users != n_users:
        return f"it holds {users} users, the run has {n_users}"
    if edges.ndim != 2 or edges.shape[1:] != (2,) or edges.dtype != np.int32 or not len(edges):
        return f"edges of shape {edges.shape} and type {edges.dtype}, not (E, 2) int32"
    if content_hash(edges) != digest:
        return "its content does not match its stored hash"
    if not kernels.canonical(edges):
        return "a self-loop, a repeated tie or pairs out of order"
    if int(edges[0, 0]) < 0 or int(edges[:, 1].max()) >= n_users:
        return f"a node outside 0..{n_users - 1}"
    return None


def _store(file: Path, edges: np.ndarray, n_users: int) -> None:
    """Write ``edges`` to ``file`` atomically; a failure to write only loses the cache."""
    stored = np.asarray(edges, dtype=np.int32)
    try:
        write_atomically(
            file,
            lambda out: np.savez(
                out, edges=stored, n_users=np.int64(n_users), sha256=np.str_(content_hash(stored))
            ),
            binary=True,
        )
    except OSError:
        return


def load_or_build(
    cfg: GraphConfig, seed: int, build: Callable[[], tuple[int, np.ndarray]]
) -> tuple[int, np.ndarray]:
    """Return the graph of ``cfg`` and ``seed`` from the cache, or ``build()`` it and cache it."""
    folder = cache_dir()
    if folder is None or cfg.n_users * cfg.mean_degree / 2 < MIN_EDGES or cfg.n_users >= 2**31:
        return build()
    file = cache_file(folder, cfg, seed)
    edges, problem = _load(file, cfg.n_users)
    if edges is not None:
        return cfg.n_users, edges
    n_users, edges = build()
    _store(file, edges, n_users)
    if problem is not None:
        print(f"sim: graph cache: {file} was not used ({problem}); rebuilt it", file=sys.stderr)
    return n_users, edges
