"""Running the model: one run, sweeps, their folders, signals and the SLURM launcher."""
