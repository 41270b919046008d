"""``sim dock``: its arguments; the work is ``sim.verify.dock`` (loaded after parsing)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Return the arguments of ``sim dock``."""
    parser = argparse.ArgumentParser(
        prog="sim dock",
        description="Dock the fast engine against the per-agent reference (TOST + KS).",
    )
    parser.add_argument(
        "--scenario",
        default="all",
        help="a docked policy, or all (default); a name that is not one lists them",
    )
    parser.add_argument(
        "--regime",
        default="all",
        help="a docking regime (main, clustered, purchases, or a policy's own), or all "
        "(default: every case in sim.verify.dock.CASES)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="paired seeds (default 20; more where a regime or case needs them)",
    )
    parser.add_argument(
        "--fast",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="config overrides for the fast engine only (negative controls)",
    )
    parser.add_argument(
        "--baseline",
        choices=("reference", "fast"),
        default="reference",
        help="compare with the reference engine (default) or the unmodified fast engine "
        "with other random draws (checks the test's own power)",
    )
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        dest="common",
        help="config overrides for both engines (change the docking regime)",
    )
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument(
        "--power", action="store_true", help="dock every negative control (fault) instead"
    )
    parser.add_argument(
        "--sizes", action="store_true", help="scan fault sizes: smallest fault each metric detects"
    )
    parser.add_argument(
        "--plot", metavar="PNG", default=None, help="draw the Bass-limit figure to PNG and exit"
    )
    parser.add_argument("--markdown", metavar="FILE", default=None, help="also write the table(s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, then dock; return the exit status (0 equivalent, 1 not, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from sim.verify.dock import command

    return command(args, parser)
