"""The interface between the platform's policy and the model.

A policy decides three things (ODD 7.9-7.12): what enters Moments today
(``route``), what other channel carries commerce (``run_channel``: the
shop, C2B answers), and how the platform enforces at the end of the day
(``enforce``). The defaults are laissez-faire: everything enters Moments,
no other channel, no enforcement; a policy that moves marketing out of
Moments sets ``marketing_in_moments = False``. To add a policy, subclass ``Policy`` in
a module of its own (``name`` and ``config``: its config dataclass, which
declares its keys, ranges, levers and ``info``: label, colour, console rows,
docking), write its scenario YAML, and register it (``register_policy`` in
``sim.engine.policies``; the built-in ones are listed there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from sim.engine.model import SocialCommerceModel


@dataclass
class Feed:
    """What reaches Moments today, per author.

    Attributes:
        organic: ordinary posts (life updates; under C2B also posted needs).
        shown: marketing items shown in full.
        folded: marketing items folded away, read only by readers who expand them.

    """

    organic: np.ndarray
    shown: np.ndarray
    folded: np.ndarray


class Policy:
    """Laissez-faire behaviour; subclasses override the hooks they change."""

    name: ClassVar[str] = "laissez_faire"
    config: ClassVar[type]  # its config dataclass (sim.core.config), named ``name``
    marketing_in_moments: ClassVar[bool] = True
    expand_prob: float = 0.0

    def __init__(self, cfg: Any, model: SocialCommerceModel) -> None:
        self.cfg = cfg
        self.model = model

    def route(self, organic: np.ndarray, marketing: np.ndarray) -> Feed:
        """Return today's Moments feed from the posts users and sellers drafted.

        All marketing enters Moments, or none where ``marketing_in_moments`` is False.
        """
        nothing = np.zeros_like(marketing)
        shown = marketing if self.marketing_in_moments else nothing
        return Feed(organic=organic, shown=shown, folded=nothing)

    def extra_organic(self, needs_arisen: np.ndarray) -> np.ndarray | None:
        """Return extra ordinary posts per user today (C2B need posts), if any."""
        return None

    def run_channel(self, marketing: np.ndarray, needs_arisen: np.ndarray) -> None:
        """Carry commerce outside Moments today (shop, C2B answers)."""

    def on_satisfied(self, common_arcs: np.ndarray) -> None:
        """React to today's satisfied purchases.

        ``common_arcs``: for each purchase, the arcs from the seller to the
        friends the buyer shares with them (an arc once per purchase).
        """

    def enforce(self, complaints: np.ndarray, product_complaints: np.ndarray) -> None:
        """Apply the platform's rules to today's complaints per author.

        ``complaints`` follow mutes and unfriends (marketing); ``product_complaints``
        follow disappointing purchases (ODD 7.6).
        """
