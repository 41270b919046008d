"""Several policies on one world, stepping together (common random numbers).

``SideBySideModel`` builds one friendship graph and, on it, one
``SocialCommerceModel`` per chosen policy with the same seed: the same
users, baseline trust, traits and day-0 sellers, so every difference between
the policies' paths comes from the policy. Its ``step`` advances every
policy by one day, and its ``DataCollector`` records the headline metrics of
each, in columns named ``"<policy>:<metric>"``.

It is a plain Mesa model with keyword parameters that all have defaults, so
Mesa's ``SolaraViz`` controls can (re)build it; the dashboard (``sim.dashboard.serve``)
draws it, and nothing here knows about the view.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, fields

import mesa
import numpy as np
import pandas as pd
from mesa.experimental.scenarios import Scenario

from sim.core.config import POLICY_CONFIGS, baseline_policy, policy_names
from sim.core.policy_info import BOUNDS, LEVER, Bounds, Lever
from sim.engine.graphs import graph_for_seed
from sim.engine.metrics import REPORTERS, Column, gmv_net
from sim.engine.model import SocialCommerceModel
from sim.run.runner import compose_config, to_sim_config

REFERENCE = baseline_policy()  # runs always: the others are compared with it
GRAPH_KINDS = ("holme_kim", "barabasi_albert", "watts_strogatz", "erdos_renyi")

_compose_lock = threading.Lock()  # Hydra's compose API keeps global state


@dataclass(frozen=True)
class Metric:
    """One headline metric shown per policy.

    Attributes:
        key: column suffix in the DataCollector (``"<policy>:<key>"``).
        label: title of its panel.
        unit: axis label.
        value: its value for one policy's model, given day-0 friendships.

    """

    key: str
    label: str
    unit: str
    value: Callable[[SocialCommerceModel, int], float]


def _column(column: Column) -> Callable[[SocialCommerceModel, int], float]:
    reporter = REPORTERS[column]
    return lambda model, _friendships: float(reporter(model))


def _per_thousand(column: Column) -> Callable[[SocialCommerceModel, int], float]:
    reporter = REPORTERS[column]
    return lambda model, friendships: 1000.0 * float(reporter(model)) / max(friendships, 1)


METRICS: tuple[Metric, ...] = (
    Metric(
        "density",
        "Marketing density",
        "marketing share of items read",
        _column(Column.MARKETING_SHARE),
    ),
    Metric(
        "trust",
        "Trust in sellers",
        "mean trust, seller arcs",
        _column(Column.MEAN_TRUST_SELLER_ARCS),
    ),
    Metric("mutes", "Mutes", "per 1,000 friendships", _per_thousand(Column.MUTES_CUM)),
    Metric("unfriends", "Unfriends", "per 1,000 friendships", _per_thousand(Column.UNFRIENDS_CUM)),
    Metric("acted", "Users who acted", "share muting/unfriending", _column(Column.ACTED_SHARE)),
    Metric("left", "Users who left Moments", "share of non-sellers", _column(Column.LEFT_SHARE)),
    Metric("sellers", "Sellers", "active sellers", _column(Column.SELLERS)),
    Metric(
        "gmv",
        "GMV net of disappointment (cumulative)",
        "yuan per user",
        lambda m, _f: gmv_net(m) / m.n_users,
    ),
    Metric("ux", "User experience", "mean engagement", _column(Column.UX)),
    Metric(
        "kept",
        "Day-0 sellers' friends kept",
        "share of day-0 friends, every day-0 seller",
        _column(Column.COHORT_FRIENDS_KEPT),
    ),
    Metric(
        "reached",
        "Day-0 sellers' friends reached",
        "share not muting, every day-0 seller",
        _column(Column.COHORT_FRIENDS_REACHED),
    ),
)
METRIC_BY_KEY = {metric.key: metric for metric in METRICS}


def column(policy: str, metric: str) -> str:
    """Return the DataCollector column of ``metric`` under ``policy``."""
    return f"{policy}:{metric}"


def policies() -> tuple[str, ...]:
    """Return the registered policies, the reference (laissez-faire) first."""
    return (REFERENCE, *(p for p in policy_names() if p != REFERENCE))


@dataclass(frozen=True)
class LeverSpec:
    """A policy's config key shown as a dashboard control (declared in its config).

    Attributes:
        policy: the policy that owns it.
        key: the config field (``daily_cap``); the model's parameter of the same name.
        default: the config's default (0 for a ``zero_is_none`` key left ``None``).
        lever: its label, step and slider end.
        bounds: its valid range (``None``: a switch).

    """

    policy: str
    key: str
    default: object
    lever: Lever
    bounds: Bounds | None

    def value(self, chosen: object) -> object:
        """Return the config value of the control's ``chosen`` value."""
        if isinstance(self.default, bool):
            return bool(chosen)
        if self.lever.zero_is_none and not chosen:
            return None
        return int(chosen) if isinstance(self.default, int) else chosen  # type: ignore[call-overload]


def levers() -> tuple[LeverSpec, ...]:
    """Return every registered policy's levers (config fields declared with a ``Lever``)."""
    found: list[LeverSpec] = []
    for policy in policies():
        for item in fields(POLICY_CONFIGS[policy]):
            lever = item.metadata.get(LEVER)
            if lever is not None:
                default = 0 if item.default is None and lever.zero_is_none else item.default
                found.append(
                    LeverSpec(policy, item.name, default, lever, item.metadata.get(BOUNDS))
                )
    names = [spec.key for spec in found]
    if len(names) != len(set(names)):
        raise ValueError(f"two policies have a lever of the same name: {sorted(names)}")
    return tuple(found)


