"""The states of a directed friendship arc.

One module of its own, so that the arc table (``sim.engine.network``) and the
compiled loops (``sim.engine.kernels``) share it without importing each other.
"""

from __future__ import annotations

from enum import IntEnum


class ArcStatus(IntEnum):
    """What reader ``i`` does with author ``j``'s posts."""

    VISIBLE = 0
    MUTED = 1
    REMOVED = 2
