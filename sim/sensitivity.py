"""``python -m sim.sensitivity`` (re-analyse a study): the same as ``sim sensitivity``.

Kept so the commands people already type keep working (``sim.cli``).
"""

from sim.cli import entry

if __name__ == "__main__":
    entry("sensitivity")
