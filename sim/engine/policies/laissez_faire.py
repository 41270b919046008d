"""Laissez-faire: marketing enters Moments unfiltered; the platform does nothing.

The source article's starting point: Tencent "laissez faire", not wanting to
kill a growth engine that competes with Taobao (MODEL.md, Policies).
"""

from __future__ import annotations

from typing import ClassVar

from sim.core.config import LaissezFaireConfig
from sim.engine.policies.base import Policy


class LaissezFaire(Policy):
    """Every marketing post enters Moments; no enforcement, no other channel."""

    name: ClassVar[str] = "laissez_faire"
    config: ClassVar[type] = LaissezFaireConfig
