"""Declared uncertainty and its samples: the input side of an uncertainty study.

An uncertainty set (``scenarios/uncertainty/<name>.yaml``, or any YAML path)
lists each uncertain parameter with its range, distribution and source (or
the word "unpinned"). A study (``scenarios/study/``) draws a sample from it
with SALib (Morris trajectories for screening, Sobol's sequence for variance
decomposition: maintained samplers, not hand-written ones) and runs every
sampled **world** under every policy and seed through Hydra's own sweeper and
launchers, so a study has the folders, failure records and resume of a named
sweep. The design:

- the study file sweeps ``seed``, ``study.world`` and ``scenario`` with Hydra's
  basic sweeper; the number of worlds comes from the resolver
  ``${sim_worlds:...}`` (Morris r (D + 1), Sobol N (D + 2)), so Hydra
  expands, launches and names the jobs exactly as for a named sweep
  (``scenario=rectify,seed=0,study.world=17``);
- when the multirun starts, the sample is drawn once into the study folder
  (``sample.csv``, ``problem.json``); a resumed study checks that the sample it
  would draw equals the one on disk and refuses to mix two samples;
- each job reads its world's row and sets those values before the config is
  validated (``apply_world``); keys under ``policy.`` apply only to the policy
  that has them.

Common random numbers: a world's runs share every sampled value, the seed and
so the graph (drawn from its own stream seeded by ``seed``), so differences
between policies are paired.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from omegaconf import DictConfig, OmegaConf, open_dict

from sim.core.config import ConfigError, read_spec
from sim.core.outputs import write_csv, write_json

SAMPLE = "sample.csv"
PROBLEM = "problem.json"
WORLD = "world"
WORLD_KEY = "study.world"
DISTRIBUTIONS = ("unif", "logunif")


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter: its config key, range, distribution and source."""

    key: str
    low: float
    high: float
    dist: str = "unif"
    source: str = "unpinned"

    @property
    def name(self) -> str:
        """The key as an identifier without dots (``market.intensity`` -> ``market_intensity``)."""
        return identifier(self.key)


@dataclass(frozen=True)
class UncertaintySet:
    """A named set of uncertain parameters."""

    name: str
    parameters: tuple[Uncertain, ...]

    def problem(self) -> dict[str, Any]:
        """Return the SALib problem: names, bounds and distributions."""
        return {
            "num_vars": len(self.parameters),
            "names": [p.key for p in self.parameters],
            "bounds": [[p.low, p.high] for p in self.parameters],
            "dists": [p.dist for p in self.parameters],
        }


def identifier(key: str) -> str:
    """Return a config key as a Python identifier (EMA Workbench needs names without dots)."""
    return key.replace(".", "_")


