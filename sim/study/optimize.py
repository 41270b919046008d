"""The win-win frontier: a search over a policy's levers, net GMV against user experience.

``python -m sim.optimize [--config NAME|PATH] [--trials N] [--jobs 2] [--out DIR] [key=value ...]``

A frontier file (``scenarios/frontier/<name>.yaml``, or any YAML path) names
the policy, the overrides every trial runs with (``base``), the seeds and the
levers with their ranges. Each trial runs the policy with the trial's lever
values on seeds 0..seeds-1, the same seeds for every trial and for the default
policies (common random numbers), and scores two objectives, both maximised:
GMV net of disappointment per user (yuan; gross GMV is kept beside it) and user
experience (mean engagement), averaged over the seeds. Optuna proposes the
values (a maintained library) with a sampler sized to the budget
(``sampler_for``: multi-objective TPE below 200 trials, NSGA-II with a real
population above); trials run two at a time (``--jobs``) in a process pool;
the study lives in a journal file, so running the command again goes on where
it stopped (``--trials`` is the total wanted).

**Win-win means better on both, beyond noise.** Every design is compared with
laissez-faire seed by seed (same seeds, same graphs): it is a win-win only when
the 95% t-intervals of its paired differences on both objectives lie above
zero. A design equal to laissez-faire, or different within noise, is reported
as a tie and never saved as a win-win.

Writes into ``results/frontier/<name>/``: ``trials.csv``, ``seeds.csv`` (every
trial's per-seed objectives), ``pareto.csv``, ``defaults.csv`` and
``defaults_seeds.csv`` (the four default policies on the same seeds),
``versus_laissez_faire.csv`` (paired differences and verdicts of the front and
the defaults), ``hypervolume.csv`` and ``hypervolume.png``, ``frontier.png``, ``report.md``, and the
best designs as scenario files in
``results/scenarios/scenario/frontier_<name>_<k>.yaml``, which the main config's
search path finds: ``python -m sim scenario=frontier_<name>_1`` from the same
folder. Nothing is written into the installed package.
"""

from __future__ import annotations

import argparse
import math
import shutil
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
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

from sim.core.config import POLICY_CONFIGS, ConfigError, baseline_policy, policy_names, read_spec
from sim.core.outcomes import fmt, mean_and_interval
from sim.core.outputs import write_atomically, write_csv
from sim.figures import use_file_backend
from sim.figures.plotting import save_figure
from sim.figures.study import frontier_figure, hypervolume_figure, readable
from sim.run.pool import processes
from sim.run.runner import compose_config, explain, simulate, to_sim_config
from sim.run.safety import output_folder
from sim.study.calibrate import setting_check
from sim.study.search import completed, open_study

USER_SCENARIOS = Path("results/scenarios/scenario")
DEFAULT_POLICIES = policy_names()  # every registered policy at its defaults, the baseline first
BASELINE = baseline_policy()


@dataclass(frozen=True)
class Lever:
    """A policy lever the search may move, with its range."""

    key: str
    low: float
    high: float
    integer: bool = False
    log: bool = False


@dataclass(frozen=True)
class Frontier:
    """A frontier search: the policy, base overrides, seeds, trials and levers."""

    name: str
    policy: str
    base: tuple[str, ...]
    seeds: int
    trials: int
    levers: tuple[Lever, ...]


