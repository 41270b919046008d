"""A policy from outside the package, for ``tests/test_registry.py``: its config and its rules.

A marketing quota: each seller's marketing items enter Moments only up to a
share of what they drafted (rounded down); nothing is folded and there is no
enforcement. It is registered at test time (``register_policy``); no file of
the package names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sim.core.config import check_bounds
from sim.core.policy_info import PROBABILITY, Lever, PolicyInfo, bounded
from sim.engine.policies.base import Feed, Policy

NAME = "marketing_quota"
COLOUR = "#56B4E9"


@dataclass
class MarketingQuotaConfig:
    """Marketing quota: a share of each seller's drafted marketing enters Moments."""

    info: ClassVar[PolicyInfo] = PolicyInfo(
        label="quota on marketing",
        colour=COLOUR,
        marker="v",
        summary_rows=(("items kept out", "quota_cut_total", "in all"),),
    )
    name: str = NAME
    shown_share: float = bounded(0.5, PROBABILITY, Lever("quota: share shown"))

    def __post_init__(self) -> None:
        check_bounds(self, "policy.")


class MarketingQuota(Policy):
    """Moments carries ``shown_share`` of each author's marketing, the rest is dropped."""

    name: ClassVar[str] = NAME
    config: ClassVar[type] = MarketingQuotaConfig
    cfg: MarketingQuotaConfig

    def route(self, organic: np.ndarray, marketing: np.ndarray) -> Feed:
        """Return the feed with each author's marketing cut to the quota."""
        shown = np.floor(marketing * self.cfg.shown_share).astype(marketing.dtype)
        return Feed(organic=organic, shown=shown, folded=np.zeros_like(marketing))


SCENARIO_YAML = f"""# @package policy
defaults:
  - {NAME}_schema

shown_share: 0.5
"""
