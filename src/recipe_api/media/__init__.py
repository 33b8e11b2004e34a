"""Photos of recipes: checked, re-encoded to WebP in four widths, kept in the database, served."""
