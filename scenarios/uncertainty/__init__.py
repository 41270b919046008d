"""Config group ``uncertainty``: declared ranges of the parameters no source pins."""
