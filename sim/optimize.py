"""The win-win frontier: Optuna NSGA-II over a policy's levers, GMV against user experience.

``python -m sim.optimize [--config NAME|PATH] [--trials N] [--jobs 2] [--out DIR] [key=value ...]``

A frontier file (``scenarios/frontier/<name>.yaml``, or any YAML path) names
the policy, the overrides every trial runs with (``base``), the seeds and the
levers with their ranges. Each trial runs the policy with the trial's lever
values on seeds 0..seeds-1, the same seeds for every trial and for the default
policies (common random numbers), and scores two objectives, both maximised:
GMV per user (yuan) and user experience (mean engagement), averaged over the
seeds. Optuna's NSGA-II sampler proposes the values (a maintained library);
trials run two at a time (``--jobs``) in a process pool; the study lives in a
journal file, so running the command again goes on where it stopped
(``--trials`` is the total wanted).

Writes into ``results/frontier/<name>/``: ``trials.csv``, ``pareto.csv``,
``defaults.csv`` (the four default policies on the same seeds), ``frontier.png``,
``report.md``, and the best designs as scenario files in
``results/scenarios/scenario/frontier_<name>_<k>.yaml``, which the main config's
search path finds: ``python -m sim scenario=frontier_<name>_1`` from the same
folder. Nothing is written into the installed package.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import yaml
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from sim.config import POLICY_CONFIGS, ConfigError
from sim.outcomes import fmt
from sim.outputs import write_atomically, write_csv
from sim.runner import compose_config, explain, simulate, to_sim_config
from sim.safety import output_folder

USER_SCENARIOS = Path("results/scenarios/scenario")
DEFAULT_POLICIES = ("laissez_faire", "rectify", "separate_shop", "c2b")


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
    path = Path(spec)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise ConfigError(f"frontier file not found: {path}")
        text, name = path.read_text(encoding="utf-8"), path.stem
    else:
        folder = resources.files("sim.scenarios") / "frontier"
        entry = folder / f"{spec}.yaml"
        if not entry.is_file():
            names = sorted(
                p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
            )
            raise ConfigError(f"unknown frontier '{spec}'; available: {', '.join(names)}")
        text, name = entry.read_text(encoding="utf-8"), spec
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
    """Run one configuration and return GMV per user and user experience at the end."""
    summary = simulate(compose_config(list(overrides)), progress=False).summary
    return {
        "gmv": summary["final"]["gmv_cum"] / summary["graph"]["n_users"],
        "ux": float(summary["final"]["ux"]),
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


def evaluate(
    jobs: list[list[str]], seeds: int, pool: ProcessPoolExecutor | None
) -> list[dict[str, float]]:
    """Run each override list on seeds 0..seeds-1; return the seed means of the objectives."""
    runs = [[*job, f"seed={seed}"] for job in jobs for seed in range(seeds)]
    results = list(pool.map(run_objectives, runs)) if pool else [run_objectives(r) for r in runs]
    means = []
    for k in range(len(jobs)):
        part = pd.DataFrame(results[k * seeds : (k + 1) * seeds])
        means.append(
            {
                "gmv": float(part["gmv"].mean()),
                "ux": float(part["ux"].mean()),
                "gmv_sd": float(part["gmv"].std(ddof=1)) if seeds > 1 else float("nan"),
                "ux_sd": float(part["ux"].std(ddof=1)) if seeds > 1 else float("nan"),
            }
        )
    return means


def validate(frontier: Frontier, base: Sequence[str]) -> None:
    """Compose the policy with every lever at both ends of its range, or raise ``ConfigError``."""
    try:
        for end in ("low", "high"):
            values = {lever.key: getattr(lever, end) for lever in frontier.levers}
            to_sim_config(compose_config(trial_overrides(frontier, base, values)))
        for policy in DEFAULT_POLICIES:
            to_sim_config(compose_config([f"scenario={policy}", *base]))
    except (HydraException, OmegaConfBaseException) as error:
        raise ConfigError(explain(error)) from None


def optimize(
    frontier: Frontier, out: Path, extra: Sequence[str] = (), jobs: int = 2
) -> dict[str, pd.DataFrame]:
    """Run (or resume) the search and write its files; return the trials, front and defaults."""
    base = [*frontier.base, *extra]
    validate(frontier, base)
    out.mkdir(parents=True, exist_ok=True)
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(out / "study.journal"))
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=frontier.name,
        storage=storage,
        load_if_exists=True,
        directions=["maximize", "maximize"],
        sampler=optuna.samplers.NSGAIISampler(seed=0, population_size=max(4, 2 * jobs)),
    )
    fixed = {"policy": frontier.policy, "seeds": frontier.seeds, "base": list(base)}
    if study.user_attrs.get("fixed", fixed) != fixed:
        raise ConfigError(
            f"{out} holds a search with other settings ({study.user_attrs['fixed']}); "
            "use another --out"
        )
    study.set_user_attr("fixed", fixed)
    for trial in study.trials:  # trials left running by a killed search are failed, not counted
        if trial.state == optuna.trial.TrialState.RUNNING:
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    with ProcessPoolExecutor(jobs) if jobs > 1 else _NoPool() as pool:
        while done < frontier.trials:
            batch = [study.ask() for _ in range(min(jobs, frontier.trials - done))]
            overrides = []
            for trial in batch:
                values = {
                    lever.key: (
                        trial.suggest_int(lever.key, int(lever.low), int(lever.high))
                        if lever.integer
                        else trial.suggest_float(lever.key, lever.low, lever.high, log=lever.log)
                    )
                    for lever in frontier.levers
                }
                overrides.append(trial_overrides(frontier, base, values))
            for trial, result in zip(batch, evaluate(overrides, frontier.seeds, pool), strict=True):
                trial.set_user_attr("gmv_sd", result["gmv_sd"])
                trial.set_user_attr("ux_sd", result["ux_sd"])
                study.tell(trial, [result["gmv"], result["ux"]])
                done += 1
                print(
                    f"trial {done}/{frontier.trials}: GMV {fmt(result['gmv'], 1)} yuan per user, "
                    f"UX {fmt(result['ux'], 3)}",
                    file=sys.stderr,
                    flush=True,
                )
        defaults = default_policies(frontier, base, out, pool)
    trials = trials_table(study)
    front = trials[trials["pareto"]].sort_values("gmv", ignore_index=True)
    designs = best_designs(front, defaults)
    written = write_designs(frontier, designs)
    write_outputs(frontier, out, trials, front, defaults, designs, written)
    return {"trials": trials, "pareto": front, "defaults": defaults, "designs": designs}


class _NoPool:
    """Stand-in for a process pool when running serially."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def default_policies(
    frontier: Frontier, base: Sequence[str], out: Path, pool: ProcessPoolExecutor | None
) -> pd.DataFrame:
    """Return the four default policies on the same seeds (read back if already run)."""
    path = out / "defaults.csv"
    if path.is_file():
        table = pd.read_csv(path)
        if set(table["policy"]) == set(DEFAULT_POLICIES):
            return table
    results = evaluate([[f"scenario={p}", *base] for p in DEFAULT_POLICIES], frontier.seeds, pool)
    table = pd.DataFrame(results)
    table.insert(0, "policy", DEFAULT_POLICIES)
    write_csv(table, path)
    return table


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """Every finished trial: number, lever values, objectives, and whether it is on the front."""
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
    return pd.DataFrame(rows)


