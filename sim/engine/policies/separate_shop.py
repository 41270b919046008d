"""Separate shop: marketing leaves Moments for an opt-in shop space (ODD 7.11).

The source article's proposal: move micro-shops "into a separate space, with
fans in the number of public borrowing mode" (official-account style), so the
circle of friends is purified while people with a real need still see offers.

- Following: a user with an open need (and still using the feed surfaces)
  follows a seller friend of that category whose trust exceeds
  ``follow_min_trust`` (``follow_prob`` a day);
  a satisfied buyer's common friends follow on the recommendation
  (``recommend_follow_prob``).
- Broadcasts: a seller sends at most ``broadcasts_per_day`` broadcasts a day
  (official accounts: one group message a day), each carrying the items the
  seller drafted today (Poisson ``rate x intensity``) up to
  ``items_per_broadcast_max``: intensity means how much a broadcast pushes.
- Reading: a follower opens the shop space on a day with probability
  ``visit_prob`` x their engagement (the chance they open Moments is their
  engagement itself), and a visitor reads that day's broadcasts within
  ``shop_attention`` items; users who left (ODD 7.8) do not visit. The items
  weigh on the reader's experience like any marketing read
  (``users.load_weight_shop``), wear trust down (wear-out, no clutter: the
  space is opted into), may persuade, and convert at ``1 -
  conversion_friction`` x the Moments rate (the jump out of Moments costs a
  share ``conversion_friction`` of conversions).
- Annoyance takes the shop's own first rung, an unfollow; the friendship's
  ladder (mute, unfriend) still runs on the same arc (ODD 7.6), so a follower
  whose trust keeps falling, or who is sold a disappointing product, can mute
  or unfriend the seller.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from sim.core.config import SeparateShopConfig
from sim.engine.network import ArcStatus
from sim.engine.policies.base import Policy
from sim.engine.submodels import items_read, purchase_probability, read_fraction


class SeparateShop(Policy):
    """Shops in their own space: opt-in following, capped broadcasts, unfollows first."""

    name: ClassVar[str] = "separate_shop"
    config: ClassVar[type] = SeparateShopConfig
    marketing_in_moments: ClassVar[bool] = False
    cfg: SeparateShopConfig

    def run_channel(self, marketing: np.ndarray, needs_arisen: np.ndarray) -> None:
        """Users with needs follow shops; followers read today's broadcasts."""
        self.follow_on_need()
        self.read_broadcasts(marketing)

    def follow_on_need(self) -> None:
        """Follow a trusted seller friend whose category matches an open need."""
        model = self.model
        arcs, people = model.arcs, model.people
        idx = arcs.of_authors(np.flatnonzero(people.seller))
        idx = idx[~arcs.following[idx] & (arcs.status[idx] != ArcStatus.REMOVED)]
        reader, category = arcs.reader[idx], people.category[arcs.author_of(idx)]
        wants = (
            people.in_moments[reader]  # a user who left no longer opens the shop space
            & (people.need_expiry[reader, category] >= model.steps)
            & (arcs.trust[idx] > self.cfg.follow_min_trust)
            & ~(people.seller[reader] & (people.category[reader] == category))
        )
        follows = idx[wants & (model.rng.random(len(idx)) < self.cfg.follow_prob)]
        arcs.following[follows] = True

    def read_broadcasts(self, marketing: np.ndarray) -> None:
        """Followers who visit today read broadcasts within their shop attention."""
        model, cfg = self.model, self.cfg
        arcs, people = model.arcs, model.people
        visiting = people.in_moments & (
            model.rng.random(model.n_users) < cfg.visit_prob * people.engagement
        )
        items = np.minimum(marketing, cfg.broadcasts_per_day * cfg.items_per_broadcast_max)
        idx = arcs.of_authors(np.flatnonzero(items > 0))
        idx = idx[arcs.following[idx] & visiting[arcs.reader[idx]]]
        reader = arcs.reader[idx]
        available = items[arcs.author_of(idx)]
        total = np.bincount(reader, weights=available, minlength=model.n_users)
        read = items_read(available, read_fraction(total, cfg.shop_attention)[reader], model.rng)
        idx, read = idx[read > 0], read[read > 0]
        kinds = model.take_in_marketing(
            idx, read, np.zeros(len(idx)), model.cfg.users.load_weight_shop
        )
        conversion = model.cfg.purchase.conversion * (1.0 - cfg.conversion_friction)
        model.buy(
            idx,
            lambda offers: purchase_probability(arcs.trust[idx[offers]], read[offers], conversion),
            kinds,
        )

    def on_satisfied(self, common_arcs: np.ndarray) -> None:
        """Let satisfied buyers recommend the shop: common friends may follow.

        Each recommendation is a chance ``recommend_follow_prob``; a friend
        recommended to by two buyers gets two chances.
        """
        model = self.model
        fresh = common_arcs[~model.arcs.following[common_arcs]]
        follows = fresh[model.rng.random(len(fresh)) < self.cfg.recommend_follow_prob]
        model.arcs.following[follows] = True
