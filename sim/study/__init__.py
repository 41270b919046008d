"""Studies over many runs: aggregation, reports, uncertainty, calibration and the frontier."""
