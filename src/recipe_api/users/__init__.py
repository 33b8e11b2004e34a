"""Users: the people who submit recipes."""
