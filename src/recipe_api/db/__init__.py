"""Database engine, declarative base, Alembic migrations and seed data."""
