"""On-disk cache of generated graphs, shared by every process of a study.

A sweep runs every policy and intensity on the same graph per seed, and each
worker or SLURM array task would build that graph again. The first process to
build it writes it here; the others load it (a 5,000-user default graph builds
in about 0.8 s and loads in milliseconds; a million-user one builds in ~15 s
and loads in under a second).

- **Content-addressed**: the file name is a hash of the generator version, the
  graph config (family, size, mean degree, probabilities) and the seed, so a
  different config or a changed generator never reads a stale graph.
- **Compact**: one ``.npy`` file of ``int32`` edge pairs (``(E, 2)``).
- **Atomic and safe under concurrent writers**: each writer writes a private
  temporary file in the cache folder and renames it into place; two writers of
  the same graph write identical bytes, and a reader sees either no file or a
  whole one. A file that does not load as the expected array is rebuilt and
  replaced (never trusted).
- **Where**: ``$SIM_GRAPH_CACHE`` if set, else ``$XDG_CACHE_HOME/sim/graphs``
  (``~/.cache/sim/graphs``). ``SIM_GRAPH_CACHE=off`` turns it off. On a cluster
  point it at the shared file system (docs/CLUSTER.md). The cache only ever
  writes files named ``<family>-<users>-<hash>.npy`` and its own temporaries;
  it deletes nothing but a temporary it failed to finish. Remove the folder to
  clear it.
- Only graphs of at least ``MIN_EDGES`` expected ties are cached: smaller ones
  build faster than a file is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from sim.config import GraphConfig

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
    return folder / f"{cfg.kind}-{cfg.n_users}-{digest}.npy"


def _load(file: Path, n_users: int) -> np.ndarray | None:
    """Return the edges stored in ``file``, or None if it is missing or not a valid graph."""
    try:
        edges = np.load(file, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    ok = edges.ndim == 2 and edges.shape[1] == 2 and len(edges) > 0
    if not ok or edges.dtype != np.int32 or int(edges.max()) >= n_users or int(edges.min()) < 0:
        return None
    return edges.astype(np.int64)


def _store(file: Path, edges: np.ndarray) -> None:
    """Write ``edges`` to ``file`` atomically; a failure to write only loses the cache."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{file.stem}.", suffix=".tmp", dir=file.parent
        )
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, edges.astype(np.int32), allow_pickle=False)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; others of the group may read it
        os.replace(temporary, file)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def load_or_build(
    cfg: GraphConfig, seed: int, build: Callable[[], tuple[int, np.ndarray]]
) -> tuple[int, np.ndarray]:
    """Return the graph of ``cfg`` and ``seed`` from the cache, or ``build()`` it and cache it."""
    folder = cache_dir()
    if folder is None or cfg.n_users * cfg.mean_degree / 2 < MIN_EDGES or cfg.n_users >= 2**31:
        return build()
    file = cache_file(folder, cfg, seed)
    edges = _load(file, cfg.n_users)
    if edges is not None:
        return cfg.n_users, edges
    n_users, edges = build()
    _store(file, edges)
    return n_users, edges
