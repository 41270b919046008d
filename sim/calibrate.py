"""``python -m sim.calibrate`` (calibration): the same as ``sim calibrate``.

Kept so the commands people already type keep working (``sim.cli``).
"""

from sim.cli import entry

if __name__ == "__main__":
    entry("calibrate")
