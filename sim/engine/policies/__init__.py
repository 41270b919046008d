"""Platform policies, one module each (ODD 7.9-7.12): the policy registry.

A policy is a ``Policy`` subclass (its rules) whose ``config`` is its config
dataclass (keys, ranges, levers, and ``info``: label, colour, marker, console
rows, docking; see ``sim.core.policy_info``), plus a scenario YAML that names
the config's schema. ``register_policy`` makes it known everywhere at once: to
``make_policy``, to Hydra's ConfigStore, and to every layer that lists
policies (figures, reports, console summary, dashboard, docking), which read
``sim.core.config.POLICY_CONFIGS`` and never a name of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.core.config import (
    POLICY_CONFIGS,
    policy_name,
    register_policy_config,
    unregister_policy_config,
)
from sim.engine.policies.base import Feed, Policy
from sim.engine.policies.c2b import C2B
from sim.engine.policies.laissez_faire import LaissezFaire
from sim.engine.policies.rectify import Rectify
from sim.engine.policies.separate_shop import SeparateShop

if TYPE_CHECKING:
    from sim.engine.model import SocialCommerceModel

POLICIES: dict[str, type[Policy]] = {}

__all__ = [
    "POLICIES",
    "Feed",
    "Policy",
    "make_policy",
    "register_policy",
    "unregister_policy",
]


def register_policy(policy: type[Policy]) -> None:
    """Register ``policy``: its rules here, its config and info in the registry and Hydra's store.

    Its scenario YAML (``scenarios/scenario/<name>.yaml``, or
    ``results/scenarios/scenario/<name>.yaml`` from the folder a command runs
    in) names the schema ``<name>_schema`` stored here.
    """
    if policy_name(policy.config) != policy.name:
        raise ValueError(
            f"{policy.__name__}.name is {policy.name!r} but its config is named "
            f"{policy_name(policy.config)!r}"
        )
    register_policy_config(policy.config)
    POLICIES[policy.name] = policy


def unregister_policy(name: str) -> None:
    """Forget the policy ``name`` (a policy registered for a test or a session)."""
    POLICIES.pop(name, None)
    unregister_policy_config(name)


for _builtin in (LaissezFaire, Rectify, SeparateShop, C2B):
    register_policy(_builtin)
if set(POLICIES) != set(POLICY_CONFIGS):  # pragma: no cover - a config without its rules
    raise RuntimeError(f"policies without rules: {sorted(set(POLICY_CONFIGS) - set(POLICIES))}")


def make_policy(cfg: Any, model: SocialCommerceModel) -> Policy:
    """Return the policy named ``cfg.name``, configured by ``cfg``."""
    return POLICIES[cfg.name](cfg, model)
