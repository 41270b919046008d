"""Config group ``graph``: one YAML per social-graph family."""
