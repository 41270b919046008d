"""``sim run [-m] [scenario=NAME] [graph=NAME] [key=value ...]``: one run, or a sweep.

Before Hydra starts (and creates a results folder) the overrides are composed
and validated; under ``-m`` every value of every swept key is checked, so a
bad sweep fails in about a second instead of after the first batch. A bad
override, an unknown option or a bad graph file ends with one line on stderr,
exit status 2, and no results left behind.

``sim run`` is the default command of ``sim`` (``sim.cli``): ``sim scenario=rectify``
and ``sim run scenario=rectify`` are the same.

A single run claims its folder atomically (``sim.run.safety.RunPlan.claim``) and
stops on SIGINT or SIGTERM one way (``sim.run.signals``): one line, exit status
``128 + signal``, its own files removed and the user's kept.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.cli import COMMANDS
from sim.core.config import ConfigError, SimConfig, register_configs
from sim.core.outputs import write_atomically
from sim.engine.graphs import check_edgelist_file, read_edgelist
from sim.figures import use_file_backend
from sim.run import signals
from sim.run.runner import (
    CONFIG_NAME,
    compose_config,
    explain,
    options,
    simulate,
    summary_table,
    to_sim_config,
    write_results,
)
from sim.run.safety import (
    SWEEP_FILE_BYTES,
    RunPlan,
    check_disk,
    check_memory,
    plan_run,
    run_bytes,
    writable_folder,
)
from sim.run.sweep import (
    CONFIG,
    MAIN_ENV,
    MULTIRUN,
    SUMMARY,
    SWEEPS_STARTED,
    clear_failure,
    damage,
    exit_with_parent,
    is_complete,
    mark_failed,
    override_dirname,
    read_status,
    resume_conflict,
    sweep_jobs,
)
from sim.run.uncertainty import WORLD_KEY, apply_values, apply_world, check_sample, load_uncertainty
from sim.study.callbacks import AGGREGATION_FAILED, finish_sweep

HYDRA_FLAGS_WITHOUT_RUN = {
    "--help",
    "-h",
    "--hydra-help",
    "--version",
    "--cfg",
    "-c",
    "--info",
    "-i",
    "--shell-completion",
    "-sc",
}


PLAN: RunPlan | None = None  # the single run's folder, checked before Hydra starts


def fail(message: str) -> None:
    """Print a one-line error and exit with status 2."""
    print(f"sim: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def first_values(items: list[str]) -> list[str]:
    """Return ``items`` with every swept key at its first value: the sweep's first job."""
    parser = OverridesParser.create()
    return [
        f"{o.get_key_element()}={next(iter(o.sweep_string_iterator()))}"
        if o.is_sweep_override()
        else text
        for text, o in zip(items, parser.parse_overrides(items), strict=True)
    ]


def sweep_variants(overrides: list[str], settings: DictConfig) -> list[list[str]]:
    """Return the override lists to validate before a sweep.

    The first job (every swept key at its first value), then for each swept
    key each further value with the others at their first: every value is
    checked once, in a handful of compositions rather than the whole grid.
    Swept keys come from the command line and from the sweep's
    ``hydra.sweeper.params`` (``settings`` is the first job's ``hydra`` node).
    """
    params = settings.sweeper.get("params") or {}
    items = [f"{key}={value}" for key, value in params.items()] + overrides
    parsed = {o.key_or_group: o for o in OverridesParser.create().parse_overrides(items)}
    first = first_values(items)
    variants = [first]
    for override in parsed.values():
        if override.is_sweep_override() and override.key_or_group != WORLD_KEY:
            for value in list(override.sweep_string_iterator())[1:]:
                variants.append([*first, f"{override.get_key_element()}={value}"])
    return variants


