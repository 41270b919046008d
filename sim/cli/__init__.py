"""The command line: ``sim COMMAND ...`` (the ``sim`` console script, ``python -m sim``).

``sim run`` is the default: ``sim scenario=rectify`` and ``sim run scenario=rectify``
are the same run, and ``-m`` makes either a sweep. Every other command has its
own module, imported only when it is asked for, so ``sim --help`` and every
command's ``--help`` answer without loading the engine, Hydra or matplotlib.
Each ``python -m sim.X`` the documentation has ever named (``sim.dock``,
``sim.calibrate``, ...) is a three-line module that calls :func:`entry`.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import NoReturn


@dataclass(frozen=True)
class Command:
    """One subcommand: the module that implements it and one line on what it does."""

    module: str
    summary: str


COMMANDS: dict[str, Command] = {
    "run": Command("sim.cli.run", "one run, or a sweep with -m (Hydra overrides: key=value ...)"),
    "compare": Command("sim.cli.compare", "aggregate a sweep: tables, plots, report.md"),
    "calibrate": Command("sim.cli.calibrate", "fit the user-response parameters to the survey"),
    "optimize": Command("sim.cli.optimize", "search a policy's levers: the frontier report"),
    "sensitivity": Command("sim.cli.sensitivity", "re-analyse an uncertainty study's runs"),
    "dock": Command("sim.cli.dock", "dock the fast engine against the per-agent reference"),
    "bench": Command("sim.cli.bench", "speed and memory benchmarks"),
    "app": Command("sim.dashboard.serve", "the browser dashboard"),
    "assets": Command("sim.dashboard.assets", "fetch the dashboard's browser files once"),
}

USAGE = """usage: sim [COMMAND] [ARGS ...]

commands:
{commands}

With no command, or with key=value overrides first, sim runs: `sim scenario=rectify`
is `sim run scenario=rectify`. `sim COMMAND --help` explains each command.
"""


def usage() -> str:
    """Return the top-level help: every command and what it does."""
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {command.summary}" for name, command in COMMANDS.items()]
    return USAGE.format(commands="\n".join(lines))


def run_help() -> str:
    """Return ``sim run --help``, the help text in ``scenarios/config.yaml``, without Hydra.

    Hydra would print the same template, but only after composing the config
    and formatting config groups the template never shows (seconds); the
    scenarios are the files of the ``scenario`` group.
    """
    import string
    from importlib import resources

    import yaml

    root = resources.files("sim.scenarios")
    config = yaml.safe_load(root.joinpath("config.yaml").read_text())
    default = next(
        entry["scenario"]
        for entry in config["defaults"]
        if isinstance(entry, dict) and "scenario" in entry
    )
    names = sorted(
        entry.name.removesuffix(".yaml")
        for entry in root.joinpath("scenario").iterdir()
        if entry.name.endswith(".yaml")
    )
    names = [f"{default} (default)"] + [name for name in names if name != default]
    template = string.Template(config["hydra"]["help"]["template"])
    return template.safe_substitute(SCENARIOS=", ".join(names)) + "\n"


def fail(message: str) -> NoReturn:
    """Print ``sim: error: message`` on stderr and exit with status 2."""
    print(f"sim: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def entry(name: str, argv: list[str] | None = None) -> NoReturn:
    """Run command ``name`` with ``argv`` (default: this process's arguments) and exit.

    Signals are the command's own from here: Ctrl-C or SIGTERM interrupt it
    at once (the run command handles them itself, ``sim.run.signals``).
    """
    from sim.run import signals

    args = sys.argv[1:] if argv is None else argv
    command = COMMANDS[name]
    if name == "run":
        if "--help" in args or "-h" in args:
            print(run_help(), end="")
            raise SystemExit(0)
        sys.argv = [sys.argv[0], *args]
        importlib.import_module(command.module).main()
        raise SystemExit(0)
    signals.install()
    signals.check()
    signals.act_at_once()
    result = importlib.import_module(command.module).main(args)
    raise SystemExit(result or 0)


def main(argv: list[str] | None = None) -> NoReturn:
    """Dispatch ``sim [COMMAND] [ARGS ...]``."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["help"] and len(args) == 2 and args[1] in COMMANDS:
        args = [args[1], "--help"]  # sim help dock
    if args[:1] in (["-m"], ["--multirun"]) and args[1:2] == ["run"]:
        args = ["run", args[0], *args[2:]]  # sim -m run +sweep=quick
    if args[:1] in (["-h"], ["--help"]) or args == ["help"]:
        print(usage() + "\nsim run --help:\n\n" + run_help(), end="")
        raise SystemExit(0)
    if args and args[0] in COMMANDS:
        entry(args[0], args[1:])
    if args and not args[0].startswith("-") and "=" not in args[0]:
        import difflib

        word = args[0].lower()
        near = [name for name in COMMANDS if word.startswith(name) or name.startswith(word)]
        near = near or difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.75)
        if near:  # a misspelt command; anything else is the run's to explain (scenario rectify)
            fail(f"unknown command {args[0]!r}; did you mean {near[0]}? (sim --help)")
    entry("run", args)
