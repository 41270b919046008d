"""Compose a configuration, run the model, and write a run's results.

This is the Python API the CLI, the notebooks and the tests share::

    from sim.run.runner import compose_config, simulate
    cfg = compose_config(["scenario=rectify", "graph.n_users=1000", "steps=90"])
    result = simulate(cfg)
    result.timeseries.tail()

``run(overrides, out_dir)`` does both and writes the files a CLI run writes.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import math
import os
import platform
import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
from hydra import compose, initialize_config_module
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import (
    ConfigCompositionException,
    MissingConfigException,
    OverrideParseException,
)
from omegaconf import BooleanNode, DictConfig, FloatNode, IntegerNode, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException
from tqdm import tqdm

from sim.core.config import (
    POLICY_CONFIGS,
    ConfigError,
    SimConfig,
    flatten,
    policy_info,
    policy_label,
    register_configs,
)
from sim.core.outcomes import PRESSURE
from sim.core.outputs import file_record, write_csv, write_json
from sim.engine.metrics import Column, enforcement_by_quality
from sim.engine.model import SocialCommerceModel
from sim.run import signals

CONFIG_MODULE = "sim.scenarios"
CONFIG_NAME = "config"


@dataclass
class RunResult:
    """A finished run: the daily table, the summary and the model in its final state."""

    timeseries: pd.DataFrame
    summary: dict[str, Any]
    model: SocialCommerceModel


# Where commands write scenario files a user runs by name (``python -m sim.optimize``
# writes the frontier's designs here); the same folder as ``hydra.searchpath`` in
# ``scenarios/config.yaml``, relative to the folder the command runs in.
USER_CONFIGS = Path("results") / "scenarios"


def options(group: str, user_files: bool = True) -> list[str]:
    """Return the available options of a config group (e.g. ``"scenario"``).

    The package's own files, and (``user_files``) those a command wrote under
    ``results/scenarios/`` in the current folder.
    """
    folder = resources.files(CONFIG_MODULE) / group
    names = {p.name for p in folder.iterdir() if p.name.endswith(".yaml")}
    user = USER_CONFIGS / group
    if user_files and user.is_dir():
        names |= {p.name for p in user.glob("*.yaml")}
    return sorted(name.removesuffix(".yaml") for name in names)


def groups() -> list[str]:
    """Return the config groups a user can choose from (``scenario``, ``graph``, ...)."""
    folder = resources.files(CONFIG_MODULE)
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_"))


def known_keys() -> list[str]:
    """Every settable key: the default config's, and every scenario's ``policy.*`` keys."""
    container = OmegaConf.to_container(compose_config([]), resolve=False)
    keys = [*flatten(container), *(f"policy.{name}" for name in policy_keys())]
    return sorted(set(keys))


def policy_keys() -> dict[str, str]:
    """Map each ``policy.*`` key to the scenario that owns it (first owner)."""
    owners: dict[str, str] = {}
    for scenario, schema in POLICY_CONFIGS.items():
        for name in schema.__dataclass_fields__:
            if name != "name":
                owners.setdefault(name, scenario)
    return owners


def unknown_key(key: str) -> str:
    """Return a one-line explanation of an unknown key, with its owner or a suggestion."""
    name = key.removeprefix("policy.")
    owners = policy_keys()
    if key.startswith("policy.") and name in owners:
        return (
            f"{key} belongs to scenario={owners[name]}, not the chosen scenario "
            f"(add scenario={owners[name]})"
        )
    close = difflib.get_close_matches(key, known_keys(), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else "; see python -m sim --cfg job"
    return f"unknown key {key}{hint}"


def explain(error: BaseException) -> str:
    """Turn a Hydra, OmegaConf or model input error into one line."""
    message = str(error)
    found = re.search(r"Could not override '([^']+)'[.:]? Key '[^']+' not in", message)
    if found is None and error.__cause__ is not None:
        found = re.search(r"Key '[^']+' not in", str(error.__cause__)) and re.search(
            r"Could not override '([^']+)'", message
        )
    if found:
        return unknown_key(found.group(1))
    found = re.search(r"Could not override '([^']+)'\. No match in the defaults list", message)
    if found:
        group = found.group(1)
        return (
            f"'{group}' is not chosen by default: add it with +{group}=NAME "
            f"(for example: python -m sim -m +{group}={next(iter(options(group)), 'NAME')})"
            if group in groups()
            else f"cannot override '{group}'"
        )
    found = re.match(r"(?:LexerNoViableAltException|mismatched input).*?: ?(\S+?)=(.*)", message)
    if isinstance(error, OverrideParseException) and "LexerNoViableAlt" in message and found:
        key, value = found.group(1), found.group(2).strip()
        return (
            f"cannot read the value of {key}: Hydra's override grammar needs quotes around a "
            f"value with spaces, accents or symbols: write \"{key}='{value}'\" "
            "(the double quotes are for the shell)"
        )
    found = re.match(r"Error parsing override '([^'=]+)'", message)
    if found:
        key = found.group(1)
        return f"'{key}' needs a value: write {key}=VALUE, with no spaces around '='"
    if isinstance(error, MissingConfigException):
        found = re.search(r"Could not find '([^/']+)/([^']+)'", str(error))
        if found:
            group, name = found.groups()
            return f"unknown {group} '{name}'; available: {', '.join(options(group))}"
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    cause = error.__cause__
    if isinstance(error, ConfigCompositionException) and cause is not None:
        detail = str(cause).strip().splitlines()[0]
        key = getattr(cause, "full_key", None)
        text = f"{text.rstrip('.')}: {detail}" + (f" (key {key})" if key else "")
    elif isinstance(error, OmegaConfBaseException) and getattr(error, "full_key", None):
        text = f"{text} (key {error.full_key})"
    return text


def compose_config(overrides: Sequence[str] = (), with_hydra: bool = False) -> DictConfig:
    """Compose the run configuration from Hydra overrides, without the CLI.

    Args:
        overrides: Hydra overrides, as on the command line.
        with_hydra: also return the ``hydra`` node (launcher, sweeper, folders).

    """
    register_configs()
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        cfg = compose(CONFIG_NAME, overrides=list(overrides), return_hydra_config=with_hydra)
    check_overrides(overrides, cfg)
    return cfg


def composed_config(overrides: Sequence[str], seed: int | None = None) -> SimConfig:
    """Return the validated config of ``overrides``, composed once per process, with ``seed``.

    Hydra's composition takes about a third of a second; callers that run many
    seeds of one configuration (docking, the tests) compose it once and get a
    deep copy, so a run that changes its config changes no other run's.
    """
    config = copy.deepcopy(_composed_once(tuple(overrides)))
    return config if seed is None else dataclasses.replace(config, seed=seed)


@functools.lru_cache(maxsize=64)
def _composed_once(overrides: tuple[str, ...]) -> SimConfig:
    return to_sim_config(compose_config(overrides))


def check_overrides(overrides: Sequence[str], cfg: DictConfig) -> None:
    """Reject what composition lets through: added model keys, schema options, loose types.

    ``+market.intesity=3`` would add a key the model never reads; a ``*_schema``
    entry is an internal type, not a scenario; ``policy.enforcement=2`` would be
    taken as true and ``seed=true`` as 1.

    Raises:
        ConfigError: one line naming the key.

    """
    user_groups = set(groups())
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        key = override.key_or_group
        if key.startswith("hydra") or override.is_delete():
            continue
        value = override.value()
        if key in user_groups:
            for choice in (
                override.sweep_string_iterator() if override.is_sweep_override() else [str(value)]
            ):
                if choice not in options(key):
                    raise ConfigError(
                        f"unknown {key} '{choice}'; available: {', '.join(options(key))}"
                    )
            continue
        if (override.is_add() or override.is_force_add()) and not _schema(key, cfg):
            # '+key' / '++key' outside a config group: a key nothing reads, or a typo
            raise ConfigError(unknown_key(key) + " ('+' adds a key nothing reads)")
        if override.is_sweep_override():
            continue
        node = _node(cfg, key)
        if isinstance(node, BooleanNode) and not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false (got {value!r})")
        if isinstance(node, (IntegerNode, FloatNode)) and isinstance(value, bool):
            raise ConfigError(f"{key} must be a number (got {value!r})")


def _schema(key: str, cfg: DictConfig) -> bool:
    """Whether dotted ``key`` is a field of the typed config (``policy.*``: the chosen policy's)."""
    head, _, rest = key.partition(".")
    if head == "policy":
        schema = POLICY_CONFIGS.get(str(cfg.policy.get("name")))
        return schema is not None and rest in schema.__dataclass_fields__
    field = SimConfig.__dataclass_fields__.get(head)
    if field is None or not rest:
        return field is not None
    default = field.default_factory() if callable(field.default_factory) else field.default
    return dataclasses.is_dataclass(default) and rest in default.__dataclass_fields__


def _node(cfg: DictConfig, key: str) -> Any:
    """Return the OmegaConf node at dotted ``key``, or None."""
    node: Any = cfg
    for part in key.split("."):
        if not isinstance(node, DictConfig) or part not in node:
            return None
        node = node._get_node(part)
    return node


def to_sim_config(cfg: DictConfig | SimConfig) -> SimConfig:
    """Validate a composed config into typed dataclasses; bad values raise ``ConfigError``."""
    if isinstance(cfg, SimConfig):
        return cfg
    if "hydra" in cfg:
        cfg = cfg.copy()
        with open_dict(cfg):
            del cfg["hydra"]
    try:
        config = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as error:
        if isinstance(error.__cause__, ConfigError):
            raise error.__cause__ from None
        raise ConfigError(explain(error)) from None
    assert isinstance(config, SimConfig)
    return config


def package_version() -> str:
    """Return the installed version of the ``sim`` package."""
    try:
        return metadata.version("sim")
    except metadata.PackageNotFoundError:
        return "unknown"


def _git(*args: str, timeout: float) -> str | None:
    """Return the stdout of ``git args`` in the source folder (None: not a git checkout)."""
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


# Once per process: the code a process runs does not change under it, and a
# study's workers would otherwise start two git processes for every run.
@functools.cache
def git_commit() -> str | None:
    """Return the git commit of the source tree, when it is a git checkout."""
    out = _git("rev-parse", "HEAD", timeout=5)
    return out.strip() or None if out is not None else None


@functools.cache
def git_dirty() -> bool | None:
    """Whether the source checkout had uncommitted changes (None: not a git checkout)."""
    out = _git("status", "--porcelain", "--untracked-files=no", timeout=10)
    return bool(out.strip()) if out is not None else None


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries that produce a run's numbers."""
    versions = {"python": platform.python_version()}
    for name in ("numpy", "mesa", "networkx", "hydra-core"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def seconds_since_process_start() -> float:
    """Return the seconds since this process started (to 0.01 s on Linux).

    psutil's start time counts from a boot time rounded to the second, so on
    Linux the process's start tick (``/proc/self/stat``) is compared with the
    uptime instead; elsewhere psutil's figure is the best there is.
    """
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time() - psutil.Process().create_time()


def simulate(cfg: DictConfig | SimConfig, progress: bool | None = None) -> RunResult:
    """Build the model from ``cfg`` and run it for ``cfg.steps`` days.

    Args:
        cfg: a composed config (``compose_config``) or a ``SimConfig``.
        progress: show a progress bar; default ``cfg.progress`` on a terminal.

    """
    config = to_sim_config(cfg)
    show = config.progress if progress is None else progress
    started = time.perf_counter()
    model = SocialCommerceModel(config)
    setup_seconds = time.perf_counter() - started
    start_seconds = seconds_since_process_start()  # imports, Hydra, the graph, the model
    for _ in tqdm(
        range(config.steps), desc=config.policy.name, unit="day", disable=None if show else True
    ):
        signals.check()  # under the command line, Ctrl-C and SIGTERM act between days
        model.step()
    table = model.datacollector.get_model_vars_dataframe()
    table.insert(0, Column.DAY, range(1, len(table) + 1))
    table = table[list(Column)].rename(columns=str)
    summary = summarize(config, table, model, time.perf_counter() - started, setup_seconds)
    summary["start_seconds"] = round(start_seconds, 3)
    return RunResult(timeseries=table, summary=summary, model=model)


def summarize(
    cfg: SimConfig,
    table: pd.DataFrame,
    model: SocialCommerceModel,
    wall_seconds: float,
    setup_seconds: float,
) -> dict[str, Any]:
    """Return the final and cumulative metrics of a run, with what is needed to reproduce it."""
    metrics = [column.value for column in Column if column is not Column.DAY]
    final = {column: _plain(table[column].iloc[-1]) for column in metrics}
    unfriends = final[Column.UNFRIENDS_CUM]
    return {
        "scenario": cfg.policy.name,
        "seed": cfg.seed,
        "steps": cfg.steps,
        "intensity": cfg.market.intensity,
        "graph": {
            "kind": cfg.graph.kind,
            "n_users": model.n_users,
            "friendships_start": len(model.arcs) // 2,
            "mean_degree": len(model.arcs) / model.n_users,
        },
        "final": final,
        "mutes_per_unfriend": final[Column.MUTES_CUM] / unfriends if unfriends else None,
        "mean_marketing_share": float(table[Column.MARKETING_SHARE].mean()),
        PRESSURE: float(table[Column.MARKETING_READ_PER_USER].mean()),
        "platform": {
            "ux": final[Column.UX],
            "gmv": final[Column.GMV_CUM],
            "gmv_net": final[Column.GMV_NET_CUM],
            "active_users": final[Column.ACTIVE_USERS],
            "sellers_end": final[Column.SELLERS],
        },
        "mean_ad_load": float(table[Column.AD_LOAD].mean()),
        "folded_total": int(table[Column.FOLDED].sum()),
        "enforcement_by_quality": enforcement_by_quality(model),
        "version": package_version(),
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "versions": library_versions(),
        "wall_seconds": round(wall_seconds, 3),
        "setup_seconds": round(setup_seconds, 3),
    }


def _plain(value: np.generic) -> int | float | None:
    """Return a numpy scalar as a Python number of the same kind; NaN as None (strict JSON)."""
    number = value.item()
    return None if isinstance(number, float) and math.isnan(number) else number


def write_results(
    result: RunResult, out_dir: str | Path, plot: bool = True, written: Sequence[str] = ()
) -> Path:
    """Write ``timeseries.csv``, ``timeseries.png`` (if ``plot``), then ``summary.json``.

    Each file is written atomically and the summary last. The summary lists
    every other file of the run (``files``: bytes and SHA-256, with the files
    named in ``written`` that the caller wrote before), so a run is finished
    only when its summary is readable and every file it lists is as written
    (``sim.run.sweep.damage``): a truncated daily table beside an intact summary
    is a damaged run, recomputed on resume.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(result.timeseries, out / "timeseries.csv")
    names = [*written, "timeseries.csv"]
    if plot:
        # pyplot loads here, when a figure is drawn: at start-up it costs half a second
        from sim.figures.plotting import plot_timeseries

        plot_timeseries(result.timeseries, out / "timeseries.png", title=_title(result.summary))
        names.append("timeseries.png")
    files = {name: file_record(out / name) for name in names}
    write_json({**result.summary, "files": files}, out / "summary.json")
    return out


def _title(summary: dict[str, Any]) -> str:
    graph = summary["graph"]
    return (
        f"{summary['scenario']} - intensity {summary['intensity']:g}, seed {summary['seed']}, "
        f"{graph['kind']} graph of {graph['n_users']:,} users"
    )


def run(overrides: Sequence[str] = (), out_dir: str | Path | None = None) -> RunResult:
    """Compose from ``overrides``, simulate, and write results to ``out_dir`` if given."""
    result = simulate(compose_config(overrides), progress=False)
    if out_dir is not None:
        write_results(result, out_dir)
    return result


# The console summary: readable names with units. Shares print as percentages,
# GMV in yuan (a run's own files are in yuan; comparisons use yuan per user).
CONSOLE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("seller pressure", PRESSURE, "marketing items read per non-seller per day, mean"),
    ("marketing share in Moments", Column.MARKETING_SHARE, "% of items read, last day"),
    ("trust in sellers", Column.MEAN_TRUST_SELLER_ARCS, "0-1, non-sellers still friends"),
    ("mutes", Column.MUTES_CUM, "so far"),
    ("unfriends", Column.UNFRIENDS_CUM, "so far"),
    ("users who acted", Column.ACTED_SHARE, "% of non-sellers"),
    ("users who left", Column.LEFT_SHARE, "% of non-sellers"),
    ("user experience", Column.UX, "mean engagement, 0-1"),
    ("sellers", Column.SELLERS, "at the end"),
    ("orders", Column.SALES_CUM, "so far"),
    ("GMV, net of disappointment", Column.GMV_NET_CUM, "yuan"),
    ("GMV, gross", Column.GMV_CUM, "yuan"),
)
PERCENT = {Column.MARKETING_SHARE, Column.ACTED_SHARE, Column.LEFT_SHARE}

COMPARE_HINT = (
    "compare the policies on the same seeds: sim -m +sweep=quick "
    "(then sim compare results/sweeps/<folder>)"
)


def summary_table(summary: dict[str, Any]) -> str:
    """Return a short plain-text table of a run's headline results, for the console.

    Readable names with their units; the rows the policy declares in its
    ``info.summary_rows`` (folded items, throttles and bans; shop follows and
    unfollows) follow the headline rows, each a daily column or a summary key;
    a metric the run leaves undefined (trust in sellers when none is left)
    prints as ``n/a``. The last line names the command that compares policies.
    """
    final = summary["final"]
    rows: list[tuple[str, str, str]] = []
    info = policy_info(str(summary["scenario"]))
    for label, key, unit in (*CONSOLE_ROWS, *(info.summary_rows if info else ())):
        value = final[key] if key in final else summary.get(key)
        if key in PERCENT and value is not None:
            rows.append((label, _shown(100.0 * value, 1), unit))
        else:
            rows.append((label, _shown(value), unit))
    rows.append(("wall time", _shown(summary["wall_seconds"], 1), "seconds"))
    width = max(len(label) for label, _, _ in rows)
    head = (
        f"{policy_label(str(summary['scenario']))} (seed {summary['seed']}, "
        f"{summary['steps']} days, intensity {summary['intensity']:g})"
    )
    lines = [head]
    for label, shown, unit in rows:
        lines.append(f"  {label:<{width}}  {shown:>14}  {unit}")
    lines.append(COMPARE_HINT)
    return "\n".join(lines)


def _shown(value: Any, digits: int = 3) -> str:
    """Format a number for the console: separators, ``digits`` decimals, None as n/a."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.{digits}f}"
    return f"{value:,.0f}"