def best_designs(front: pd.DataFrame, defaults: pd.DataFrame) -> pd.DataFrame:
    """Pick up to three designs from the front a policy team would ask about.

    ``win_win``: the most GMV among designs at least as good as laissez-faire on
    both objectives (if any); ``most_gmv`` and ``best_ux``: the front's ends.
    """
    lf = defaults.set_index("policy").loc["laissez_faire"]
    picks: list[tuple[str, int]] = []
    win = front[(front["gmv"] >= lf["gmv"]) & (front["ux"] >= lf["ux"])]
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
    front: pd.DataFrame,
    defaults: pd.DataFrame,
    designs: pd.DataFrame,
    written: list[Path],
) -> None:
    """Write the trials, the front, the figure and the report."""
    from sim.figures import frontier_figure
    from sim.plotting import save_figure

    write_csv(trials, out / "trials.csv")
    write_csv(front, out / "pareto.csv")
    title = f"{frontier.policy}: {len(trials)} designs, {frontier.seeds} seeds each"
    save_figure(frontier_figure(trials, defaults, frontier.policy, title), out / "frontier.png")
    text = report_text(frontier, trials, front, defaults, designs, written)
    write_atomically(out / "report.md", lambda f: f.write(text))


def report_text(
    frontier: Frontier,
    trials: pd.DataFrame,
    front: pd.DataFrame,
    defaults: pd.DataFrame,
    designs: pd.DataFrame,
    written: list[Path],
) -> str:
    """Return the frontier report in Markdown: the answer in words, then the tables."""
    from sim.figures import readable

    lf = defaults.set_index("policy").loc["laissez_faire"]
    own = defaults.set_index("policy").loc[frontier.policy]
    lines = [
        f"# Win-win frontier: {readable(frontier.policy)} (`{frontier.name}`)",
        "",
        f"{len(trials)} designs of {readable(frontier.policy)}'s levers, each run on seeds "
        f"0-{frontier.seeds - 1} (the same seeds for every design and for the default "
        f"policies); base: `{' '.join(frontier.base) or '(defaults)'}`. Objectives, both "
        "maximised and averaged over the seeds: GMV (yuan per user) and user experience "
        "(mean engagement of non-sellers, 0-1).",
        "",
        "## The answer",
        "",
    ]
    win = designs[designs["design"] == "win_win"]
    if not win.empty:
        row = win.iloc[0]
        lines.append(
            f"A **win-win design exists**: it sells {fmt(row['gmv'] - lf['gmv'], 1, True)} yuan "
            f"per user against laissez-faire ({fmt(row['gmv'], 1)} vs {fmt(lf['gmv'], 1)}) with "
            f"user experience {fmt(row['ux'] - lf['ux'], 3, True)} ({fmt(row['ux'], 3)} vs "
            f"{fmt(lf['ux'], 3)})."
        )
    else:
        lines.append(
            "No design found beats laissez-faire on both GMV and user experience at once; "
            "the front below is the trade-off."
        )
    lines.append(
        f"The default {readable(frontier.policy)} scores GMV {fmt(own['gmv'], 1)} and UX "
        f"{fmt(own['ux'], 3)}; {len(front)} designs are on the Pareto front "
        f"(GMV {fmt(front['gmv'].min(), 1)}-{fmt(front['gmv'].max(), 1)} yuan per user, "
        f"UX {fmt(front['ux'].min(), 3)}-{fmt(front['ux'].max(), 3)})."
    )
    lines += ["", "## Best designs (scenario files)", ""]
    keys = [lever.key for lever in frontier.levers]
    lines.append("| design | run it | GMV (yuan per user) | UX (0-1) | " + " | ".join(keys) + " |")
    lines.append("|" + "---|" * (4 + len(keys)))
    for row, path in zip(designs.to_dict("records"), written, strict=True):
        cells = [_lever(row[k]) for k in keys]
        lines.append(
            f"| {row['design']} | `python -m sim scenario={path.stem}` | {fmt(row['gmv'], 1)} | "
            f"{fmt(row['ux'], 3)} | " + " | ".join(cells) + " |"
        )
    lines += ["", "## Default policies on the same seeds", ""]
    lines.append("| policy | GMV (yuan per user) | UX (0-1) |")
    lines.append("|---|---|---|")
    for row in defaults.to_dict("records"):
        lines.append(f"| {readable(row['policy'])} | {fmt(row['gmv'], 1)} | {fmt(row['ux'], 3)} |")
    lines += ["", "## Pareto front", ""]
    lines.append("| trial | GMV (yuan per user) | UX (0-1) | " + " | ".join(keys) + " |")
    lines.append("|" + "---|" * (3 + len(keys)))
    for row in front.to_dict("records"):
        cells = [_lever(row[k]) for k in keys]
        lines.append(
            f"| {int(row['trial'])} | {fmt(row['gmv'], 1)} | {fmt(row['ux'], 3)} | "
            + " | ".join(cells)
            + " |"
        )
    lines += ["", "Figure: [frontier.png](frontier.png). Every trial: `trials.csv`."]
    return "\n".join(lines) + "\n"


def _lever(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:.3f}"


def main(argv: list[str] | None = None) -> None:
    """Command line of ``python -m sim.optimize``."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.optimize",
        description="Win-win frontier: NSGA-II over a policy's levers, GMV against UX.",
    )
    parser.add_argument("--config", default="rectify", help="frontier name or YAML path")
    parser.add_argument("--trials", type=int, default=None, help="total trials wanted")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per trial")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    parser.add_argument("--out", type=Path, default=None, help="default results/frontier/<name>")
    parser.add_argument("overrides", nargs="*", help="key=value added to every run")
    args = parser.parse_args(argv)
    from sim.plotting import use_file_backend

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
        out = output_folder(args.out or Path("results/frontier") / frontier.name, "--out")
        result = optimize(frontier, out, args.overrides, args.jobs)
    except ConfigError as error:
        parser.exit(2, f"sim optimize: error: {error}\n")
    print(f"frontier: {len(result['pareto'])} designs on the Pareto front; report: {out}/report.md")


if __name__ == "__main__":
    main(sys.argv[1:])
