"""``python -m sim.dock`` (docking): the same as ``sim dock``, kept for the commands people already type."""

from sim.cli import entry

if __name__ == "__main__":
    entry("dock")
