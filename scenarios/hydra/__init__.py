"""Hydra settings shipped with sim (launcher configs)."""
