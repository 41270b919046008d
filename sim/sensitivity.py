"""``python -m sim.sensitivity`` (re-analyse a study): the same as ``sim sensitivity``, kept for the commands people already type."""

from sim.cli import entry

if __name__ == "__main__":
    entry("sensitivity")
