"""Figures: one run's, a sweep's and a study's, drawn from plain tables.

``use_file_backend`` is here, not in ``plotting``: the command line calls it
before anything is drawn, and it must not load matplotlib to do so.
"""

import os
import sys


def use_file_backend() -> None:
    """Draw without a screen (the command-line entry points call this; notebooks keep theirs).

    Before matplotlib is loaded this only sets ``MPLBACKEND`` (also seen by
    worker processes), so a command that never draws never pays for it.
    """
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")
    else:
        os.environ["MPLBACKEND"] = "Agg"
