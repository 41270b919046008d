"""Random streams for blocks of users, so that a pass's draws can be made on several threads.

Reading (ODD 7.3) draws, at a million users, a few million numbers a day:
expansions, thinnings and leaks. From one generator they come in one fixed
order, on one thread, and were a seventh of the day's time. Here the users are
cut into blocks of ``BLOCK_USERS`` consecutive users; a block's readers draw
from the block's own generator, in the order one block of all users draws in,
and the blocks run side by side (``sim.engine.parallel``).

Block 0 draws from the model's own generator; block ``b`` from
``numpy.random.default_rng([seed, STREAM_KEY, b])``, a stream of its own (the
graph's is ``[seed, 1]``, ``sim.engine.graphs``). The blocks depend on the
number of users only, never on the threads, so a run's outputs do not depend
on ``SIM_THREADS``; and a world of at most ``BLOCK_USERS`` users is one block
and draws exactly as the engine did before blocks (every figure of the docs at
2,000-50,000 users, the golden series and docking are unchanged).

Why by hand: numpy's ``SeedSequence`` gives the streams (this module only
names them); what numpy has no notion of is which draws belong to which block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK_SHIFT = 17
BLOCK_USERS = 1 << BLOCK_SHIFT
"""Users a block: 131,072. A million users are eight blocks, enough to keep two or
four threads evenly busy though the first block holds the hubs (about a third of
a Holme-Kim graph's arcs)."""

STREAM_KEY = 2
"""The second word of a block stream's seed: ``[seed, STREAM_KEY, block]``."""


@dataclass(frozen=True)
class Blocks:
    """The blocks of a world's users and the generator each draws from.

    Attributes:
        users: per block, its first user and one past its last.
        rngs: per block, its generator (block 0: the model's).
        shift: a user's block is ``user >> shift``.

    """

    users: list[tuple[int, int]]
    rngs: list[np.random.Generator]
    shift: int = BLOCK_SHIFT

    def __post_init__(self) -> None:
        # the compiled passes index per-block arrays by ``user >> shift`` unchecked
        last = self.users[-1][1] - 1
        if len(self.rngs) != len(self.users) or (last >= 0 and last >> self.shift >= len(self)):
            raise ValueError(f"{len(self)} blocks of 2**{self.shift} do not hold {last + 1} users")

    def __len__(self) -> int:
        return len(self.users)


def blocks(n_users: int, seed: int, rng: np.random.Generator) -> Blocks:
    """Return the blocks of ``n_users`` users: block 0 draws from ``rng``."""
    size = 1 << BLOCK_SHIFT
    count = max(1, -(-n_users // size))
    users = [(b * size, min(n_users, (b + 1) * size)) for b in range(count)]
    rngs = [rng] + [np.random.default_rng([seed, STREAM_KEY, b]) for b in range(1, count)]
    return Blocks(users, rngs, BLOCK_SHIFT)
