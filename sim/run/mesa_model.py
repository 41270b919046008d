"""The model with Mesa's conventions: keyword parameters, each with a default.

``mesa.batch_run`` and SolaraViz build a model as ``model_cls(**params)``; the
engine's ``SocialCommerceModel(cfg, graph=...)`` takes a composed configuration
instead (the engine sits below Hydra's composition, ``sim.run.runner``). This
subclass composes the configuration from keywords and is otherwise the same
model, draw for draw::

    import mesa
    from sim.run.mesa_model import KeywordModel

    rows = mesa.batch_run(
        KeywordModel,
        parameters={"scenario": ["laissez_faire", "rectify"], "n_users": 1000},
        rng=[1, 2],
        max_steps=90,
    )

Any config key is a keyword too, its dots written as double underscores
(``trust__mute_leak=0.1``), or given in ``overrides`` (``{"market.intensity": 2}``
or ``["market.intensity=2"]``). A typo is a ``ConfigError`` naming the key.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hydra.errors import HydraException
from mesa.experimental.scenarios import Scenario
from omegaconf.errors import OmegaConfBaseException

from sim.core.config import ConfigError, SimConfig
from sim.engine.model import SocialCommerceModel
from sim.run.runner import composed_config, explain

_compose_lock = threading.Lock()  # Hydra's composition is global state; SolaraViz resets on threads


def override_value(value: object) -> str:
    """Spell a Python value as a Hydra override value (``True`` -> ``true``, None -> ``null``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class KeywordModel(SocialCommerceModel):
    """``SocialCommerceModel`` built from keyword parameters (``mesa.batch_run``, SolaraViz).

    Args:
        policy: the scenario file (``scenario=...`` on the command line):
            laissez_faire, rectify, separate_shop, c2b or one a command wrote.
        n_users: ``graph.n_users`` (None: the scenario's).
        intensity: ``market.intensity`` (None: the scenario's).
        steps: days to run; ``running`` turns false after them (None: the config's, 365).
        seed: the run's seed; None draws one from the operating system, as Mesa
            does (``mesa.batch_run(..., iterations=n)`` passes None), kept in ``cfg.seed``.
        graph: the graph family (``graph=...``; None: holme_kim).
        overrides: more settings, ``{"dotted.key": value}`` or ``["dotted.key=value"]``.
        scenario: the scenario file, as ``policy`` (the command line's name for it);
            or Mesa's ``Scenario`` object, which SolaraViz passes on Reset and which
            is ignored (so SolaraViz controls must use ``policy``).
        **settings: any config key with ``__`` for its dots (``trust__mute_leak=0.1``).

    """

    def __init__(
        self,
        policy: str | None = None,
        n_users: int | None = None,
        intensity: float | None = None,
        steps: int | None = None,
        seed: int | None = 0,
        graph: str | None = None,
        overrides: Mapping[str, Any] | Sequence[str] = (),
        scenario: str | Scenario | None = None,
        **settings: Any,
    ) -> None:
        if isinstance(scenario, str):
            if policy is not None and policy != scenario:
                raise ConfigError(f"scenario={scenario!r} and policy={policy!r}: give one")
            policy = scenario
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0] >> 1)  # a fresh one, >= 0
        super().__init__(
            keyword_config(
                policy=policy,
                n_users=n_users,
                intensity=intensity,
                steps=steps,
                seed=int(seed),
                graph=graph,
                overrides=overrides,
                settings=settings,
            )
        )


def keyword_config(
    *,
    policy: str | None,
    n_users: int | None,
    intensity: float | None,
    steps: int | None,
    seed: int,
    graph: str | None,
    overrides: Mapping[str, Any] | Sequence[str],
    settings: Mapping[str, Any],
) -> SimConfig:
    """Compose the ``SimConfig`` of ``KeywordModel``'s keywords (see there)."""
    if isinstance(overrides, str):
        raise ConfigError(f"overrides must be a mapping or a list of strings, not {overrides!r}")
    named = {
        "scenario": policy,
        "graph": graph,
        "graph.n_users": n_users,
        "market.intensity": intensity,
        "steps": steps,
    }
    given = [f"{key}={override_value(value)}" for key, value in named.items() if value is not None]
    if isinstance(overrides, Mapping):
        given += [f"{key}={override_value(value)}" for key, value in overrides.items()]
    else:
        given += [str(item) for item in overrides]
    given += [
        f"{key.replace('__', '.')}={override_value(value)}" for key, value in settings.items()
    ]
    with _compose_lock:
        try:
            return composed_config(given, seed)
        except (HydraException, OmegaConfBaseException) as error:
            raise ConfigError(explain(error)) from None
