"""The agents: users (friends), sellers (micro-businesses) and the platform.

Following the Mesa examples, agents carry identity, attributes and
decisions. What grows with the number of friendships (trust per arc, mute
and unfriend status) lives in ``sim.network.ArcTable`` and per-user
attributes in ``sim.population.Population``; the agents read and write
their own rows there, so the model can apply a rule to every arc at once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.submodels import review_post_rate

if TYPE_CHECKING:
    from sim.model import SocialCommerceModel
    from sim.policies.base import Policy


class ExitReason(StrEnum):
    """Why a micro-business closed."""

    QUIT = "quit"
    BANNED = "banned"


class User(mesa.Agent):
    """A person on the social graph: a friend who reads Moments and may buy.

    State (in ``model.people`` at row ``node``): open needs per category,
    attention budget, tolerance for marketing clutter, Moments engagement,
    mute threshold, and whether they still use Moments.
    """

    model: SocialCommerceModel

    def __init__(self, model: SocialCommerceModel, node: int) -> None:
        super().__init__(model)
        self.node = node

    @property
    def engagement(self) -> float:
        """Probability of opening Moments on a day."""
        return float(self.model.people.engagement[self.node])

    @property
    def in_moments(self) -> bool:
        """Whether the user still uses Moments."""
        return bool(self.model.people.in_moments[self.node])

    @property
    def friends(self) -> np.ndarray:
        """Nodes of the user's remaining friends."""
        return self.model.arcs.friends(self.node)

    @property
    def business(self) -> Seller | None:
        """The user's micro-business, if they run one."""
        return self.model.business_of.get(self.node)


class Seller(mesa.Agent):
    """A micro-business run by a user: category, quality, post rate, upline, sales.

    Decisions (ODD 7.7): every ``review_every`` days the seller reviews their
    marketing rate against their rolling sales; after the grace period a
    seller whose rolling sales stay below the cost threshold may quit.
    """

    model: SocialCommerceModel

    def __init__(
        self,
        model: SocialCommerceModel,
        user: User,
        category: int,
        quality: float,
        base_rate: float,
        upline: int,
    ) -> None:
        super().__init__(model)
        self.user = user
        self.upline = upline
        self.since = model.day
        model.people.open_business(user.node, category, quality, base_rate)
        model.business_of[user.node] = self

    @property
    def node(self) -> int:
        """The seller's node on the social graph."""
        return self.user.node

    @property
    def category(self) -> int:
        """Product category sold."""
        return int(self.model.people.category[self.node])

    @property
    def quality(self) -> float:
        """Probability that a purchase satisfies the buyer."""
        return float(self.model.people.quality[self.node])

    @property
    def post_rate(self) -> float:
        """Marketing posts per day at intensity 1."""
        return float(self.model.people.post_rate[self.node])

    @property
    def rolling_sales(self) -> int:
        """Sales over the last ``sellers.sales_window`` days."""
        return int(self.model.people.rolling_sales[self.node])

    def step(self) -> None:
        """Review the marketing rate, then consider quitting."""
        self.review_marketing()
        self.consider_quitting()

    def review_marketing(self) -> None:
        """Post more when sales are below target, step back when above (weekly)."""
        cfg = self.model.cfg.sellers
        age = self.model.day - self.since
        if age == 0 or age % cfg.review_every:
            return
        people = self.model.people
        people.post_rate[self.node] = review_post_rate(
            people.post_rate[self.node],
            people.base_rate[self.node],
            people.rolling_sales[self.node],
            cfg.escalate_below,
            cfg.escalate_factor,
            cfg.rate_cap,
        )

    def consider_quitting(self) -> None:
        """After the grace period, quit w.p. ``exit_prob`` while sales stay below cost."""
        cfg = self.model.cfg.sellers
        if self.model.day - self.since < cfg.grace_days:
            return
        if self.rolling_sales < cfg.exit_sales and self.model.rng.random() < cfg.exit_prob:
            self.close(ExitReason.QUIT)

    def close(self, reason: ExitReason) -> None:
        """Close the business; the user stays on the graph as an ordinary user."""
        self.model.close_business(self.node, reason)
        self.remove()


class Platform(mesa.Agent):
    """The platform (Tencent): holds the policy, receives complaints, enforces.

    It sees complaints filed today and the day's feed, and applies its policy
    at the end of the day, so penalties take effect the next day.
    """

    model: SocialCommerceModel

    def __init__(self, model: SocialCommerceModel, policy: Policy) -> None:
        super().__init__(model)
        self.policy = policy
        self.complaints_today = np.zeros(model.n_users, dtype=np.int32)

    def receive_complaints(self, authors: np.ndarray) -> None:
        """Record one complaint against each entry of ``authors``."""
        np.add.at(self.complaints_today, authors, 1)
        self.model.totals.complaints += len(authors)

    def step(self) -> None:
        """Enforce the policy on today's complaints, then start a fresh day."""
        self.policy.enforce(self.complaints_today)
        self.complaints_today[:] = 0
