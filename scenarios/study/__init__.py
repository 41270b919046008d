"""Config group ``study``: uncertainty studies (SALib samples run as Hydra multiruns)."""
