"""Favourites: a cook marks the recipes they can see, and lists them."""
