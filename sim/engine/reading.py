"""ODD 7.3 Reading, block by block: each block of users on its own random stream.

A day's reading at a million users draws a few million numbers (expansions,
thinnings, leaks). The users are cut into blocks (``sim.engine.streams``);
here the arcs that show marketing are grouped by their reader's block, the
blocks read side by side (``kernels.read_block``, one thread a block at a
time), and their results are joined back in arc order. A world of one block
reads exactly as one pass over all users would.
"""

from __future__ import annotations

import numpy as np

from sim.engine import kernels, parallel, streams


def read_in_blocks(
    arcs: kernels.Arcs,
    attention: np.ndarray,
    today: kernels.MomentsToday,
    shown_and_leaking: tuple[np.ndarray, np.ndarray],
    params: kernels.ReadParams,
    blocks: streams.Blocks,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ODD 7.3 Reading after who opened Moments, each block of readers on its own stream.

    ``shown_and_leaking``: the arcs that show marketing and those that leak it
    (``ArcTable.moments_arcs``, each in arc order). Returns the arcs marketing
    was read along (leaks included) and the items read on each, each user's
    share of items read, and the marketing and ordinary items each user read.
    Blocks (``sim.engine.streams``) run side by side (``kernels.read_block``).
    """
    ads, leaking = shown_and_leaking
    # the grouped readers and authors, and what was available, are gone before the
    # results are joined (16 MB at a million users)
    order, out = read_blocks(arcs, attention, today, shown_and_leaking, params, blocks)
    exposed, items = kernels.read_along(
        ads, order, leaking, out.marketing_read, out.leaks, scratch=out.marketing
    )
    return exposed, items, out.share, out.marketing_per_user, out.organic_read


def read_blocks(
    arcs: kernels.Arcs,
    attention: np.ndarray,
    today: kernels.MomentsToday,
    shown_and_leaking: tuple[np.ndarray, np.ndarray],
    params: kernels.ReadParams,
    blocks: streams.Blocks,
) -> tuple[np.ndarray, kernels.ReadOut]:
    """Run ``kernels.read_block`` for every block, side by side.

    Returns the shown arcs' grouped order (``kernels.ByBlock.order``) and what
    the blocks wrote, ``available`` dropped (``marketing`` may then serve as scratch).
    """
    ads, leaking = shown_and_leaking
    n, count = len(attention), len(blocks)
    shown = by_block(arcs, ads, blocks)
    leak_bounds = np.searchsorted(leaking, arcs.start[[lo for lo, _ in blocks.users] + [n]])
    out = kernels.ReadOut(
        marketing=np.empty(len(ads), dtype=np.int64),  # later read_along's scratch: int64
        marketing_read=np.empty(len(ads), dtype=np.int64),
        leaks=np.empty(len(leaking), dtype=np.int64),
        available=np.empty(n, dtype=np.float32),  # whole numbers below 2**24: exact
        share=np.empty(n),
        organic_read=np.empty(n, dtype=np.int64),
        marketing_per_user=np.zeros(n),
    )
    expand = bool(today.folded.any())
    parallel.run(
        lambda b: kernels.read_block(
            arcs,
            attention,
            today,
            shown,
            (leaking, leak_bounds),
            b,
            blocks.users[b],
            params,
            expand,
            blocks.rngs[b],
            out,
        ),
        range(count),
    )
    return shown.order, out._replace(available=np.empty(0, dtype=np.float32))


def by_block(arcs: kernels.Arcs, idx: np.ndarray, blocks: streams.Blocks) -> kernels.ByBlock:
    """Group the arcs ``idx`` (in arc order) by their reader's block, each group in arc order.

    With their readers and authors alongside, so that a block's pass reads
    contiguous memory rather than every eighth position of the list. Two
    passes (count, then place), each split across threads.
    """
    shift, count = blocks.shift, len(blocks)
    parts = parallel.item_parts(len(idx))
    counted = parallel.run(lambda part: kernels.block_counts(arcs, idx[part], shift, count), parts)
    counts = np.array([c for _, _, c in counted]).reshape(len(parts), count)
    bounds = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(counts.sum(axis=0), out=bounds[1:])
    # where each part's arcs of each block go: after the earlier parts' of that block
    fills = bounds[:-1] + np.cumsum(counts, axis=0) - counts
    grouped = kernels.ByBlock(
        np.empty(len(idx), dtype=np.int64),
        bounds,
        np.empty(len(idx), dtype=np.int32),
        np.empty(len(idx), dtype=np.int32),
    )
    parallel.run(
        lambda p: kernels.place_by_block(
            counted[p][0], counted[p][1], parts[p].start or 0, fills[p], shift, grouped
        ),
        range(len(parts)),
    )
    return grouped
