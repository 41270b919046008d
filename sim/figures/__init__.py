"""Figures: one run's, a sweep's and a study's, drawn from plain tables."""