def load_frontier(spec: str) -> Frontier:
    """Read a frontier file by name (``scenarios/frontier/``) or from a YAML path.

    Raises:
        ConfigError: unknown name, missing file, malformed content or a bad range.

    """
    text, name = read_spec(spec, "frontier", "frontier")
    try:
        raw = yaml.safe_load(text)
        levers = tuple(
            Lever(
                key,
                float(v["low"]),
                float(v["high"]),
                bool(v.get("int", False)),
                bool(v.get("log", False)),
            )
            for key, v in raw["levers"].items()
        )
        frontier = Frontier(
            name,
            str(raw["policy"]),
            tuple(raw.get("base", [])),
            int(raw["seeds"]),
            int(raw["trials"]),
            levers,
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigError(f"frontier {name}: malformed ({type(error).__name__}: {error})") from None
    if frontier.policy not in POLICY_CONFIGS:
        raise ConfigError(f"frontier {name}: unknown policy '{frontier.policy}'")
    if frontier.seeds < 1 or frontier.trials < 1 or not levers:
        raise ConfigError(f"frontier {name}: needs seeds >= 1, trials >= 1 and a lever")
    for lever in levers:
        if not (math.isfinite(lever.low) and math.isfinite(lever.high) and lever.low < lever.high):
            raise ConfigError(f"frontier {name}: {lever.key} needs finite low < high")
    return frontier


def run_objectives(overrides: Sequence[str]) -> dict[str, float]:
    """Run one configuration: net GMV per user (the objective), gross GMV and user experience."""
    summary = simulate(compose_config(list(overrides)), progress=False).summary
    users = summary["graph"]["n_users"]
    ratio = summary["mutes_per_unfriend"]
    return {
        "gmv": summary["final"]["gmv_net_cum"] / users,
        "gmv_gross": summary["final"]["gmv_cum"] / users,
        "ux": float(summary["final"]["ux"]),
        # what says whether the setting is calibrated (laissez-faire's, in the report)
        "acted_share": float(summary["final"]["acted_share"]),
        "left_share": float(summary["final"]["left_share"]),
        "mutes_per_unfriend": float("nan") if ratio is None else float(ratio),
    }


def _value(lever: Lever, value: float) -> str:
    return f"{lever.key}={int(value)}" if lever.integer else f"{lever.key}={value:.6g}"


def trial_overrides(frontier: Frontier, base: Sequence[str], values: dict[str, float]) -> list[str]:
    """Return a trial's overrides: the policy, the base, then the lever values."""
    levers = {lever.key: lever for lever in frontier.levers}
    return [
        f"scenario={frontier.policy}",
        *base,
        *(_value(levers[k], v) for k, v in values.items()),
    ]


OBJECTIVES = ("gmv", "ux")  # net GMV per user and user experience, both maximised


def evaluate(jobs: list[list[str]], seeds: int, pool: Executor | None) -> list[dict[str, Any]]:
    """Run each override list on seeds 0..seeds-1; return seed means and per-seed values.

    Per job: ``gmv``, ``gmv_gross``, ``ux`` (means), their standard deviations,
    and ``gmv_seeds`` / ``ux_seeds`` (one value per seed, for paired comparisons).
    """
    runs = [[*job, f"seed={seed}"] for job in jobs for seed in range(seeds)]
    results = list(pool.map(run_objectives, runs)) if pool else [run_objectives(r) for r in runs]
    means = []
    for k in range(len(jobs)):
        part = pd.DataFrame(results[k * seeds : (k + 1) * seeds])
        means.append(
            {
                "gmv": float(part["gmv"].mean()),
                "gmv_gross": float(part["gmv_gross"].mean()),
                "ux": float(part["ux"].mean()),
                "acted_share": float(part["acted_share"].mean()),
                "left_share": float(part["left_share"].mean()),
                "mutes_per_unfriend": float(part["mutes_per_unfriend"].mean()),
                "gmv_sd": float(part["gmv"].std(ddof=1)) if seeds > 1 else float("nan"),
                "ux_sd": float(part["ux"].std(ddof=1)) if seeds > 1 else float("nan"),
                "gmv_seeds": [float(x) for x in part["gmv"]],
                "ux_seeds": [float(x) for x in part["ux"]],
            }
        )
    return means


NSGA_FROM = 200
"""Trials from which NSGA-II is used: Optuna's guidance puts NSGA-II at 100-10,000
trials and multi-objective TPE ahead of it on small budgets."""


def sampler_for(trials: int, jobs: int) -> optuna.samplers.BaseSampler:
    """Return a sampler sized to the budget: multi-objective TPE, or NSGA-II above ``NSGA_FROM``.

    NSGA-II gets a population of a tenth of the budget (at least 20), so the
    search runs ten generations; a population of 4 over 40 trials (the old
    setting) was ten generations of a population too small to be one.
    """
    if trials >= NSGA_FROM:
        return optuna.samplers.NSGAIISampler(seed=0, population_size=max(20, trials // 10))
    return optuna.samplers.TPESampler(seed=0, n_startup_trials=max(2 * jobs, min(10, trials // 4)))


def sampler_name(sampler: optuna.samplers.BaseSampler) -> str:
    """Describe a sampler for the report."""
    if isinstance(sampler, optuna.samplers.NSGAIISampler):
        return f"NSGA-II (population {sampler._population_size})"
    return "multi-objective TPE"


def validate(frontier: Frontier, base: Sequence[str]) -> None:
    """Compose the policy with every lever at both ends of its range, or raise ``ConfigError``."""
    try:
        for end in ("low", "high"):
            values = {lever.key: getattr(lever, end) for lever in frontier.levers}
            to_sim_config(compose_config(trial_overrides(frontier, base, values)))
        for policy in DEFAULT_POLICIES:
            to_sim_config(compose_config([f"scenario={policy}", *shared(base)]))
    except (HydraException, OmegaConfBaseException) as error:
        raise ConfigError(explain(error)) from None


def optimize(
    frontier: Frontier,
    out: Path,
    extra: Sequence[str] = (),
    jobs: int = 2,
    slurm: SlurmSettings | None = None,
) -> dict[str, pd.DataFrame]:
    """Run (or resume) the search and write its files; return the trials, front and defaults.

    ``jobs`` trials at a time in a local process pool, or, with ``slurm``, the
    trials spread over SLURM array tasks that share the study's journal file
    (``run_on_slurm``).
    """
    base = [*frontier.base, *extra]
    validate(frontier, base)
    out.mkdir(parents=True, exist_ok=True)
    study = open_frontier(frontier, out, base, sampler_for(frontier.trials, jobs))
    if slurm is not None:
        run_on_slurm(frontier, out, base, slurm)
        study = open_frontier(frontier, out, base, sampler_for(frontier.trials, jobs))
    done = completed(study)
    with processes(jobs) as pool:
        while done < frontier.trials:
            batch = [study.ask() for _ in range(min(jobs, frontier.trials - done))]
            overrides = [trial_overrides(frontier, base, suggest(frontier, t)) for t in batch]
            for trial, result in zip(batch, evaluate(overrides, frontier.seeds, pool), strict=True):
                tell(study, trial, result)
                done += 1
                print(
                    f"trial {done}/{frontier.trials}: GMV {fmt(result['gmv'], 1)} yuan per user, "
                    f"UX {fmt(result['ux'], 3)}",
                    file=sys.stderr,
                    flush=True,
                )
        defaults = default_policies(frontier, base, out, pool)
    trials, seeds = trials_table(study)
    front = trials[trials["pareto"]].sort_values("gmv", ignore_index=True)
    versus = versus_laissez_faire(front, seeds, defaults)
    designs = best_designs(front, versus)
    written = write_designs(frontier, designs)
    sampler = sampler_name(sampler_for(frontier.trials, jobs))
    if slurm is not None:
        sampler += f", over {slurm.tasks} SLURM array tasks sharing the journal"
    search = {"sampler": sampler, "base": " ".join(base), "calibrated": calibrated(base, defaults)}
    write_outputs(frontier, out, trials, seeds, front, defaults, versus, designs, written, search)
    return {
        "trials": trials,
        "pareto": front,
        "defaults": defaults,
        "versus": versus,
        "designs": designs,
    }


def calibrated(base: Sequence[str], defaults: pd.DataFrame) -> str:
    """Say whether the search's setting is calibrated (laissez-faire on the same seeds)."""
    config = to_sim_config(compose_config(shared(base)))
    baseline = defaults[defaults["policy"] == BASELINE]
    users = config.graph.n_users
    return setting_check(baseline, config.steps, users, "this search's setting")[1]


def open_frontier(
    frontier: Frontier,
    out: Path,
    base: Sequence[str],
    sampler: optuna.samplers.BaseSampler,
    fail_running: bool = True,
) -> optuna.Study:
    """Open (or create) the search's study in ``out/study.journal`` (``sim.study.search``).

    Every process that opens the journal (a resumed command, the array tasks of
    ``run_on_slurm``) sees the same trials; a journal of a search with another
    policy, seeds or base is refused (ConfigError). An array task opens it with
    ``fail_running=False``: the trials running then are its siblings'.
    """
    fixed = {"policy": frontier.policy, "seeds": frontier.seeds, "base": list(base)}
    return open_study(
        out / "study.journal",
        frontier.name,
        fixed,
        sampler,
        directions=("maximize", "maximize"),
        fail_running=fail_running,
    )


def suggest(frontier: Frontier, trial: optuna.Trial) -> dict[str, float]:
    """Return the trial's values of the frontier's levers (Optuna suggests them)."""
    return {
        lever.key: (
            trial.suggest_int(lever.key, int(lever.low), int(lever.high))
            if lever.integer
            else trial.suggest_float(lever.key, lever.low, lever.high, log=lever.log)
        )
        for lever in frontier.levers
    }


def tell(study: optuna.Study, trial: optuna.Trial, result: dict[str, Any]) -> None:
    """Record a trial's per-seed values and spreads, then its two objectives."""
    for key in ("gmv_gross", "gmv_sd", "ux_sd", "gmv_seeds", "ux_seeds"):
        trial.set_user_attr(key, result[key])
    study.tell(trial, [result["gmv"], result["ux"]])


@dataclass(frozen=True)
class SlurmSettings:
    """Where and how the search's array tasks run (``--slurm-tasks`` and friends)."""

    tasks: int
    partition: str | None = None
    account: str | None = None
    timeout_min: int = 60
    mem_gb: float = 2.0


def run_on_slurm(frontier: Frontier, out: Path, base: Sequence[str], slurm: SlurmSettings) -> None:
    """Spread the missing trials over ``slurm.tasks`` SLURM array tasks and wait for them.

    Each task opens the same journal file and runs Optuna's own loop
    (``study.optimize``) until the study holds ``frontier.trials`` finished or
    running trials (``MaxTrialsCallback``): Optuna's documented way of running
    one study from many processes. Each task samples with its own seed and a
    constant liar, so tasks that ask at once do not propose the same design.

    Raises:
        ConfigError: a task failed (its error, and where submitit keeps its log).

    """
    import submitit

    executor = submitit.AutoExecutor(folder=out / ".submitit" / "%j", cluster="slurm")
    params: dict[str, Any] = {
        "timeout_min": slurm.timeout_min,
        "mem_gb": slurm.mem_gb,
        "cpus_per_task": 1,
        "slurm_array_parallelism": slurm.tasks,
        "name": f"frontier-{frontier.name}",
    }
    if slurm.partition:
        params["slurm_partition"] = slurm.partition
    if slurm.account:
        params["slurm_account"] = slurm.account
    executor.update_parameters(**params)
    tasks = executor.map_array(
        search_task,
        [frontier] * slurm.tasks,
        [str(out)] * slurm.tasks,
        [list(base)] * slurm.tasks,
        range(slurm.tasks),
    )
    array = tasks[0].job_id.split("_")[0]
    print(f"sim optimize: {slurm.tasks} SLURM array tasks submitted ({array})", file=sys.stderr)
    for task in tasks:
        try:
            task.result()
        except Exception as error:  # submitit re-raises the task's error, or says it died
            first = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            raise ConfigError(f"SLURM task {task.job_id} failed: {first}") from None


def search_task(frontier: Frontier, out: str, base: list[str], index: int) -> int:
    """One SLURM array task of a search: evaluate designs until the study is full.

    Returns how many trials this task evaluated.
    """
    sampler = sampler_for(frontier.trials, 1)
    if isinstance(sampler, optuna.samplers.TPESampler):
        sampler = optuna.samplers.TPESampler(seed=index, constant_liar=True)
    study = open_frontier(frontier, Path(out), base, sampler, fail_running=False)
    evaluated = 0

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        nonlocal evaluated
        result = evaluate(
            [trial_overrides(frontier, base, suggest(frontier, trial))], frontier.seeds, None
        )[0]
        for key in ("gmv_gross", "gmv_sd", "ux_sd", "gmv_seeds", "ux_seeds"):
            trial.set_user_attr(key, result[key])
        trial.set_user_attr("worker", f"slurm task {index}")
        evaluated += 1
        return result["gmv"], result["ux"]

    full = MaxTrialsCallback(frontier.trials, states=(TrialState.COMPLETE, TrialState.RUNNING))
    if (
        sum(t.state in (TrialState.COMPLETE, TrialState.RUNNING) for t in study.trials)
        < frontier.trials
    ):
        study.optimize(objective, callbacks=[full])
    return evaluated


def shared(base: Sequence[str]) -> list[str]:
    """Return the base overrides the default policies run with: all but the policy's own.

    A frontier may fix some of its policy's levers in ``base`` (``policy.*``);
    the defaults it is compared with stay the defaults.
    """
    return [o for o in base if not o.lstrip("+").startswith("policy.")]


def default_policies(
    frontier: Frontier, base: Sequence[str], out: Path, pool: Executor | None
) -> pd.DataFrame:
    """Return the four default policies on the same seeds (read back if already run).

    One row per policy with the seed means, and ``gmv_seeds`` / ``ux_seeds``
    lists (stored in ``defaults_seeds.csv``, one row per policy and seed).
    """
    path, per_seed = out / "defaults.csv", out / "defaults_seeds.csv"
    if path.is_file() and per_seed.is_file():
        table, seeds = pd.read_csv(path), pd.read_csv(per_seed)
        if set(table["policy"]) == set(DEFAULT_POLICIES) and "acted_share" in table:
            for objective in OBJECTIVES:
                table[f"{objective}_seeds"] = [
                    seeds[seeds["policy"] == p].sort_values("seed")[objective].tolist()
                    for p in table["policy"]
                ]
            return table
    jobs = [[f"scenario={p}", *shared(base)] for p in DEFAULT_POLICIES]
    results = evaluate(jobs, frontier.seeds, pool)
    table = pd.DataFrame(results)
    table.insert(0, "policy", DEFAULT_POLICIES)
    write_csv(table.drop(columns=["gmv_seeds", "ux_seeds"]), path)
    write_csv(_per_seed(table, "policy"), per_seed)
    return table


def _per_seed(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per ``key`` and seed from the ``*_seeds`` lists of ``table``."""
    rows = [
        {key: row[key], "seed": seed, "gmv": gmv, "ux": ux}
        for row in table.to_dict("records")
        for seed, (gmv, ux) in enumerate(zip(row["gmv_seeds"], row["ux_seeds"], strict=True))
    ]
    return pd.DataFrame(rows)


def trials_table(study: optuna.Study) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return every finished trial (levers, objectives, on the front) and its per-seed values."""
    front = {t.number for t in study.best_trials}
    rows = []
    for trial in study.trials:
        if trial.state != optuna.trial.TrialState.COMPLETE:
            continue
        rows.append(
            {
                "trial": trial.number,
                **trial.params,
                "gmv": trial.values[0],
                "ux": trial.values[1],
                **trial.user_attrs,
                "pareto": trial.number in front,
            }
        )
    table = pd.DataFrame(rows)
    seeds = _per_seed(table, "trial")
    return table.drop(columns=["gmv_seeds", "ux_seeds"]), seeds


def paired_difference(values: Sequence[float], baseline: Sequence[float]) -> dict[str, Any]:
    """Mean paired difference ``values - baseline`` over seeds, its 95% t-interval and verdict.

    ``better`` / ``worse``: the interval lies above / below zero; ``identical``:
    every seed's difference is exactly zero (the same runs); otherwise
    ``within noise`` (the interval holds zero: a tie at this number of seeds).
    """
    diff = pd.Series(values, dtype=float) - pd.Series(baseline, dtype=float)
    mean, half = mean_and_interval(diff)
    if (diff == 0).all():
        verdict = "identical"
    elif math.isfinite(half) and mean - half > 0:
        verdict = "better"
    elif math.isfinite(half) and mean + half < 0:
        verdict = "worse"
    else:
        verdict = "within noise"
    return {"mean": mean, "low": mean - half, "high": mean + half, "verdict": verdict}


def versus_laissez_faire(
    front: pd.DataFrame, seeds: pd.DataFrame, defaults: pd.DataFrame
) -> pd.DataFrame:
    """Paired differences from laissez-faire of every front design and every default policy."""
    lf = defaults.set_index("policy").loc[BASELINE]
    rows = []
    candidates = [
        (f"trial {int(t)}", int(t), seeds[seeds["trial"] == t].sort_values("seed"))
        for t in front["trial"]
    ]
    for label, trial, part in candidates:
        rows.append(_versus(label, trial, part["gmv"].tolist(), part["ux"].tolist(), lf))
    for row in defaults.to_dict("records"):
        if row["policy"] != BASELINE:
            rows.append(_versus(row["policy"], None, row["gmv_seeds"], row["ux_seeds"], lf))
    return pd.DataFrame(rows)


def _versus(
    label: str, trial: int | None, gmv: list[float], ux: list[float], lf: pd.Series
) -> dict[str, Any]:
    row: dict[str, Any] = {"candidate": label, "trial": trial}
    for objective, values in (("gmv", gmv), ("ux", ux)):
        diff = paired_difference(values, lf[f"{objective}_seeds"])
        row.update({f"{objective}_{key}": value for key, value in diff.items()})
    row["win_win"] = row["gmv_verdict"] == "better" and row["ux_verdict"] == "better"
    return row


def best_designs(front: pd.DataFrame, versus: pd.DataFrame) -> pd.DataFrame:
    """Pick up to three designs from the front a policy team would ask about.

    ``win_win``: the most net GMV among designs better than laissez-faire on
    both objectives beyond noise (if any); ``most_gmv`` and ``best_ux``: the
    front's ends.
    """
    wins = set(versus.loc[versus["win_win"] & versus["trial"].notna(), "trial"].astype(int))
    picks: list[tuple[str, int]] = []
    win = front[front["trial"].isin(wins)]
    if not win.empty:
        picks.append(("win_win", int(win["gmv"].idxmax())))
    picks.append(("most_gmv", int(front["gmv"].idxmax())))
    picks.append(("best_ux", int(front["ux"].idxmax())))
    seen: set[int] = set()
    rows = []
    for label, index in picks:
        if index in seen:
            continue
        seen.add(index)
        rows.append({"design": label, **front.loc[index].to_dict()})
    return pd.DataFrame(rows)


def hypervolume(points: pd.DataFrame, reference: tuple[float, float]) -> float:
    """Area dominated by ``points`` (columns ``gmv``, ``ux``, both maximised) above ``reference``.

    Two objectives need only a sort and a sum of rectangles; Optuna's own
    hypervolume is private API, so this is written out.
    """
    ref_gmv, ref_ux = reference
    area, best_ux = 0.0, ref_ux
    for gmv, ux in sorted(zip(points["gmv"], points["ux"], strict=True), reverse=True):
        if gmv <= ref_gmv or ux <= best_ux:
            continue
        area += (gmv - ref_gmv) * (ux - best_ux)
        best_ux = ux
    return area


def hypervolume_history(trials: pd.DataFrame, defaults: pd.DataFrame) -> pd.DataFrame:
    """Hypervolume of the designs found after each trial, from the worst point seen."""
    everything = pd.concat([trials[["gmv", "ux"]], defaults[["gmv", "ux"]]])
    reference = (float(everything["gmv"].min()), float(everything["ux"].min()))
    ordered = trials.sort_values("trial")
    rows = [
        {"trials": k, "hypervolume": hypervolume(ordered.iloc[:k], reference)}
        for k in range(1, len(ordered) + 1)
    ]
    return pd.DataFrame(rows)


def design_config(frontier: Frontier, row: dict[str, Any], label: str) -> str:
    """Return a design as a scenario file (``# @package policy``) runnable by name."""
    policy_values, global_values = {}, {}
    for lever in frontier.levers:
        value = row[lever.key]
        value = int(value) if lever.integer else float(f"{value:.4g}")
        if lever.key.startswith("policy."):
            policy_values[lever.key.removeprefix("policy.")] = value
        else:
            global_values[lever.key] = value
    body = {"defaults": [f"{frontier.policy}_schema"], **policy_values}
    header = (
        f"# @package policy\n# {label}: found by python -m sim.optimize --config {frontier.name} "
        f"(GMV {fmt(row['gmv'], 1)} yuan per user, UX {fmt(row['ux'], 3)} over "
        f"{frontier.seeds} seeds).\n"
    )
    if global_values:
        keys = " ".join(f"{k}={v}" for k, v in global_values.items())
        header += f"# Run it with the design's other values: python -m sim scenario=NAME {keys}\n"
    return header + yaml.safe_dump(body, sort_keys=False)


def write_designs(frontier: Frontier, designs: pd.DataFrame) -> list[Path]:
    """Write each design as ``results/scenarios/scenario/frontier_<name>_<k>.yaml``."""
    written = []
    for k, row in enumerate(designs.to_dict("records"), start=1):
        path = USER_SCENARIOS / f"frontier_{frontier.name}_{k}.yaml"
        text = design_config(frontier, row, row["design"])
        write_atomically(path, lambda out, t=text: out.write(t))
        written.append(path)
    return written


def write_outputs(
    frontier: Frontier,
    out: Path,
    trials: pd.DataFrame,
    seeds: pd.DataFrame,
    front: pd.DataFrame,
    defaults: pd.DataFrame,
    versus: pd.DataFrame,
    designs: pd.DataFrame,
    written: list[Path],
    search: dict[str, str],
) -> None:
    """Write the trials, the front, the comparisons, the figure and the report."""
    write_csv(trials, out / "trials.csv")
    write_csv(seeds, out / "seeds.csv")
    write_csv(front, out / "pareto.csv")
    write_csv(versus, out / "versus_laissez_faire.csv")
    history = hypervolume_history(trials, defaults)
    write_csv(history, out / "hypervolume.csv")
    title = f"{frontier.policy}: {len(trials)} designs, {frontier.seeds} seeds each"
    shown = defaults.drop(columns=["gmv_seeds", "ux_seeds"], errors="ignore")
    save_figure(frontier_figure(trials, shown, frontier.policy, title), out / "frontier.png")
    save_figure(hypervolume_figure(history, frontier.policy), out / "hypervolume.png")
    text = report_text(frontier, trials, front, defaults, versus, designs, written, history, search)
    write_atomically(out / "report.md", lambda f: f.write(text))


def _interval(row: dict[str, Any] | pd.Series, objective: str, digits: int) -> str:
    low, high = row[f"{objective}_low"], row[f"{objective}_high"]
    return (
        f"{fmt(row[f'{objective}_mean'], digits, True)} (95% interval "
        f"{fmt(low, digits, True)} to {fmt(high, digits, True)})"
    )


def answer_lines(
    frontier: Frontier, front: pd.DataFrame, defaults: pd.DataFrame, versus: pd.DataFrame
) -> list[str]:
    """Say in words whether a win-win exists beyond noise, what ties, and what dominates."""
    n = frontier.seeds
    designs = versus[versus["trial"].notna()]
    wins = designs[designs["win_win"]]
    lines = []
    if not wins.empty:
        best = wins.loc[
            front.set_index("trial").loc[wins["trial"].astype(int), "gmv"].to_numpy().argmax()
        ]
        lines.append(
            f"A **win-win design exists** ({best['candidate']}): against laissez-faire on the "
            f"same {n} seeds it changes net GMV by {_interval(best, 'gmv', 1)} yuan per user "
            f"and user experience by {_interval(best, 'ux', 3)}; both intervals lie above zero."
        )
    else:
        lines.append(
            f"**No searched design beats laissez-faire on both objectives beyond noise** at "
            f"{n} seeds: no front design has both paired intervals above zero."
        )
        identical = designs[
            (designs["gmv_verdict"] == "identical") & (designs["ux_verdict"] == "identical")
        ]
        if not identical.empty:
            lines.append(
                f"{len(identical)} front design(s) give exactly laissez-faire's runs "
                "(their levers change nothing here): a tie, not a win-win."
            )
        near = designs[
            designs[["gmv_verdict", "ux_verdict"]].isin(["better", "within noise"]).all(axis=1)
            & ~designs.index.isin(identical.index)
        ]
        if not near.empty:
            row = near.iloc[0]
            lines.append(
                f"{len(near)} design(s) are neither worse beyond noise on an objective nor "
                f"better on both, e.g. {row['candidate']}: net GMV {_interval(row, 'gmv', 1)}, "
                f"UX {_interval(row, 'ux', 3)}. More seeds would tell."
            )
    table = defaults.set_index("policy")
    for policy in DEFAULT_POLICIES:
        if policy == frontier.policy:
            continue
        gmv, ux = table.loc[policy, "gmv"], table.loc[policy, "ux"]
        if (gmv > front["gmv"]).all() and (ux > front["ux"]).all():
            lines.append(
                f"The default **{readable(policy)}** beats every design on the front on both "
                f"objectives (seed means: net GMV {fmt(gmv, 1)} against at most "
                f"{fmt(front['gmv'].max(), 1)}, UX {fmt(ux, 3)} against at most "
                f"{fmt(front['ux'].max(), 3)}): searching {readable(frontier.policy)}'s levers "
                "did not reach it."
            )
    return lines


def report_text(
    frontier: Frontier,
    trials: pd.DataFrame,
    front: pd.DataFrame,
    defaults: pd.DataFrame,
    versus: pd.DataFrame,
    designs: pd.DataFrame,
    written: list[Path],
    history: pd.DataFrame,
    search: dict[str, str],
) -> str:
    """Return the frontier report in Markdown: the objective, the answer in words, the tables."""
    own = defaults.set_index("policy").loc[frontier.policy]
    lines = [
        f"# Win-win frontier: {readable(frontier.policy)} (`{frontier.name}`)",
        "",
        "Objective: find designs of the policy's levers that raise both **net GMV** (yuan "
        "per user, disappointing orders refunded; gross GMV beside it) and **user "
        "experience** (mean engagement of non-sellers, 0-1) above laissez-faire's; a design "
        "counts as a win-win only when its paired differences from laissez-faire on the "
        "same seeds have 95% intervals above zero on both, so a tie or a difference within "
        "noise is never called one.",
        "",
        search["calibrated"],
        "",
        f"{len(trials)} designs of {readable(frontier.policy)}'s levers, each run on seeds "
        f"0-{frontier.seeds - 1} (the same seeds for every design and for the default "
        f"policies); base: `{search['base'] or '(defaults)'}`. Search: "
        f"{search['sampler']} (Optuna); hypervolume of the designs found: "
        + ", ".join(
            f"{fmt(row['hypervolume'], 3)} after {int(row['trials'])}"
            for row in history.iloc[_checkpoints(len(history))].to_dict("records")
        )
        + " trials (`hypervolume.csv`, `hypervolume.png`: flat at the end means the search "
        "has settled).",
        "",
        "## The answer",
        "",
        *answer_lines(frontier, front, defaults, versus),
        "",
        f"The default {readable(frontier.policy)} scores net GMV {fmt(own['gmv'], 1)} and UX "
        f"{fmt(own['ux'], 3)}; {len(front)} designs are on the Pareto front "
        f"(net GMV {fmt(front['gmv'].min(), 1)}-{fmt(front['gmv'].max(), 1)} yuan per user, "
        f"UX {fmt(front['ux'].min(), 3)}-{fmt(front['ux'].max(), 3)}).",
    ]
    lines += ["", "## Best designs (scenario files)", ""]
    keys = [lever.key for lever in frontier.levers]
    lines.append(
        "| design | run it | net GMV (yuan per user) | UX (0-1) | " + " | ".join(keys) + " |"
    )
    lines.append("|" + "---|" * (4 + len(keys)))
    for row, path in zip(designs.to_dict("records"), written, strict=True):
        cells = [_lever(row[k]) for k in keys]
        lines.append(
            f"| {row['design']} | `python -m sim scenario={path.stem}` | {fmt(row['gmv'], 1)} | "
            f"{fmt(row['ux'], 3)} | " + " | ".join(cells) + " |"
        )
    lines += ["", "## Against laissez-faire, seed by seed (paired, 95% intervals)", ""]
    lines.append("| candidate | net GMV difference | verdict | UX difference | verdict |")
    lines.append("|---|---|---|---|---|")
    for row in versus.to_dict("records"):
        name = (
            readable(row["candidate"])
            if row["trial"] is None or pd.isna(row["trial"])
            else row["candidate"]
        )
        lines.append(
            f"| {name} | {_interval(row, 'gmv', 1)} | {row['gmv_verdict']} | "
            f"{_interval(row, 'ux', 3)} | {row['ux_verdict']} |"
        )
    lines += ["", "## Default policies on the same seeds", ""]
    lines.append("| policy | net GMV (yuan per user) | gross GMV | UX (0-1) |")
    lines.append("|---|---|---|---|")
    for row in defaults.to_dict("records"):
        lines.append(
            f"| {readable(row['policy'])} | {fmt(row['gmv'], 1)} | {fmt(row['gmv_gross'], 1)} | "
            f"{fmt(row['ux'], 3)} |"
        )
    lines += ["", "## Pareto front", ""]
    lines.append("| trial | net GMV (yuan per user) | UX (0-1) | " + " | ".join(keys) + " |")
    lines.append("|" + "---|" * (3 + len(keys)))
    for row in front.to_dict("records"):
        cells = [_lever(row[k]) for k in keys]
        lines.append(
            f"| {int(row['trial'])} | {fmt(row['gmv'], 1)} | {fmt(row['ux'], 3)} | "
            + " | ".join(cells)
            + " |"
        )
    lines += [
        "",
        "Figures: [frontier.png](frontier.png), [hypervolume.png](hypervolume.png) (the "
        "search's progress). Every trial: `trials.csv`, `seeds.csv`.",
    ]
    return "\n".join(lines) + "\n"


def _checkpoints(n: int) -> list[int]:
    """Positions of about a quarter, half and all of ``n`` trials."""
    return sorted({max(0, round(n * f) - 1) for f in (0.25, 0.5, 1.0)})


def _lever(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:.3f}"


def command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Run ``sim optimize`` with its parsed arguments (``sim.cli.optimize``)."""
    use_file_backend()
    try:
        frontier = load_frontier(args.config)
        if args.trials is not None or args.seeds is not None:
            if (args.trials is not None and args.trials < 1) or (
                args.seeds is not None and args.seeds < 1
            ):
                raise ConfigError("--trials and --seeds must be >= 1")
            frontier = Frontier(
                frontier.name,
                frontier.policy,
                frontier.base,
                args.seeds or frontier.seeds,
                args.trials or frontier.trials,
                frontier.levers,
            )
        if args.jobs < 1:
            raise ConfigError("--jobs must be >= 1")
        slurm = None
        if args.slurm_tasks is not None:
            if args.slurm_tasks < 1 or args.slurm_timeout < 1:
                raise ConfigError("--slurm-tasks and --slurm-timeout must be >= 1")
            if shutil.which("sbatch") is None:
                raise ConfigError("--slurm-tasks needs SLURM's sbatch on this machine's PATH")
            slurm = SlurmSettings(
                args.slurm_tasks, args.slurm_partition, args.slurm_account, args.slurm_timeout
            )
        out = output_folder(args.out or Path("results/frontier") / frontier.name, "--out")
        result = optimize(frontier, out, args.overrides, args.jobs, slurm)
    except ConfigError as error:
        parser.exit(2, f"sim optimize: error: {error}\n")
    print(f"frontier: {len(result['pareto'])} designs on the Pareto front; report: {out}/report.md")
