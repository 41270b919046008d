"""Config group ``scenario``: one YAML per platform policy."""
