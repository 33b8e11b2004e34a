"""Recipe API: a cooking-recipe REST service on FastAPI."""

__version__ = "0.1.0"
