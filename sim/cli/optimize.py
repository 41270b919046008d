"""``sim optimize``: its arguments; the work is ``sim.study.optimize`` (loaded after parsing)."""

from __future__ import annotations

import argparse
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """Return the arguments of ``sim optimize``."""
    parser = argparse.ArgumentParser(
        prog="sim optimize",
        description="Win-win frontier: a search over a policy's levers, net GMV against UX.",
    )
    parser.add_argument("--config", default="rectify", help="frontier name or YAML path")
    parser.add_argument("--trials", type=int, default=None, help="total trials wanted")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per trial")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    parser.add_argument("--out", type=Path, default=None, help="default results/frontier/<name>")
    parser.add_argument(
        "--slurm-tasks",
        type=int,
        default=None,
        metavar="K",
        help="spread the trials over K SLURM array tasks sharing the study's journal "
        "(run from a login node; --out on the shared file system)",
    )
    parser.add_argument("--slurm-partition", default=None, help="SLURM partition")
    parser.add_argument("--slurm-account", default=None, help="SLURM account")
    parser.add_argument(
        "--slurm-timeout", type=int, default=60, help="minutes per task (default 60)"
    )
    parser.add_argument("overrides", nargs="*", help="key=value added to every run")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse, then run the frontier search."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from sim.study.optimize import command

    command(args, parser)
