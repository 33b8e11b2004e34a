"""Recipes: the API's main resource."""
