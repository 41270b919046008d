"""``python -m sim.bench`` (benchmarks): the same as ``sim bench``, kept for the commands people already type."""

from sim.cli import entry

if __name__ == "__main__":
    entry("bench")
