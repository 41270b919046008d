"""Rectification: the levers Tencent used against Moments marketing (ODD 7.10).

- Daily cap: at most ``daily_cap`` marketing items per seller enter Moments in
  full; the rest are folded and read only by readers who expand them
  (WeChat folds repeated and bulk posts in Moments; brief, "rectify").
- Complaint enforcement: ``complaints_to_throttle`` complaints within
  ``complaint_window`` days throttle a seller for ``throttle_days`` (their
  marketing reaches nobody); a repeat offence bans them (the business closes).
  Complaints about marketing (from mutes and unfriends) count one each, and a
  disappointed buyer's product complaint counts ``product_complaint_weight``
  (1 by default: WeChat's report button takes both; 0 is enforcement blind to
  quality, above 1 quality-aware enforcement, as reputation systems that
  weigh buyers' bad experiences suggest: Nosko & Tadelis 2015).
  WeChat's published rules penalise reported marketing accounts in this
  graded way (warn, restrict, block).
- Detection: accounts posting more than ``detect_above`` marketing items a
  day are flagged with probability ``detect_recall``; with precision below 1
  the platform also flags ordinary users (false positives), whose posts then
  reach nobody for ``throttle_days``: the reach cost of imperfect detection.
- Adaptive cap (``target_density``, off by default): the platform watches its
  feed (brief, "Platform ... observes aggregate feed quality"). At the end of
  each day it measures the day's marketing density and moves the cap toward a
  target: ``cap + 1 *= exp(-cap_gain (density - target) / target)`` (the
  ``+ 1`` lets a cap that reached 0 recover), within ``[0, cap_max]``; the
  items shown per seller are the cap rounded down.
- The 5,000 friend cap (Tencent, May 2014) is not a lever here: the model
  never adds friendships, and the default graphs' largest degree (about
  1,300 at 5,000 users) stays far below 5,000, so the cap could not bind.
  It binds only when sellers mass-add strangers, which the model leaves out.

Each lever switches off on its own (``daily_cap=null``, ``enforcement=false``,
``detection=false``); with all three off the policy is laissez-faire, draw for
draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.core.config import RectifyConfig
from sim.engine.agents import ExitReason
from sim.engine.metrics import marketing_share
from sim.engine.policies.base import Feed, Policy

if TYPE_CHECKING:
    from sim.engine.model import SocialCommerceModel


class Rectify(Policy):
    """A daily cap with folding, complaint-driven throttles and bans, and detection."""

    name: ClassVar[str] = "rectify"
    config: ClassVar[type] = RectifyConfig
    cfg: RectifyConfig

    def __init__(self, cfg: RectifyConfig, model: SocialCommerceModel) -> None:
        super().__init__(cfg, model)
        self.expand_prob = cfg.expand_prob
        n = model.n_users
        self.throttled_until = np.zeros(n, dtype=np.int64)
        self.silenced_until = np.zeros(n, dtype=np.int64)
        self.strikes = np.zeros(n, dtype=np.int64)
        self.complaint_log = np.zeros((cfg.complaint_window, n))
        self.drafted = np.zeros(n, dtype=np.int64)
        self.cap = None if cfg.daily_cap is None else float(cfg.daily_cap)

    def route(self, organic: np.ndarray, marketing: np.ndarray) -> Feed:
        """Throttled sellers reach nobody; the rest enter Moments up to the cap, then fold."""
        day = self.model.steps
        self.drafted = marketing
        shown = np.where(self.throttled_until >= day, 0, marketing)
        folded = np.zeros_like(shown)
        if self.cap is not None:
            folded = np.maximum(0, shown - int(self.cap))
            shown = shown - folded
        organic = np.where(self.silenced_until >= day, 0, organic)
        return Feed(organic=organic, shown=shown, folded=folded)

    def enforce(self, complaints: np.ndarray, product_complaints: np.ndarray) -> None:
        """Throttle or ban on complaints; flag heavy posters (both take effect tomorrow).

        A product complaint (a disappointed buyer's) counts ``product_complaint_weight``
        marketing complaints: 0 makes enforcement blind to what sellers sell.
        """
        if self.cfg.enforcement:
            self.log_complaints(complaints + self.cfg.product_complaint_weight * product_complaints)
            recent = self.complaint_log.sum(axis=0)
            for seller in np.flatnonzero(
                (recent >= self.cfg.complaints_to_throttle) & self.model.people.seller
            ).tolist():
                self.penalize(seller)
        if self.cfg.detection:
            self.detect()
        if self.cfg.target_density is not None:
            self.steer_cap(marketing_share(self.model))

    def steer_cap(self, density: float) -> None:
        """Move the daily cap toward the target density (multiplicative, within bounds)."""
        target = self.cfg.target_density
        step = np.exp(-self.cfg.cap_gain * (density - target) / target)
        self.cap = float(np.clip((self.cap + 1.0) * step - 1.0, 0.0, self.cfg.cap_max))

    def log_complaints(self, complaints: np.ndarray) -> None:
        """Keep the last ``complaint_window`` days of complaints per author."""
        self.complaint_log[self.model.steps % self.cfg.complaint_window] = complaints

    def detect(self) -> None:
        """Flag heavy posters (``detect_recall``) and, by ``detect_precision``, ordinary users."""
        model, cfg = self.model, self.cfg
        people = model.people
        heavy = np.flatnonzero(
            people.seller & (self.drafted > cfg.detect_above) & (self.throttled_until < model.steps)
        )
        flagged = heavy[model.rng.random(len(heavy)) < cfg.detect_recall]
        for seller in flagged.tolist():
            self.penalize(seller)
        expected_false = len(flagged) * (1.0 - cfg.detect_precision) / cfg.detect_precision
        ordinary = np.flatnonzero(~people.seller & (self.silenced_until < model.steps))
        n_false = min(len(ordinary), int(model.rng.poisson(expected_false)))
        wrongly = model.rng.choice(ordinary, n_false, replace=False)
        self.silenced_until[wrongly] = model.steps + cfg.throttle_days
        model.totals.false_positives += n_false

    def penalize(self, seller: int) -> None:
        """Throttle ``seller`` for ``throttle_days``; a repeat offence bans them."""
        model = self.model
        self.strikes[seller] += 1
        self.complaint_log[:, seller] = 0
        model.totals.penalties += 1
        if self.cfg.ban_on_repeat and self.strikes[seller] > 1:
            model.business_of[seller].close(ExitReason.BANNED)
        else:
            self.throttled_until[seller] = model.steps + self.cfg.throttle_days
