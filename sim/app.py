"""``python -m sim.app`` (the browser dashboard): the same as ``sim app``.

Kept so the commands people already type keep working (``sim.cli``).
"""

from sim.cli import entry

if __name__ == "__main__":
    entry("app")
