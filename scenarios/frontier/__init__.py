"""Config group ``frontier``: a policy's levers and ranges for ``python -m sim.optimize``."""
