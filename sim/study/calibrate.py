"""Calibration as a command: fit declared free parameters to declared targets with Optuna.

``python -m sim.calibrate [--config NAME|PATH] [--trials N] [--seeds K] [key=value ...]``

A calibration file (``scenarios/calibration/<name>.yaml``, or any YAML path)
declares the overrides every trial runs with (``base``), the free parameters
with their ranges and why each is free, and the targets with their bands and
sources. Each trial runs the model on ``seeds`` seeds and scores the seed
means: the loss is the sum over targets of ``((mean - centre) / half band)^2``,
so a fit inside every band has every term below 1. Optuna's TPE sampler (a
maintained library, not a hand-written search) proposes the values; its
journal file is the study's storage, so running the command again goes on
where it stopped (``--trials`` is the total wanted).

Writes into ``results/calibration/<name>/``: ``trials.csv`` (every trial, its
values, per-target means and spreads, loss), ``best_seeds.csv`` (the best
trial per seed), ``fit.png`` (fit against target bands), ``report.md``, and
``calibrated/<name>.yaml``, the fitted values as a config file to run with
``python -m sim --config-dir results/calibration/<name> +calibrated=<name>``.
``--families`` also runs the best values on the other built-in graph
families at the same size and degree and reports them against the bands.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import yaml
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from sim.core.config import ConfigError, read_spec
from sim.core.outputs import write_atomically, write_csv
from sim.figures.plotting import calibration_figure, save_figure
from sim.run.pool import processes
from sim.run.runner import compose_config, explain, simulate, to_sim_config
from sim.run.safety import output_folder
from sim.study.search import completed, open_study

FAMILIES = ("holme_kim", "barabasi_albert", "watts_strogatz", "erdos_renyi")


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the calibration may move, with its range and why no source pins it."""

    key: str
    low: float
    high: float
    log: bool = False
    why: str = ""


@dataclass(frozen=True)
class Target:
    """A pattern to reproduce: a band on a run metric and where the band comes from."""

    metric: str
    low: float
    high: float
    source: str = ""

    @property
    def centre(self) -> float:
        """Middle of the band."""
        return (self.low + self.high) / 2.0

    def term(self, value: float) -> float:
        """Squared distance from the centre in half bands (< 1 inside the band)."""
        if value is None or not math.isfinite(value):
            return 100.0
        return ((value - self.centre) / ((self.high - self.low) / 2.0)) ** 2

    def inside(self, value: float) -> bool:
        """Whether ``value`` lies in the band."""
        return value is not None and self.low <= value <= self.high


@dataclass(frozen=True)
class Calibration:
    """A whole calibration: base overrides, free parameters, targets, seeds and trials.

    ``settings``: each trial runs every setting (extra overrides, e.g. graph
    sizes) on every seed, and its loss sums the targets' terms over settings,
    so the fit must hold in each of them, not on average.
    """

    name: str
    base: tuple[str, ...]
    free: tuple[FreeParameter, ...]
    targets: tuple[Target, ...]
    seeds: int
    trials: int
    settings: tuple[tuple[str, ...], ...] = ((),)


def setting_label(setting: Sequence[str]) -> str:
    """Name a setting by its overrides (``default`` for none)."""
    return " ".join(setting) or "default"


METRICS = ("acted_share", "left_share", "mutes_per_unfriend", "unfriends_cum", "mutes_cum")


