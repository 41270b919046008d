"""``python -m sim.app_assets`` (the dashboard's browser files): the same as ``sim assets``.

Kept so the commands people already type keep working (``sim.cli``).
"""

from sim.cli import entry

if __name__ == "__main__":
    entry("assets")
