"""Hydra plugin entry for ``hydra/launcher=slurm``: Hydra loads launchers only from here.

The logic lives in ``sim.cluster``.
"""

from sim.cluster import SlurmLauncher as _SlurmLauncher


class SlurmLauncher(_SlurmLauncher):
    """``sim.cluster.SlurmLauncher`` under the name Hydra accepts."""


__all__ = ["SlurmLauncher"]
