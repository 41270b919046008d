"""Reference implementation of the model, agent by agent (docking and benchmarks only)."""
