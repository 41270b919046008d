"""Figures: one run's, a sweep's and a study's, drawn from plain tables.

``use_file_backend`` is here, not in ``plotting``: the command line calls it
before anything is drawn, and this imports matplotlib without pyplot.
"""

import matplotlib


def use_file_backend() -> None:
    """Draw without a screen (the command-line entry points call this; notebooks keep theirs)."""
    matplotlib.use("Agg")
