"""The model: agents, rules (ODD 7), compiled kernels, the arc table, graphs and the policies."""
