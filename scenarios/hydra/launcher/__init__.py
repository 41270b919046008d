"""Config group ``hydra/launcher``: launcher settings for clusters."""
