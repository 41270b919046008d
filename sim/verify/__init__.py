"""Verification: the per-agent reference twin, docking, the Bass limit and benchmarks."""
