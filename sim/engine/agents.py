"""The agents: users (friends), sellers (micro-businesses) and the platform.

Following the Mesa examples, agents carry identity, attributes and
decisions. What grows with the number of friendships (trust per arc, mute
and unfriend status) lives in ``sim.engine.network.ArcTable`` and per-user
attributes in ``sim.engine.population.Population``; the agents read and write
their own rows there, so the model can apply a rule to every arc at once.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, overload

import mesa
import numpy as np

from sim.engine.submodels import quits, review_post_rate

if TYPE_CHECKING:
    from sim.engine.model import SocialCommerceModel
    from sim.engine.policies.base import Policy


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


class Users(Sequence[User]):
    """Every user of ``model`` as a ``User`` agent, made when first asked for.

    ``users[node]`` is the user at row ``node`` of ``model.people``; iterating
    gives all of them. An agent is a view on its row, so when it is made
    changes nothing in the run. Made and registered with Mesa up front, the
    agents took 6.2 s of a million-user setup (0.6 s at 100,000) though only
    sellers and the dashboard ever use one; ``model.agents`` holds the made ones.
    """

    def __init__(self, model: SocialCommerceModel) -> None:
        self._model = model
        self._made: dict[int, User] = {}

    def __len__(self) -> int:
        return self._model.n_users

    @overload
    def __getitem__(self, node: int) -> User: ...
    @overload
    def __getitem__(self, node: slice) -> list[User]: ...
    def __getitem__(self, node: int | slice) -> User | list[User]:
        if isinstance(node, slice):
            return [self[i] for i in range(*node.indices(len(self)))]
        node = operator.index(node)
        if node < 0:
            node += len(self)
        if not 0 <= node < len(self):
            raise IndexError(f"no user {node}: there are {len(self)}")
        user = self._made.get(node)
        if user is None:
            user = self._made[node] = User(self._model, node)
        return user

    @property
    def made(self) -> int:
        """How many user agents exist so far."""
        return len(self._made)


class Seller(mesa.Agent):
    """A micro-business run by a user: category, quality, post rate, upline, sales.

    Its decisions (ODD 7.7) are made for every seller at once by
    ``sellers_decide``; its state lives in ``model.people`` at row ``node``.
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
        model.people.open_business(user.node, category, quality, base_rate, model.steps)
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
    def since(self) -> int:
        """The day the business opened."""
        return int(self.model.people.since[self.node])

    @property
    def rolling_sales(self) -> int:
        """Sales over the last ``sellers.sales_window`` days."""
        return int(self.model.people.rolling_sales[self.node])

    def close(self, reason: ExitReason) -> None:
        """Close the business; the user stays on the graph as an ordinary user."""
        self.model.close_business(self.node, reason)
        self.remove()


def sellers_decide(model: SocialCommerceModel) -> None:
    """ODD 7.7 Sellers' decisions, every seller at once (one day).

    Every ``review_every`` days of its age a seller reviews its marketing rate
    against its rolling sales (``review_post_rate``); after the grace period a
    seller whose rolling sales stay below the cost threshold quits with
    probability ``exit_prob`` (``quits``). Decisions are independent between
    sellers, so taking them in one pass draws from the same distribution as
    visiting sellers one by one in random order, without a Python call per
    seller per day (which cost a quarter of a 100,000-user day).
    """
    cfg, people, day = model.cfg.sellers, model.people, model.steps
    sellers = np.flatnonzero(people.seller)
    age = day - people.since[sellers]
    due = sellers[(age > 0) & (age % cfg.review_every == 0)]
    people.post_rate[due] = review_post_rate(
        people.post_rate[due],
        people.base_rate[due],
        people.rolling_sales[due],
        cfg.escalate_below,
        cfg.escalate_factor,
        cfg.rate_cap,
    )
    leaving = quits(
        people.rolling_sales[sellers], age, cfg.grace_days, cfg.exit_sales, cfg.exit_prob, model.rng
    )
    for node in sellers[leaving].tolist():
        model.business_of[node].close(ExitReason.QUIT)


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
        self.product_complaints_today = np.zeros(model.n_users, dtype=np.int32)

    def receive_complaints(self, authors: np.ndarray, product: bool = False) -> None:
        """Record one complaint against each entry of ``authors``.

        ``product``: filed by a disappointed buyer about what they bought (ODD
        7.6), not about marketing; a policy may weigh the two kinds differently.
        """
        np.add.at(self.product_complaints_today if product else self.complaints_today, authors, 1)
        self.model.totals.complaints += len(authors)

    def step(self) -> None:
        """Enforce the policy on today's complaints, then start a fresh day."""
        self.policy.enforce(self.complaints_today, self.product_complaints_today)
        self.complaints_today[:] = 0
        self.product_complaints_today[:] = 0