def load_uncertainty(spec: str) -> UncertaintySet:
    """Read an uncertainty set by name (``scenarios/uncertainty/``) or from a YAML path.

    Raises:
        ConfigError: unknown name, missing file, malformed content or a bad range.

    """
    text, name = read_spec(spec, "uncertainty", "uncertainty set")
    try:
        raw = yaml.safe_load(text)
        parameters = tuple(
            Uncertain(
                key,
                float(v["low"]),
                float(v["high"]),
                str(v.get("dist", "unif")),
                str(v.get("source") or "unpinned"),
            )
            for key, v in raw["parameters"].items()
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigError(
            f"uncertainty {name}: malformed ({type(error).__name__}: {error})"
        ) from None
    if len(parameters) < 2:
        raise ConfigError(f"uncertainty {name}: needs at least 2 parameters")
    for p in parameters:
        if not (math.isfinite(p.low) and math.isfinite(p.high) and p.low < p.high):
            raise ConfigError(f"uncertainty {name}: {p.key} needs finite low < high")
        if p.dist not in DISTRIBUTIONS:
            raise ConfigError(f"uncertainty {name}: {p.key}: dist must be one of {DISTRIBUTIONS}")
        if p.dist == "logunif" and p.low <= 0:
            raise ConfigError(f"uncertainty {name}: {p.key}: logunif needs low > 0")
    return UncertaintySet(name, parameters)


def world_count(uncertainty: str, method: str, trajectories: int, base_samples: int) -> int:
    """Return how many worlds a study's sample holds (Morris r (D+1), Sobol N (D+2))."""
    d = len(load_uncertainty(str(uncertainty)).parameters)
    return int(trajectories) * (d + 1) if method == "morris" else int(base_samples) * (d + 2)


def worlds_resolver(uncertainty: str, method: str, trajectories: int, base_samples: int) -> str:
    """OmegaConf resolver ``sim_worlds``: the sweep expression over every world of a study."""
    return f"range({world_count(uncertainty, method, trajectories, base_samples)})"


def register_resolver() -> None:
    """Register ``${sim_worlds:...}`` (idempotent), used by the study files."""
    if not OmegaConf.has_resolver("sim_worlds"):
        OmegaConf.register_new_resolver("sim_worlds", worlds_resolver)


register_resolver()


def draw_sample(study: DictConfig | Any) -> tuple[UncertaintySet, pd.DataFrame]:
    """Draw a study's sample with SALib: one row per world, one column per parameter key."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    uset = load_uncertainty(str(study.uncertainty))
    problem = uset.problem()
    if study.method == "morris":
        values = morris_sample.sample(
            problem,
            int(study.trajectories),
            num_levels=int(study.levels),
            seed=int(study.sample_seed),
        )
    else:
        values = sobol_sample.sample(
            # first-order and total indices only: second-order terms would double the runs
            # (N (2D + 2) instead of N (D + 2)) for indices no report reads
            problem,
            int(study.base_samples),
            calc_second_order=False,
            seed=int(study.sample_seed),
        )
    table = pd.DataFrame(values, columns=problem["names"])
    table.insert(0, WORLD, np.arange(len(table)))
    return uset, table


def study_settings(study: DictConfig | Any) -> dict[str, Any]:
    """Return what fixes a study's sample (written to ``problem.json``)."""
    return {
        key: OmegaConf.to_container(study)[key] if isinstance(study, DictConfig) else study[key]
        for key in (
            "uncertainty",
            "method",
            "trajectories",
            "levels",
            "base_samples",
            "sample_seed",
        )
    }


def check_sample(folder: Path, study: DictConfig) -> pd.DataFrame | None:
    """Return the sample already in ``folder`` if it is this study's (None if there is none).

    Called before launching (a Hydra callback cannot stop a multirun), and when
    the sample is written.

    Raises:
        ConfigError: the folder holds a different study's sample.

    """
    problem_file = folder / PROBLEM
    if not (problem_file.is_file() and (folder / SAMPLE).is_file()):
        return None
    _, table = draw_sample(study)
    earlier = json.loads(problem_file.read_text())
    on_disk = pd.read_csv(folder / SAMPLE)
    same = earlier.get("study") == study_settings(study) and on_disk.shape == table.shape
    if not same or not np.allclose(on_disk.to_numpy(), table.to_numpy(), rtol=1e-9):
        raise ConfigError(
            f"{folder} holds a different study's sample ({earlier.get('study')}); "
            "use another hydra.sweep.dir"
        )
    return on_disk


def write_sample(folder: Path, study: DictConfig) -> pd.DataFrame:
    """Draw the study's sample into ``folder`` once; on resume check it is the same sample.

    Raises:
        ConfigError: the folder holds a different study's sample.

    """
    on_disk = check_sample(folder, study)
    if on_disk is not None:
        return on_disk
    uset, table = draw_sample(study)
    settings = study_settings(study)
    problem_file = folder / PROBLEM
    problem = uset.problem()
    problem["sources"] = [p.source for p in uset.parameters]
    write_json({"study": settings, "problem": problem}, problem_file)
    write_csv(table, folder / SAMPLE)
    return table


def read_sample(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """Return a study folder's ``problem.json`` content and its sample table."""
    if not (folder / SAMPLE).is_file() or not (folder / PROBLEM).is_file():
        raise ConfigError(f"{folder} is not a study folder (no {SAMPLE} and {PROBLEM})")
    return json.loads((folder / PROBLEM).read_text()), pd.read_csv(folder / SAMPLE)


def world_values(table: pd.DataFrame, world: int) -> dict[str, float]:
    """Return the sampled values of ``world`` as ``{key: value}``."""
    rows = table[table[WORLD] == world]
    if rows.empty:
        raise ConfigError(f"study.world={world} is not in the sample ({len(table)} worlds)")
    return {k: float(v) for k, v in rows.iloc[0].drop(WORLD).items()}


def apply_values(cfg: DictConfig, values: dict[str, float]) -> DictConfig:
    """Return ``cfg`` with ``values`` set; ``policy.`` keys only where the policy has them.

    Integer fields get the sampled value rounded (the schema's types are exact).
    """
    out = cfg.copy()
    with open_dict(out):
        for key, value in values.items():
            current = OmegaConf.select(out, key, default=None, throw_on_missing=False)
            if key.startswith("policy.") and current is None:
                continue  # another policy's lever: not part of this run
            if isinstance(current, bool):
                raise ConfigError(f"{key} is a switch and cannot be sampled")
            OmegaConf.update(out, key, round(value) if isinstance(current, int) else value)
    return out


def apply_world(cfg: DictConfig, sweep_dir: Path) -> DictConfig:
    """Return a study job's config with its world's sampled values set (else ``cfg``)."""
    world = OmegaConf.select(cfg, WORLD_KEY, default=None)
    if world is None:
        return cfg
    _, table = read_sample(sweep_dir)
    return apply_values(cfg, world_values(table, int(world)))


def is_study(multirun: DictConfig) -> bool:
    """Whether a multirun config (``multirun.yaml``) is an uncertainty study."""
    params = OmegaConf.select(multirun, "hydra.sweeper.params", default=None) or {}
    return WORLD_KEY in params
