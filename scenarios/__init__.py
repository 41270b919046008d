"""Configuration package: the Hydra config groups, shipped as ``sim.scenarios``."""
