"""``python -m sim.compare`` (aggregate a sweep): the same as ``sim compare``.

Kept so the commands people already type keep working (``sim.cli``).
"""

from sim.cli import entry

if __name__ == "__main__":
    entry("compare")
