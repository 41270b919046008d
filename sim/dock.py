"""``python -m sim.dock`` (docking): the same as ``sim dock``.

Kept so the commands people already type keep working (``sim.cli``).
"""

from sim.cli import entry

if __name__ == "__main__":
    entry("dock")
