"""``python -m sim.optimize`` (the frontier search): the same as ``sim optimize``, kept for the commands people already type."""

from sim.cli import entry

if __name__ == "__main__":
    entry("optimize")
