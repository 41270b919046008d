"""``python -m sim.bench`` (benchmarks): the same as ``sim bench``.

Kept so the commands people already type keep working (``sim.cli``).
"""

from sim.cli import entry

if __name__ == "__main__":
    entry("bench")
