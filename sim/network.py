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
from scipy.sparse import csc_matrix, csr_matrix


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
        # The layout (arcs sorted by author, then reader) is built by counting,
        # not by sorting 2E composite keys: at a million users (50 million arcs)
        # that sort alone took 8 s. Edges (u < v) sorted by (u, v) give each
        # author's higher-numbered readers in order; scipy's CSR -> CSC
        # conversion (a counting sort) gives its lower-numbered readers in order.
        edges = np.asarray(edges).reshape(-1, 2)
        low = np.minimum(edges[:, 0], edges[:, 1]).astype(np.int32)
        high = np.maximum(edges[:, 0], edges[:, 1]).astype(np.int32)
        if len(low) > 1:  # generators and the graph cache give sorted edges already
            rises, level = low[1:] > low[:-1], low[1:] == low[:-1]
            if not (rises | (level & (high[1:] > high[:-1]))).all():
                order = np.lexsort((high, low))
                low, high = low[order], high[order]
        n_edges = len(low)
        above = np.bincount(low, minlength=n_users)  # readers numbered above the author
        up_ptr = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(above, out=up_ptr[1:])
        ids = np.arange(n_edges, dtype=np.int64)
        up = csr_matrix((ids, high, up_ptr), shape=(n_users, n_users))
        down = up.tocsc()  # per higher end: lower ends in order, edge ids as data
        below = np.diff(down.indptr)
        self.n_users = n_users
        self.start = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(below + above, out=self.start[1:])
        n_arcs = 2 * n_edges
        first = self.start[:-1]
        low_arc = np.repeat(first - down.indptr[:-1], below)
        low_arc += ids
        high_arc = np.repeat(first + below - up_ptr[:-1], above)
        high_arc += ids
        self.author = np.repeat(np.arange(n_users, dtype=np.int32), below + above)
        self.reader = np.empty(n_arcs, dtype=np.int32)
        self.reader[low_arc] = down.indices
        self.reader[high_arc] = high
        edge_low_arc = np.empty(n_edges, dtype=np.int64)
        edge_low_arc[down.data] = low_arc  # the arc high <- low of each edge
        self.twin = np.empty(n_arcs, dtype=np.int64)
        self.twin[edge_low_arc] = high_arc
        self.twin[high_arc] = edge_low_arc
        self.trust = np.zeros(n_arcs)
        self.baseline = np.zeros(n_arcs)
        self.status = np.full(n_arcs, ArcStatus.VISIBLE, dtype=np.int8)
        self.counts = np.array([n_arcs, 0, 0], dtype=np.int64)
        # Written now (np.full, not np.zeros): a page first written by the day's
        # scattered updates costs a page fault in the middle of the run; at a
        # million users that was 1.4 s over the first 8 days, against 0.4 s here.
        self.exposure = np.full(n_arcs, 0.0, dtype=np.float32)
        self.exposure_day = np.full(n_arcs, 0, dtype=np.int32)
        self.following = np.full(n_arcs, False)
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
        """Return, per reader, the sum of ``per_author`` over the authors they see.

        Only the columns of authors with a nonzero value are multiplied: on a
        day a fifth of the users post, and slicing them out costs less than a
        product over every arc.
        """
        authors = np.flatnonzero(per_author)
        return self._visible_by_author[:, authors] @ per_author[authors].astype(np.float32)

    def between(self, reader: int, author: int) -> int:
        """Return the index of arc ``reader <- author``, or -1 if they never were friends."""
        lo, hi = self.start[author], self.start[author + 1]
        k = lo + int(np.searchsorted(self.reader[lo:hi], reader))
        return k if k < hi and self.reader[k] == reader else -1

    def find(self, readers: np.ndarray, authors: np.ndarray) -> np.ndarray:
        """Return the arc ``readers[k] <- authors[k]`` for every k, or -1 where there is none.

        A binary search within each author's slice (its readers are sorted),
        run for all pairs at once.
        """
        readers = np.asarray(readers, dtype=np.int64)
        authors = np.asarray(authors, dtype=np.int64)
        lo, end = self.start[authors], self.start[authors + 1]
        hi, last = end.copy(), max(len(self.reader) - 1, 0)
        while (active := lo < hi).any():
            mid = (lo + hi) // 2
            right = active & (self.reader[np.minimum(mid, last)] < readers)
            lo = np.where(right, mid + 1, lo)
            hi = np.where(active & ~right, mid, hi)
        found = (lo < end) & (self.reader[np.minimum(lo, last)] == readers)
        return np.where(found, lo, -1)

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
