"""``python -m sim.optimize`` (the frontier search): the same as ``sim optimize``.

Kept so the commands people already type keep working (``sim.cli``).
"""

from sim.cli import entry

if __name__ == "__main__":
    entry("optimize")
