"""``python -m sim.compare`` (aggregate a sweep): the same as ``sim compare``, kept for the commands people already type."""

from sim.cli import entry

if __name__ == "__main__":
    entry("compare")
