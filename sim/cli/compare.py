"""``sim compare``: its arguments; the work is ``sim.study.aggregate`` (loaded after parsing)."""

from __future__ import annotations

import argparse
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """Return the arguments of ``sim compare``."""
    parser = argparse.ArgumentParser(
        prog="sim compare", description="Aggregate a sweep into tables, plots and a report."
    )
    parser.add_argument("sweep_dir", type=Path, help="the sweep folder (holds multirun.yaml)")
    parser.add_argument(
        "--intensity", type=float, default=None, help="intensity for the time-series ribbons"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse, then aggregate the sweep."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from sim.study.aggregate import command

    command(args, parser)
