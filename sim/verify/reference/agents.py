"""Reference agents: each user keeps its own trust in each friend, in dicts.

The plain Mesa way: state lives on the agent, rules are methods, and the
model calls them user by user. The rule formulas are the ones of
``sim.engine.submodels`` applied to single numbers.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from sim.verify.reference.model import ReferenceModel


class Person(mesa.Agent):
    """A user and, while they sell, their micro-business (ODD section 2).

    Attributes:
        trust, baseline: trust in each friend and its baseline, keyed by the friend's node.
        muted: friends whose posts this user no longer sees.
        exposure: per friend, (decayed marketing exposures, day last updated).
        following: friends whose shop this user follows.
        needs: open needs, category -> last open day.

    """

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, node: int) -> None:
        super().__init__(model)
        cfg, rng = model.cfg, model.rng
        users, conc = cfg.users, cfg.users.beta_concentration
        self.node = node
        self.engagement_base = rng.beta(
            users.engagement_mean * conc, (1 - users.engagement_mean) * conc
        )
        self.engagement = self.engagement_base
        self.attention = users.attention_median * float(rng.lognormal(0.0, users.attention_sigma))
        self.tolerance = rng.beta(users.tolerance_mean * conc, (1 - users.tolerance_mean) * conc)
        self.mute_threshold = rng.beta(
            users.mute_threshold_mean * conc, (1 - users.mute_threshold_mean) * conc
        )
        self.in_moments = True
        self.recruitable = rng.random() < cfg.sellers.recruitable_fraction
        self.acted = False
        self.needs: dict[int, int] = {}
        self.trust: dict[int, float] = {}
        self.baseline: dict[int, float] = {}
        self.muted: set[int] = set()
        self.exposure: dict[int, tuple[float, int]] = {}
        self.following: set[int] = set()
        self.selling = False
        self.ever_sold = False
        self.category = -1
        self.quality = 0.0
        self.base_rate = 0.0
        self.post_rate = 0.0
        self.since = 0
        self.upline = -1
        self.sales: deque[int] = deque(
            [0] * cfg.sellers.sales_window, maxlen=cfg.sellers.sales_window
        )
        self.organic_posts = 0
        self.marketing_drafted = 0
        self.load = 0.0  # today's marketing items read, weighted by channel (ODD 7.8)
        self.disappointments = 0  # today's disappointing purchases

    @property
    def rolling_sales(self) -> int:
        """Sales over the rolling window (today included)."""
        return sum(self.sales)

    def start_selling(self, category: int, upline: int) -> None:
        """Open a micro-business: fresh quality and post rate, a new grace period."""
        cfg, rng = self.model.cfg, self.model.rng
        conc = cfg.users.beta_concentration
        self.selling = self.ever_sold = True
        self.category = category
        self.upline = upline
        self.quality = float(
            rng.beta(cfg.purchase.quality_mean * conc, (1 - cfg.purchase.quality_mean) * conc)
        )
        self.base_rate = self.post_rate = cfg.sellers.rate_median * float(
            rng.lognormal(0.0, cfg.sellers.rate_sigma)
        )
        self.since = self.model.day

    def stop_selling(self) -> None:
        """Close the business; followers lose the shop."""
        self.selling = False
        self.recruitable = False
        self.category = -1
        self.post_rate = 0.0
        self.sales = deque([0] * len(self.sales), maxlen=len(self.sales))
        for friend in self.trust:
            self.model.people[friend].following.discard(self.node)

    def review_marketing(self) -> None:
        """Escalate below the sales target, step back above it (every review period)."""
        cfg = self.model.cfg.sellers
        age = self.model.day - self.since
        if age == 0 or age % cfg.review_every:
            return
        if self.rolling_sales < cfg.escalate_below:
            self.post_rate = min(cfg.rate_cap, self.post_rate * cfg.escalate_factor)
        else:
            self.post_rate = max(self.base_rate, self.post_rate / cfg.escalate_factor)

    def consider_quitting(self) -> bool:
        """After the grace period, quit with ``exit_prob`` while sales stay below cost."""
        cfg = self.model.cfg.sellers
        if self.model.day - self.since < cfg.grace_days:
            return False
        return self.rolling_sales < cfg.exit_sales and self.model.rng.random() < cfg.exit_prob
