"""Platform policies, one module each (ODD 7.9-7.12); ``make_policy`` builds one from its config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.engine.policies.base import Feed, Policy
from sim.engine.policies.c2b import C2B
from sim.engine.policies.laissez_faire import LaissezFaire
from sim.engine.policies.rectify import Rectify
from sim.engine.policies.separate_shop import SeparateShop

if TYPE_CHECKING:
    from sim.engine.model import SocialCommerceModel

POLICIES: dict[str, type[Policy]] = {
    cls.name: cls for cls in (LaissezFaire, Rectify, SeparateShop, C2B)
}

__all__ = ["POLICIES", "Feed", "Policy", "make_policy"]


def make_policy(cfg: Any, model: SocialCommerceModel) -> Policy:
    """Return the policy named ``cfg.name``, configured by ``cfg``."""
    return POLICIES[cfg.name](cfg, model)
