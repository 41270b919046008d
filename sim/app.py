"""``python -m sim.app`` (the browser dashboard): the same as ``sim app``, kept for the commands people already type."""

from sim.cli import entry

if __name__ == "__main__":
    entry("app")
