"""Foundations every layer uses: the config schema, the outcome vocabulary, file writing."""
