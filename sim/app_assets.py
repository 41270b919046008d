"""``python -m sim.app_assets`` (the dashboard's browser files): the same as ``sim assets``, kept for the commands people already type."""

from sim.cli import entry

if __name__ == "__main__":
    entry("assets")
