"""``sim bench``: its arguments; the work is ``sim.verify.bench`` (loaded after parsing)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.verify.cases import BROWSER, CASES, EVERYTHING, QUICK, STUDIES


def build_parser() -> argparse.ArgumentParser:
    """Return the arguments of ``sim bench``."""
    parser = argparse.ArgumentParser(
        prog="sim bench",
        description="Speed and memory benchmarks; each case runs in its own process.",
    )
    parser.add_argument(
        "--cases",
        default=",".join(EVERYTHING),
        help="comma-separated cases (default: the engine cases but "
        f"{', '.join(n for n in CASES if n not in EVERYTHING)}): "
        f"{', '.join([*CASES, *STUDIES, *BROWSER, 'startup'])}",
    )
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)} (< 1 min)")
    parser.add_argument(
        "--out", type=Path, default=Path("results/bench"), help="folder for the JSON"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="run study cases in KEEP/<case> and keep their results (default: a temporary folder)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse, then run the benchmark."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from sim.verify.bench import command

    command(args, parser)
