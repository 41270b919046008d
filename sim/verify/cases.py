"""The benchmark's cases by name (``sim bench``): plain data, so its --help lists them at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One benchmark case."""

    name: str
    engine: str
    n_users: int
    mean_degree: float
    days: int
    by_name_only: bool = False  # not in "everything": run only when named in --cases


CASES = {
    case.name: case
    for case in (
        Case("ref-2k", "reference", 2_000, 50, 30),
        Case("fast-2k", "fast", 2_000, 50, 30),
        Case("ref-10k", "reference", 10_000, 50, 30),
        Case("fast-10k", "fast", 10_000, 50, 30),
        Case("default", "fast", 5_000, 124, 365),
        Case("fast-100k", "fast", 100_000, 50, 365),
        Case("fast-1m", "fast", 1_000_000, 50, 365),
        # ten million users (500 million arcs): about 20 GB and half an hour here; never in CI
        Case("fast-10m", "fast", 10_000_000, 50, 365, by_name_only=True),
        Case("app-2k", "app", 2_000, 50, 365),
    )
}
QUICK = ("ref-2k", "fast-2k", "default")
EVERYTHING = tuple(name for name, case in CASES.items() if not case.by_name_only)
"""What ``sim bench`` runs when no case is named."""

# Uncertainty studies, run as the user runs them (python -m sim -m +study=...):
# name -> (study, extra overrides, runs of the full screening the figure projects to).
STUDIES: dict[str, tuple[str, tuple[str, ...]]] = {
    # the real case: Morris, 24 parameters, 20 trajectories, 4 policies = 2,000 runs
    "study-screening": ("screening", ()),
    # the same design with 2 trajectories (200 runs); the table projects to 2,000
    "study-reduced": ("screening", ("study.trajectories=2",)),
    # the tests' study: 112 short runs on 300 users
    "study-quick": ("quick", ()),
}
SCREENING_RUNS = 2_000


# The dashboard in a browser (Debian's chromium through Playwright, against `sim app`'s own
# server on this machine): name -> what it measures.
BROWSER: dict[str, str] = {
    "app-play": "Play pressed once: wall seconds for a year of four policies on 1,000 users",
    "app-sessions": "the server's RSS over 8 browser sessions, each opened, stepped and closed",
}

# The command line's start-up (``sim bench --cases startup``): what a command
# pays before doing anything. Each timing is the median of a few repeats, after
# one run that fills numba's cache.
STARTUP: dict[str, tuple[str, ...]] = {
    "sim --help": ("--help",),
    "sim run --help": ("run", "--help"),
    "sim dock --help": ("dock", "--help"),
    "sim optimize --help": ("optimize", "--help"),
    "sim calibrate --help": ("calibrate", "--help"),
}
STARTUP_RUN = ("steps=1", "graph.n_users=1000", "plot=false")  # a run timed to its first day