def load_calibration(spec: str) -> Calibration:
    """Read a calibration by name (``scenarios/calibration/``) or from a YAML path."""
    text, name = read_spec(spec, "calibration", "calibration")
    try:
        raw = yaml.safe_load(text)
        free = tuple(
            FreeParameter(
                key, float(v["low"]), float(v["high"]), bool(v.get("log")), v.get("why", "")
            )
            for key, v in raw["free"].items()
        )
        targets = tuple(
            Target(key, float(v["low"]), float(v["high"]), v.get("source", ""))
            for key, v in raw["targets"].items()
        )
        settings = tuple(tuple(str(o) for o in (item or [])) for item in raw.get("settings", [[]]))
        calibration = Calibration(
            name,
            tuple(raw.get("base", [])),
            free,
            targets,
            int(raw["seeds"]),
            int(raw["trials"]),
            settings or ((),),
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigError(
            f"calibration {name}: malformed ({type(error).__name__}: {error})"
        ) from None
    for target in calibration.targets:
        if target.metric not in METRICS:
            raise ConfigError(f"calibration {name}: unknown target '{target.metric}'")
    for parameter in calibration.free:
        if not parameter.low < parameter.high:
            raise ConfigError(f"calibration {name}: {parameter.key} needs low < high")
    return calibration


CALIBRATED_USERS = (2_000, 20_000)  # the sizes the default calibration fits (default.yaml)
CALIBRATED_DAYS = 365


def setting_check(
    laissez_faire: pd.DataFrame, steps: int, n_users: int, what: str = "this setting"
) -> tuple[bool, str]:
    """Say whether a setting is calibrated: its laissez-faire runs against the survey bands.

    ``laissez_faire`` has a row per laissez-faire run with ``acted_share``,
    ``left_share`` and ``mutes_per_unfriend`` (the final values). The defaults
    are fitted over a year at 2,000-20,000 users (ODD 8); another horizon or
    size, or a mean outside a band, makes the setting uncalibrated.

    Returns:
        Whether it is calibrated, and one sentence saying so (with the reasons).

    """
    targets = load_calibration("default").targets
    problems, shown = [], []
    for target in targets:
        if target.metric not in laissez_faire:
            continue
        value = float(pd.to_numeric(laissez_faire[target.metric], errors="coerce").mean())
        inside = target.inside(value)
        shown.append(f"{target.metric} {value:.3g} (band {target.low:g}-{target.high:g})")
        if not inside:
            problems.append(
                f"{target.metric} {value:.3g} is outside {target.low:g}-{target.high:g}"
            )
    if steps != CALIBRATED_DAYS:
        problems.append(f"it runs {steps} days, not the calibrated {CALIBRATED_DAYS}")
    low, high = CALIBRATED_USERS
    if not low <= n_users <= high:
        problems.append(f"it has {n_users:,} users, outside the calibrated {low:,}-{high:,}")
    if problems:
        return False, (
            f"**Warning: {what} is not calibrated**: " + "; ".join(problems) + ". Its numbers "
            "are the model's answer for this setting, not for the survey-calibrated one."
        )
    return True, (
        f"{what.capitalize()} is calibrated: laissez-faire's runs are inside every survey band "
        f"({'; '.join(shown)}), over {steps} days at {n_users:,} users."
    )


def run_metrics(overrides: Sequence[str]) -> dict[str, float]:
    """Run one configuration and return the calibration metrics of its final day."""
    summary = simulate(compose_config(list(overrides)), progress=False).summary
    final = summary["final"]
    ratio = summary["mutes_per_unfriend"]
    return {
        "acted_share": final["acted_share"],
        "left_share": final["left_share"],
        "mutes_per_unfriend": float("nan") if ratio is None else ratio,
        "unfriends_cum": final["unfriends_cum"],
        "mutes_cum": final["mutes_cum"],
    }


def seed_metrics(
    overrides: Sequence[str],
    seeds: int,
    pool: Executor | None,
    settings: Sequence[Sequence[str]] = ((),),
) -> pd.DataFrame:
    """Run ``overrides`` in every setting on seeds 0..seeds-1 (in parallel when given a pool).

    One row per setting and seed; the ``setting`` column names the setting.
    """
    cases = [(setting, seed) for setting in settings for seed in range(seeds)]
    jobs = [[*overrides, *setting, f"seed={seed}"] for setting, seed in cases]
    rows = list(pool.map(run_metrics, jobs)) if pool else [run_metrics(job) for job in jobs]
    table = pd.DataFrame(rows)
    table.insert(0, "seed", [seed for _, seed in cases])
    table.insert(0, "setting", [setting_label(setting) for setting, _ in cases])
    return table


def score(calibration: Calibration, table: pd.DataFrame) -> tuple[float, dict[str, float]]:
    """Return the loss of seed means against the targets, summed over settings, and the means.

    The means are over every setting and seed (for the progress line); the
    loss holds each setting to the bands.
    """
    loss = 0.0
    for _, group in table.groupby("setting", sort=False):
        means = {metric: float(group[metric].mean()) for metric in METRICS}
        loss += sum(t.term(means[t.metric]) for t in calibration.targets)
    return loss, {metric: float(table[metric].mean()) for metric in METRICS}


def overrides_for(calibration: Calibration, values: dict[str, float]) -> list[str]:
    """Return the overrides of a trial: the base, then the trial's values of the free parameters."""
    return [*calibration.base, *(f"{key}={value:.6g}" for key, value in values.items())]


def calibrate(
    calibration: Calibration,
    out: Path,
    extra: Sequence[str] = (),
    jobs: int = 2,
    families: bool = False,
) -> pd.DataFrame:
    """Run (or resume) the study and write its files; return the table of trials."""
    out.mkdir(parents=True, exist_ok=True)
    fixed = {
        "free": [[p.key, p.low, p.high, p.log] for p in calibration.free],
        "targets": [[t.metric, t.low, t.high] for t in calibration.targets],
        "seeds": calibration.seeds,
        "settings": [list(setting) for setting in calibration.settings],
        "base": [*calibration.base, *extra],
    }
    study = open_study(
        out / "study.log", calibration.name, fixed, optuna.samplers.TPESampler(seed=0)
    )
    done = completed(study)
    base = [*calibration.base, *extra]
    calibration = Calibration(
        calibration.name,
        tuple(base),
        calibration.free,
        calibration.targets,
        calibration.seeds,
        calibration.trials,
        calibration.settings,
    )
    with processes(jobs) as pool:
        for number in range(done, calibration.trials):
            trial = study.ask()
            values = {
                p.key: trial.suggest_float(p.key, p.low, p.high, log=p.log)
                for p in calibration.free
            }
            table = seed_metrics(
                overrides_for(calibration, values), calibration.seeds, pool, calibration.settings
            )
            loss, means = score(calibration, table)
            for metric, value in means.items():
                trial.set_user_attr(metric, value)
                trial.set_user_attr(f"{metric}_sd", float(table[metric].std(ddof=1)))
            study.tell(trial, loss)
            best = study.best_value
            shown = ", ".join(f"{t.metric} {means[t.metric]:.3g}" for t in calibration.targets)
            print(
                f"trial {number + 1}/{calibration.trials}: loss {loss:.3f} ({shown}); "
                f"best {best:.3f}",
                file=sys.stderr,
                flush=True,
            )
        trials = trials_table(study)
        best_values = dict(study.best_params)
        best_table = seed_metrics(
            overrides_for(calibration, best_values), calibration.seeds, pool, calibration.settings
        )
        family_table = family_check(calibration, best_values, pool) if families else None
    write_outputs(calibration, out, trials, best_values, best_table, family_table)
    return trials


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """Every finished trial: number, values of the free parameters, metrics, loss."""
    rows = []
    for trial in study.trials:
        if trial.state != optuna.trial.TrialState.COMPLETE:
            continue
        rows.append(
            {"trial": trial.number, **trial.params, **trial.user_attrs, "loss": trial.value}
        )
    return pd.DataFrame(rows)


def fitted_family(calibration: Calibration) -> str:
    """Return the graph family the calibration fits on (from its base overrides)."""
    return str(compose_config(list(calibration.base)).graph.kind)


def family_check(
    calibration: Calibration, values: dict[str, float], pool: Executor | None
) -> pd.DataFrame:
    """Run the fitted values on the other built-in generated graph families, seed by seed.

    In every setting of the calibration (each size), as the fit itself ran.
    """
    frames = []
    fitted = fitted_family(calibration)
    for family in (f for f in FAMILIES if f != fitted):
        table = seed_metrics(
            [*overrides_for(calibration, values), f"graph={family}"],
            calibration.seeds,
            pool,
            calibration.settings,
        )
        table.insert(0, "graph", family)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def fitted_config(calibration: Calibration, values: dict[str, float]) -> str:
    """Return the fitted values as a Hydra config file (``# @package _global_``)."""
    nested: dict[str, Any] = {}
    for key, value in values.items():
        group, name = key.split(".", 1)
        nested.setdefault(group, {})[name] = float(f"{value:.4g}")
    header = (
        f"# @package _global_\n# Fitted by python -m sim.calibrate --config {calibration.name}.\n"
    )
    return header + yaml.safe_dump(nested, sort_keys=True)


def write_outputs(
    calibration: Calibration,
    out: Path,
    trials: pd.DataFrame,
    values: dict[str, float],
    best: pd.DataFrame,
    families: pd.DataFrame | None,
) -> None:
    """Write the trials, the best fit per seed, the figure, the report and the config."""
    write_csv(trials, out / "trials.csv")
    write_csv(best, out / "best_seeds.csv")
    if families is not None:
        write_csv(families, out / "families.csv")
    label = f"{fitted_family(calibration)} (fitted)"
    save_figure(calibration_figure(calibration.targets, best, families, label), out / "fit.png")
    text = fitted_config(calibration, values)
    write_atomically(out / "calibrated" / f"{calibration.name}.yaml", lambda f: f.write(text))
    report = report_text(calibration, trials, values, best, families)
    write_atomically(out / "report.md", lambda f: f.write(report))


def report_text(
    calibration: Calibration,
    trials: pd.DataFrame,
    values: dict[str, float],
    best: pd.DataFrame,
    families: pd.DataFrame | None,
) -> str:
    """Return the calibration report in Markdown: fit against bands, values, per seed, families."""
    loss, _ = score(calibration, best)
    lines = [
        f"# Calibration `{calibration.name}`",
        "",
        f"{len(trials)} trials of {calibration.seeds} seeds in each of "
        f"{len(calibration.settings)} setting(s); base: "
        f"`{' '.join(calibration.base)}`. Best loss {loss:.3f} "
        "(sum over settings and targets of squared distances from band centres in half "
        "bands; < 1 per target inside).",
        "",
        "## Fit against the targets (best values, mean of seeds, each setting)",
        "",
        "| setting | target | band | fitted mean | sd over seeds | inside | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for setting, group in best.groupby("setting", sort=False):
        for t in calibration.targets:
            mean, sd = float(group[t.metric].mean()), float(group[t.metric].std(ddof=1))
            lines.append(
                f"| {setting} | {t.metric} | {t.low:g}-{t.high:g} | {mean:.3f} | {sd:.3f} | "
                f"{'yes' if t.inside(mean) else '**no**'} | {t.source} |"
            )
    lines += [
        "",
        "## Fitted values",
        "",
        "| parameter | range searched | fitted | why it is free |",
        "|---|---|---|---|",
    ]
    for p in calibration.free:
        lines.append(f"| `{p.key}` | {p.low:g}-{p.high:g} | {values[p.key]:.4g} | {p.why} |")
    lines += ["", "## Per seed (best values)", "", _markdown(best), ""]
    if families is not None:
        lines += [
            f"## Other graph families (fitted on {fitted_family(calibration)}; "
            "same size, degree and values)",
            "",
            "A band missed on a family is a finding, not something to hide.",
            "",
            "| graph | setting | " + " | ".join(t.metric for t in calibration.targets) + " |",
            "|---|---|" + "---|" * len(calibration.targets),
        ]
        for (family, setting), group in families.groupby(["graph", "setting"], sort=False):
            cells = []
            for t in calibration.targets:
                value = float(group[t.metric].mean())
                cells.append(f"{value:.3f}" + ("" if t.inside(value) else " (outside)"))
            lines.append(f"| {family} | {setting} | " + " | ".join(cells) + " |")
        lines += ["", "Per seed: `families.csv`.", ""]
    lines += ["![fit](fit.png)", ""]
    return "\n".join(lines)


def _markdown(table: pd.DataFrame) -> str:
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = [
        "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in table.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run ``sim calibrate`` with its parsed arguments; return the exit status."""
    try:
        calibration = load_calibration(args.config)
        if args.trials is not None or args.seeds is not None:
            calibration = Calibration(
                calibration.name,
                calibration.base,
                calibration.free,
                calibration.targets,
                args.seeds if args.seeds is not None else calibration.seeds,
                args.trials if args.trials is not None else calibration.trials,
            )
        if calibration.seeds < 2 or calibration.trials < 1 or args.jobs < 1:
            raise ConfigError("--seeds must be >= 2, --trials and --jobs >= 1")
        # Check the base and the extra overrides once, before any trial starts.
        to_sim_config(compose_config([*calibration.base, *args.overrides]))
        out = output_folder(args.out or Path("results") / "calibration" / calibration.name, "--out")
        calibrate(calibration, out, args.overrides, args.jobs, args.families)
    except (ConfigError, HydraException, OmegaConfBaseException, OSError) as error:
        print(f"sim calibrate: error: {explain(error)}", file=sys.stderr)
        return 2
    print(f"calibration written to {out}")
    return 0
