"""Config group ``sweep``: named sweeps (``python -m sim -m +sweep=NAME``)."""
