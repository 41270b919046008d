"""``python -m sim.calibrate`` (calibration): the same as ``sim calibrate``, kept for the commands people already type."""

from sim.cli import entry

if __name__ == "__main__":
    entry("calibrate")