def quote(value: str) -> str:
    """Quote ``value`` for a Hydra override (paths with spaces, commas, quotes)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


# Keys whose values are paths: quoted for Hydra when they hold letters its
# grammar does not take unquoted (résultats/, 网络.txt), so paths just work.
PATH_KEYS = ("hydra.run.dir", "hydra.sweep.dir", "graph.path")


def quote_paths(argv: list[str]) -> list[str]:
    """Return ``argv`` with non-ASCII path values quoted for Hydra (already quoted ones kept)."""
    quoted = []
    for arg in argv:
        key, sep, value = arg.partition("=")
        plain = value and value[0] not in "'\"" and not value.isascii()
        if sep and key.lstrip("+") in PATH_KEYS and plain and not set(value) & set(",[]{}()"):
            arg = f"{key}={quote(value)}"
        quoted.append(arg)
    return quoted


# Hydra's options that would replace the one primary config (``scenarios/config.yaml``).
CONFIG_FLAGS = ("--config-name", "-cn", "--config-path", "-cp", "--config-dir", "-cd")


def check_config_flags(argv: list[str]) -> None:
    """Refuse Hydra's config-selection options that cannot work here, in one line.

    Raises:
        ConfigError: ``--config-name`` other than ``config``, ``--config-path``,
            or a ``--config-dir`` that is not a folder.

    """
    for position, arg in enumerate(argv):
        flag, sep, value = arg.partition("=")
        if flag not in CONFIG_FLAGS:
            continue
        if not sep:
            value = argv[position + 1] if position + 1 < len(argv) else ""
        if flag in ("--config-name", "-cn") and value != CONFIG_NAME:
            raise ConfigError(
                f"{flag}: unknown config '{value}'; sim has one, '{CONFIG_NAME}': choose a "
                f"scenario instead (scenario=NAME; available: {', '.join(options('scenario'))})"
            )
        if flag in ("--config-path", "-cp"):
            raise ConfigError(
                f"{flag}: sim's configs ship with it; add your own with --config-dir=FOLDER "
                "or as results/scenarios/scenario/NAME.yaml"
            )
        if flag in ("--config-dir", "-cd") and not Path(value).is_dir():
            raise ConfigError(f"{flag}: {value or '(nothing)'} is not a folder")


def pin(argv: list[str], key: str, value: str) -> list[str]:
    """Return ``argv`` with ``key`` set to ``value`` (replacing the user's own ``key=...``)."""
    return [arg for arg in argv if not arg.startswith(f"{key}=")] + [f"{key}={quote(value)}"]


def preflight(argv: list[str]) -> list[str]:
    """Validate the run's config and folders from the command line, or exit with one line.

    Returns the command line with the run (or sweep) folder pinned to the one
    checked, so Hydra writes exactly where the checks looked.
    """
    global PLAN
    overrides = [arg for arg in argv if not arg.startswith("-")]
    multirun = "-m" in argv or "--multirun" in argv
    try:
        if multirun:
            return [*pin(argv, "hydra.sweep.dir", str(preflight_sweep(overrides))), *SWEEP_EXTRAS]
        composed = compose_config(overrides, with_hydra=True)
        config = to_sim_config(composed)
        check_inputs(config)
        plan = plan_run(str(composed.hydra.run.dir))
        check_disk(plan.folder, run_bytes(config.steps, config.plot), "hydra.run.dir")
        plan.claim()  # atomic: of two runs started into one folder, one gets it
        PLAN = plan
        signals.on_forced_stop(plan.discard)
        return pin(argv, "hydra.run.dir", str(plan.folder))
    except (HydraException, OmegaConfBaseException, ConfigError) as error:
        fail(explain(error))
    raise AssertionError("unreachable")


# Sweep runs keep their config in config.yaml (``run_sweep_job``): Hydra's own
# .hydra/ copy in every run folder would only add three files per run to write.
SWEEP_EXTRAS = ("hydra.output_subdir=null",)


def preflight_sweep(overrides: list[str]) -> Path:
    """Check a sweep before it starts; return its folder.

    The folder must be writable and hold no finished runs of another config;
    then, if any run is left to do, every swept value is composed and checked
    and the file system must have room for the runs. A finished sweep run
    again skips the value checks: nothing of it will run.

    Raises:
        ConfigError: one line naming the key and the reason.

    """
    settings = compose_config(first_values(overrides), with_hydra=True).hydra
    if not str(settings.sweep.dir).strip():
        raise ConfigError("hydra.sweep.dir must not be empty")
    folder = Path(str(settings.sweep.dir))
    writable_folder(folder, "hydra.sweep.dir")
    variants = sweep_variants(overrides, settings)
    first = compose_config(variants[0])  # the sweep file's own values included (study.world)
    if first.study.world is not None:
        check_sample(folder, first.study)
    check_resume(folder, overrides, settings)
    naming = settings.job.config.override_dirname
    jobs = sweep_jobs(settings, overrides)
    todo = [job for job in jobs if not is_complete(folder / override_dirname(job, naming))]
    if not todo:
        return folder
    for variant in variants:
        composed = compose_config(variant)
        check_inputs(to_sim_config(composed))
        if composed.study.world is not None:
            # a study: every sampled parameter at both ends of its range must be valid
            uset = load_uncertainty(str(composed.study.uncertainty))
            for end in ("low", "high"):
                values = {p.key: getattr(p, end) for p in uset.parameters}
                to_sim_config(apply_values(composed, values))
    config = to_sim_config(first)
    need = len(todo) * run_bytes(config.steps, config.plot) + SWEEP_FILE_BYTES
    check_disk(folder, need, "hydra.sweep.dir")
    return folder


def check_inputs(config: SimConfig) -> None:
    """Check what a config needs from the machine: a readable, valid graph file, enough memory."""
    if config.graph.kind == "edgelist":
        path = check_edgelist_file(str(config.graph.path))
        if not os.access(path, os.R_OK):
            raise ConfigError(f"graph.path: {path} is not readable (permission denied)")
        check_memory(config.graph)
        read_edgelist(path)  # the whole file, once: a bad line fails here, before any work
        return
    check_memory(config.graph)


def check_resume(folder: Path, overrides: list[str], settings: DictConfig) -> None:
    """Refuse to resume a sweep whose finished runs were made with another config."""
    if not folder.is_dir():
        return
    difference = resume_conflict(folder, overrides, settings)
    if difference:
        raise ConfigError(
            f"hydra.sweep.dir: {folder} holds finished runs made with another config "
            f"({difference}); use another hydra.sweep.dir or the original command"
        )


def environment_error(error: OSError) -> str:
    """One line for a fault of the machine: the path and the reason."""
    path = error.filename or ""
    reason = error.strerror or type(error).__name__
    return f"{path}: {reason}" if path else reason


def run_single(cfg: DictConfig, out_dir: Path) -> None:
    """Run one simulation; on bad input, a fault or a signal, leave nothing behind, one line."""
    plan = PLAN if PLAN is not None and PLAN.folder.resolve() == out_dir.resolve() else None
    plan = plan or RunPlan(folder=out_dir, existed_before={".hydra"})
    try:
        signals.check()  # a signal that came while Hydra wrote .hydra/
        config = to_sim_config(cfg)
        result = simulate(config)  # acts on a signal between days
        signals.check()
        signals.ignore_from_now()  # the last day is done: the run writes its files and ends
        write_results(result, out_dir, plot=config.plot)
    except ConfigError as error:
        plan.discard()
        fail(str(error))
    except OSError as error:
        plan.discard()
        fail(environment_error(error))
    except MemoryError:
        plan.discard()
        fail("out of memory while running; try a smaller graph.n_users or graph.mean_degree")
    except BaseException as error:
        plan.discard()
        stop = signals.stop_of(error)
        if stop is not None:
            stopped(stop, "the run's files were removed")
        raise
    print(summary_table(result.summary))
    print(f"results: {out_dir}")


def stopped(stop: KeyboardInterrupt, what: str) -> None:
    """End the command after a signal: one line, exit status ``128 + signal``."""
    status = stop.status if isinstance(stop, signals.Stop) else 130
    name = stop.name if isinstance(stop, signals.Stop) else "SIGINT"
    print(f"sim: interrupted ({name}); {what}", file=sys.stderr)
    raise SystemExit(status) from None


def run_sweep_job(
    cfg: DictConfig, out_dir: Path, overrides: list[str], sweep_dir: Path | None = None
) -> None:
    """Run one job of a sweep, unless it already finished; a failure is recorded, not raised.

    In an uncertainty study the job's sampled world is read from ``sweep_dir``.
    """
    sweep_dir = out_dir.parent if sweep_dir is None else sweep_dir
    exit_with_parent()
    if is_complete(out_dir):
        print(f"kept (finished earlier): {out_dir.name}")
        return
    reason = damage(out_dir)
    if reason is not None:  # an earlier attempt's files are not whole: run it again
        print(f"sim: recomputing a damaged run: {reason}", file=sys.stderr)
        (out_dir / SUMMARY).unlink()
    clear_failure(out_dir)
    try:
        cfg = apply_world(cfg, sweep_dir)
        config = to_sim_config(cfg)
        result = simulate(config, progress=False)
        config_text = OmegaConf.to_yaml(cfg, resolve=True)
        write_atomically(out_dir / CONFIG, lambda out: out.write(config_text))
        write_results(result, out_dir, plot=config.plot, written=[CONFIG])
    except Exception as error:  # one failed job must not stop the others or the aggregation
        stop = signals.stop_of(error)
        if stop is not None:
            raise stop from error
        reason = environment_error(error) if isinstance(error, OSError) else str(error)
        print(f"sim: run failed: {out_dir.name}: {reason}", file=sys.stderr)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            mark_failed(out_dir, overrides, error)
        except OSError:
            pass  # a full disk: the run is still not finished, and resume will run it again


@hydra.main(config_path="pkg://sim.scenarios", config_name="config", version_base="1.3")
def hydra_main(cfg: DictConfig) -> None:
    """Run one simulation, or one job of a sweep, into Hydra's output folder."""
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    use_file_backend()  # jobs may run in fresh worker processes
    settings = HydraConfig.get()
    out_dir = Path(settings.runtime.output_dir)
    if settings.mode == RunMode.MULTIRUN:
        run_sweep_job(cfg, out_dir, list(settings.overrides.task), Path(settings.sweep.dir))
    else:
        run_single(cfg, out_dir)


def hide_schemas_from_completion() -> None:
    """Keep the internal ``*_schema`` configs out of tab completion.

    Hydra completes config-group options from the ConfigStore too, where the
    typed schemas live next to the scenarios; they are not choices for a user.
    The first word also completes to a command, and ``sim run ...`` completes as
    ``sim ...`` does.
    """
    from hydra.plugins.completion_plugin import CompletionPlugin

    query = CompletionPlugin._query

    def filtered(self: CompletionPlugin, config_name: str | None, line: str) -> list[str]:
        # ``line`` is what follows ``sim``: a command word first is not an override
        words = line.split(" ")
        if words[0] in COMMANDS and len(words) > 1:
            if words[0] != "run":
                return []  # another command's arguments: not Hydra's to complete
            line = " ".join(words[1:])
        items = [item for item in query(self, config_name, line) if "_schema" not in item]
        if len(words) == 1:  # the first word may be a command
            items = [name for name in COMMANDS if name.startswith(words[0])] + items
        return items

    CompletionPlugin._query = filtered  # type: ignore[method-assign]


def report_sweeps() -> None:
    """After a multirun: exit non-zero, in one line, if any run did not finish or is damaged."""
    for folder in SWEEPS_STARTED:
        status = read_status(folder)
        unfinished = len(status["failed"]) + len(status["missing"]) + len(status["damaged"])
        if unfinished:
            names = sorted([*status["failed"], *status["damaged"], *status["missing"]])
            named = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            print(
                f"sim: error: {unfinished} of {status['expected']} runs did not finish "
                f"({len(status['failed'])} failed"
                + (f", {len(status['damaged'])} damaged" if status["damaged"] else "")
                + f"): {named}; "
                + ("" if folder in AGGREGATION_FAILED else f"see {folder / 'report.md'}; ")
                + "re-run the same command to run only those",
                file=sys.stderr,
            )
            raise SystemExit(1)


def register_plugins() -> None:
    """Register the project's Hydra plugins (Hydra's scan misses editable installs).

    ``hydra/launcher=slurm``'s class, and the sweeper every sweep uses. The
    sweeper is imported after the scan on purpose (``hydra_plugins.sim_sweeper``).
    """
    from hydra.core.plugins import Plugins

    plugins = Plugins.instance()  # scans once, re-executing Hydra's core plugin modules
    from hydra_plugins.sim_launcher import SlurmLauncher
    from hydra_plugins.sim_sweeper import SimSweeper

    plugins.register(SlurmLauncher)
    plugins.register(SimSweeper)


def main() -> None:
    """Run the command line (``python -m sim``, the ``sim`` console script).

    ``sim.__main__`` has installed ``sim.run.signals`` first: a signal that came
    during the imports is acted on here, before anything is written.
    """
    argv = sys.argv[1:]
    multirun = "-m" in argv or "--multirun" in argv
    try:
        signals.check()
        dispatch(argv, multirun)
    except KeyboardInterrupt as error:
        if PLAN is not None:
            PLAN.discard()
        if multirun and SWEEPS_STARTED and (SWEEPS_STARTED[-1] / MULTIRUN).is_file():
            finish_sweep(SWEEPS_STARTED[-1])
            stopped(error, "finished runs are kept; re-run the same command to resume")
        stopped(error, "the run's files were removed" if PLAN is not None else "stopped")


def dispatch(argv: list[str], multirun: bool) -> None:
    """Run the single run or the sweep that ``argv`` asks for."""
    use_file_backend()
    register_configs()
    register_plugins()
    os.environ[MAIN_ENV] = str(os.getpid())
    if "-sc" in argv or "--shell-completion" in argv:
        hide_schemas_from_completion()
    argv = quote_paths(argv)
    try:
        check_config_flags(argv)
    except ConfigError as error:
        fail(str(error))
    if HYDRA_FLAGS_WITHOUT_RUN.intersection(argv):
        sys.argv = [sys.argv[0], *argv]
        signals.act_at_once()
    else:
        sys.argv = [sys.argv[0], *preflight(argv)]
        signals.check()
        if multirun:
            signals.act_at_once()  # the parent waits on workers: a signal interrupts the wait
    try:
        hydra_main()
    except SystemExit:
        # the multirun aborted (a killed worker): aggregate what finished, if it launched
        if SWEEPS_STARTED and (SWEEPS_STARTED[-1] / MULTIRUN).is_file():
            finish_sweep(SWEEPS_STARTED[-1])
        raise
    report_sweeps()


if __name__ == "__main__":
    main()
