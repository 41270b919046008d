"""``sim calibrate``: its arguments; the work is ``sim.study.calibrate`` (loaded after parsing)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Return the arguments of ``sim calibrate``."""
    parser = argparse.ArgumentParser(
        prog="sim calibrate",
        description="Fit declared free parameters to declared targets (Optuna TPE); resumable.",
    )
    parser.add_argument("overrides", nargs="*", help="extra config overrides for every trial")
    parser.add_argument("--config", default="default", help="calibration name or YAML path")
    parser.add_argument("--trials", type=int, help="total trials wanted (default: the file's)")
    parser.add_argument("--seeds", type=int, help="seeds per trial (default: the file's)")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the seeds (default 2)")
    parser.add_argument("--out", help="output folder (default results/calibration/<name>)")
    parser.add_argument(
        "--families", action="store_true", help="also check the fit on other graph families"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, then run the calibration; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from sim.study.calibrate import command

    return command(args, parser)
