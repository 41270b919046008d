"""C2B: buyers post their needs, seller friends answer; no push marketing (ODD 7.12).

The source article's closing direction: "small and beautiful", demand-led
selling. A need that arises is posted into Moments as ordinary content (it
counts as an organic item for the poster's friends). Each seller friend of the
need's category answers with probability ``answer_prob x intensity`` (capped
at 1): intensity means how eagerly sellers answer. Answers are solicited, so
they do not erode trust; each converts with ``answer_conversion x T`` and at
most one purchase settles a need. Sellers still draft marketing (their post
rate still escalates), but it reaches nobody.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from sim.config import C2BConfig
from sim.network import ArcStatus
from sim.policies.base import Policy


class C2B(Policy):
    """Demand-led selling: need posts and seller answers replace push marketing."""

    name: ClassVar[str] = "c2b"
    marketing_in_moments: ClassVar[bool] = False
    cfg: C2BConfig

    def extra_organic(self, needs_arisen: np.ndarray) -> np.ndarray:
        """Users in Moments post each need that arose today."""
        return needs_arisen.sum(axis=1) * self.model.people.in_moments

    def run_channel(self, marketing: np.ndarray, needs_arisen: np.ndarray) -> None:
        """Seller friends answer today's need posts; answers may convert."""
        model = self.model
        arcs, people = model.arcs, model.people
        buyer, category = np.nonzero(needs_arisen & people.in_moments[:, None])
        outgoing = arcs.of_authors(buyer)
        need = np.repeat(np.arange(len(buyer)), np.diff(arcs.start)[buyer])
        friend, incoming = arcs.reader[outgoing], arcs.twin[outgoing]
        can_answer = (
            (arcs.status[incoming] != ArcStatus.REMOVED)
            & people.seller[friend]
            & (people.category[friend] == category[need])
        )
        eagerness = min(1.0, self.cfg.answer_prob * model.cfg.market.intensity)
        answers = incoming[can_answer & (model.rng.random(len(incoming)) < eagerness)]
        model.remember_exposure(answers, np.ones(len(answers), dtype=np.int64))
        model.buy(answers, self.cfg.answer_conversion * arcs.trust[answers])
