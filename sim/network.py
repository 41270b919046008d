"""Per-arc state of the friendship graph, in numpy arrays.

A friendship {i, j} is two directed arcs: ``i <- j`` ("i sees j") and
``j <- i``. Arcs are stored sorted by author so that the arcs an author's
posts travel along are one contiguous slice (``start[j]:start[j + 1]``); each
arc knows its reverse (``twin``). Trust, status and exposure memory are
arrays over arcs: the graph changes (mutes, unfriends) by writing status,
never by rebuilding an index, so nothing goes stale.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from scipy.sparse import csc_matrix


class ArcStatus(IntEnum):
    """What reader ``i`` does with author ``j``'s posts."""

    VISIBLE = 0
    MUTED = 1
    REMOVED = 2


class ArcTable:
    """Directed arcs of an undirected friendship graph, grouped by author.

    Attributes:
        reader: who sees the arc's posts (int32, per arc).
        author: who posts along the arc (int32, per arc).
        twin: index of the reverse arc.
        start: CSR offsets; arcs of author ``j`` are ``start[j]:start[j+1]``.
        trust: trust ``T(reader <- author)`` in [0, 1].
        baseline: the arc's relationship baseline ``T0``, the level repair aims at.
        status: an ``ArcStatus`` per arc.
        counts: arcs per status, kept up to date by ``mute`` and ``remove``.
        exposure: marketing items seen along the arc, decayed over the wear window.
        exposure_day: the day ``exposure`` was last brought up to date.
        following: whether the reader follows the author's shop (separate-shop policy).
        visible: 1.0 on visible arcs, 0.0 on muted and removed ones; it is the data
            of a sparse reader x author matrix, so per-reader sums over visible arcs
            are one sparse product (``visible_sum``).

    """

    def __init__(self, n_users: int, edges: np.ndarray) -> None:
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        n_edges = len(edges)
        author = np.concatenate([edges[:, 1], edges[:, 0]])
        reader = np.concatenate([edges[:, 0], edges[:, 1]])
        order = np.argsort(author * max(n_users, 1) + reader)
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        unsorted_twin = np.concatenate([np.arange(n_edges, 2 * n_edges), np.arange(n_edges)])
        self.n_users = n_users
        self.author = author[order].astype(np.int32)
        self.reader = reader[order].astype(np.int32)
        self.twin = position[unsorted_twin[order]].astype(np.int64)
        self.start = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.author, minlength=n_users), out=self.start[1:])
        n_arcs = len(order)
        self.trust = np.zeros(n_arcs)
        self.baseline = np.zeros(n_arcs)
        self.status = np.full(n_arcs, ArcStatus.VISIBLE, dtype=np.int8)
        self.counts = np.array([n_arcs, 0, 0], dtype=np.int64)
        self.exposure = np.zeros(n_arcs, dtype=np.float32)
        self.exposure_day = np.zeros(n_arcs, dtype=np.int32)
        self.following = np.zeros(n_arcs, dtype=bool)
        self.visible = np.ones(n_arcs, dtype=np.float32)
        self._visible_by_author = csc_matrix(
            (self.visible, self.reader, self.start), shape=(n_users, n_users), copy=False
        )

    def __len__(self) -> int:
        return len(self.author)

    def of_authors(self, authors: np.ndarray) -> np.ndarray:
        """Return the indices of every arc whose author is in ``authors``."""
        authors = np.asarray(authors, dtype=np.int64)
        first = self.start[authors]
        counts = self.start[authors + 1] - first
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        offsets = np.repeat(first - np.cumsum(counts) + counts, counts)
        return offsets + np.arange(total)

    def visible_sum(self, per_author: np.ndarray) -> np.ndarray:
        """Return, per reader, the sum of ``per_author`` over the authors they see."""
        return self._visible_by_author @ per_author.astype(np.float32)

    def between(self, reader: int, author: int) -> int:
        """Return the index of arc ``reader <- author``, or -1 if they never were friends."""
        lo, hi = self.start[author], self.start[author + 1]
        k = lo + int(np.searchsorted(self.reader[lo:hi], reader))
        return k if k < hi and self.reader[k] == reader else -1

    def friends(self, user: int) -> np.ndarray:
        """Return the users ``user`` is still friends with."""
        arcs = slice(self.start[user], self.start[user + 1])
        return self.reader[arcs][self.status[arcs] != ArcStatus.REMOVED]

    def mute(self, arcs: np.ndarray) -> None:
        """Mute: the readers of ``arcs`` stop seeing their authors' posts."""
        self._set_status(arcs, ArcStatus.MUTED)

    def remove(self, arcs: np.ndarray) -> None:
        """Unfriend: remove the friendships of ``arcs`` in both directions."""
        both = np.concatenate([arcs, self.twin[arcs]])
        self._set_status(both, ArcStatus.REMOVED)
        self.following[both] = False

    def _set_status(self, arcs: np.ndarray, status: ArcStatus) -> None:
        arcs = np.unique(arcs)
        changed = arcs[self.status[arcs] != status]
        self.counts -= np.bincount(self.status[changed], minlength=len(ArcStatus))
        self.counts[status] += len(changed)
        self.status[changed] = status
        self.visible[changed] = status == ArcStatus.VISIBLE
