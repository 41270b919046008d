"""C2B: buyers post their needs, seller friends answer; no push marketing (ODD 7.12).

The source article's closing direction: "small and beautiful", demand-led
selling. A need that arises is posted into Moments by its user (if in
Moments) with probability ``post_share`` (privacy and effort keep the rest
private); a posted need counts as an ordinary item for the poster's friends.
Each seller friend of the need's category is minded to answer with
probability ``answer_prob`` and then sends ``Poisson(intensity)`` items (a
reply and follow-ups): intensity is the push in each answer. The first item of
the first answer to a post was asked for; every other item (follow-ups, and
all answers from the second seller on) is unsolicited marketing that erodes
trust like a shop broadcast (wear-out, no clutter) and weighs on the reader's
experience (``users.load_weight_answer``, ODD 7.8). It cannot persuade: it is
about the very category the poster already needs. An answer of ``m`` items
converts with ``1 - (1 - answer_conversion x T)^m``, at most one purchase per
need. Sellers still draft Moments marketing (their post rate still
escalates), but it reaches nobody.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from sim.core.config import C2BConfig
from sim.engine.network import ArcStatus
from sim.engine.policies.base import Policy
from sim.engine.submodels import answer_items, one_per_key


class C2B(Policy):
    """Demand-led selling: need posts and seller answers replace push marketing."""

    name: ClassVar[str] = "c2b"
    config: ClassVar[type] = C2BConfig
    marketing_in_moments: ClassVar[bool] = False
    cfg: C2BConfig

    def extra_organic(self, needs_arisen: np.ndarray) -> np.ndarray:
        """Users in Moments post a share ``post_share`` of the needs that arose today."""
        model = self.model
        posted = needs_arisen & model.people.in_moments[:, None]
        posted[posted] = model.rng.random(int(posted.sum())) < self.cfg.post_share
        self.posted = posted
        return posted.sum(axis=1)

    def run_channel(self, marketing: np.ndarray, needs_arisen: np.ndarray) -> None:
        """Seller friends answer today's need posts; extra items erode; answers may convert."""
        model = self.model
        arcs, people = model.arcs, model.people
        buyer, category = np.nonzero(self.posted)
        outgoing = arcs.of_authors(buyer)
        need = np.repeat(np.arange(len(buyer)), np.diff(arcs.start)[buyer])
        friend = arcs.reader[outgoing]
        # friends who sell the need's category, then those still friends: the
        # arc from a friend (a search) is looked up for the few who sell only
        sells = people.seller[friend] & (people.category[friend] == category[need])
        incoming, need = arcs.twin_of(outgoing[sells]), need[sells]
        still = arcs.status[incoming] != ArcStatus.REMOVED
        incoming, need = incoming[still], need[still]
        items = answer_items(
            len(incoming), self.cfg.answer_prob, model.cfg.market.intensity, model.rng
        )
        answered = items > 0
        answers, need, items = incoming[answered], need[answered], items[answered]
        unsolicited = items.copy()
        unsolicited[one_per_key(need, model.rng)] -= 1
        pushed = unsolicited > 0
        model.take_in_marketing(
            answers[pushed],
            unsolicited[pushed],
            np.zeros(int(pushed.sum())),
            model.cfg.users.load_weight_answer,
        )
        model.remember_exposure(answers[~pushed], items[~pushed])
        conversion = 1.0 - (1.0 - self.cfg.answer_conversion * arcs.trust[answers]) ** items
        model.buy(answers, conversion)
