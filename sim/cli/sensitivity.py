"""``sim sensitivity``: its arguments; the work is ``sim.study.sensitivity``, loaded after."""

from __future__ import annotations

import argparse
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """Return the arguments of ``sim sensitivity``."""
    parser = argparse.ArgumentParser(
        prog="sim sensitivity",
        description="Sensitivity indices, robust ranking and PRIM of an uncertainty study.",
    )
    parser.add_argument("study_dir", type=Path, help="the study folder (holds sample.csv)")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse, then analyse the study."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from sim.study.sensitivity import command

    command(args, parser)