def overrides_for(
    policy: str,
    *,
    intensity: float,
    graph_kind: str,
    n_users: int,
    mean_degree: float,
    seed: int,
    days: int,
    levers: dict[str, object],
) -> list[str]:
    """Return the Hydra overrides of one policy's run (levers of other policies ignored)."""
    overrides = [
        f"scenario={policy}",
        f"graph={graph_kind}",
        f"graph.n_users={n_users}",
        f"graph.mean_degree={mean_degree}",
        f"market.intensity={intensity}",
        f"seed={seed}",
        f"steps={days}",
        "progress=false",
        "plot=false",
    ]
    prefix = f"{policy}."
    for name, value in levers.items():
        if name.startswith(prefix):
            text = (
                "null"
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else value
            )
            overrides.append(f"policy.{name.removeprefix(prefix)}={text}")
    return overrides


class SideBySideModel(mesa.Model):
    """The reference and the chosen policies on the same graph and seed, one day per step.

    Args:
        intensity: ``market.intensity`` of every policy.
        graph_kind: graph family (``GRAPH_KINDS``).
        n_users: users in the graph.
        mean_degree: mean friends per user.
        seed: seed of the graph and of every policy's dynamics.
        days: days to run; the model stops (``running = False``) after them.
        **choices: per registered policy other than the reference, whether it
            runs (``rectify=False``; default: it runs); per lever (``levers()``,
            declared in the policies' configs), its value (``daily_cap=5``;
            default: the config's).

    Laissez-faire always runs: it is the reference the others are compared
    with. (No parameter is called ``scenario``: Mesa's SolaraViz passes a Mesa
    scenario object under that name on Reset, which is ignored.)

    """

    def __init__(
        self,
        intensity: float = 1.0,
        graph_kind: str = "holme_kim",
        n_users: int = 1000,
        mean_degree: float = 40.0,
        seed: int = 0,
        days: int = 365,
        **choices: object,
    ) -> None:
        super().__init__(rng=seed)
        # Mesa's controller passes its own scenario object to a model taking **kwargs
        # on Reset; this model's policies are chosen by name, so it is not used.
        if isinstance(choices.get("scenario"), Scenario):
            del choices["scenario"]
        specs = levers()
        known = {*policies()[1:], *(spec.key for spec in specs)}
        unknown = sorted(set(choices) - known)
        if unknown:
            raise TypeError(f"SideBySideModel: unknown parameters {unknown}")
        self.policies: tuple[str, ...] = (
            REFERENCE,
            *(p for p in policies()[1:] if choices.get(p, True)),
        )
        self.days = int(days)
        self.day = 0
        levers_chosen = {
            f"{spec.policy}.{spec.key}": spec.value(choices.get(spec.key, spec.default))
            for spec in specs
        }
        with _compose_lock:
            configs = {
                policy: to_sim_config(
                    compose_config(
                        overrides_for(
                            policy,
                            intensity=intensity,
                            graph_kind=graph_kind,
                            n_users=int(n_users),
                            mean_degree=mean_degree,
                            seed=int(seed),
                            days=self.days,
                            levers=levers_chosen,
                        )
                    )
                )
                for policy in self.policies
            }
        self.graph = graph_for_seed(configs[REFERENCE].graph, int(seed))
        self.models: dict[str, SocialCommerceModel] = {
            policy: SocialCommerceModel(cfg, graph=self.graph) for policy, cfg in configs.items()
        }
        self.friendships = len(self.graph[1])
        people, arcs = self.reference.people, self.reference.arcs
        sellers = np.flatnonzero(people.seller)
        degree = np.diff(arcs.start)[sellers]
        self._sellers_at_start = sellers[np.argsort(-degree, kind="stable")]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                column(policy, metric.key): self._reporter(policy, metric)
                for policy in self.policies
                for metric in METRICS
            }
        )
        self.datacollector.collect(self)

    def _reporter(self, policy: str, metric: Metric) -> Callable[[mesa.Model], float]:
        model = self.models[policy]
        return lambda _self: metric.value(model, self.friendships)

    @property
    def reference(self) -> SocialCommerceModel:
        """The laissez-faire model."""
        return self.models[REFERENCE]

    def step(self) -> None:
        """Advance every policy by one day, then record their metrics."""
        for model in self.models.values():
            model.step()
        self.day += 1
        self.datacollector.collect(self)
        if self.day >= self.days:
            self.running = False

    def history(self) -> pd.DataFrame:
        """Return the recorded days (the DataCollector's frame), never one half-recorded.

        The dashboard's play thread steps while the page draws from another
        thread; a day being recorded has some columns one entry longer than
        others, so only the days recorded in every column are taken (lists
        grow by appending, so each column's first ``days`` entries are fixed).
        """
        columns = self.datacollector.model_vars
        days = min(len(values) for values in columns.values())
        return pd.DataFrame({name: values[:days] for name, values in columns.items()})

    def sellers_at_start(self) -> np.ndarray:
        """Users selling on day 0 (the same under every policy), by falling degree."""
        return self._sellers_at_start
