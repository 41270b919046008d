"""Hydra plugin entry for ``hydra/launcher=slurm``: Hydra loads launchers only from here.

The logic lives in ``sim.run.cluster``.
"""

from sim.run.cluster import SlurmLauncher as _SlurmLauncher


class SlurmLauncher(_SlurmLauncher):
    """``sim.run.cluster.SlurmLauncher`` under the name Hydra accepts."""


__all__ = ["SlurmLauncher"]
