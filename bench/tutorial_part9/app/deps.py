"""The session dependency (the tutorial's api/deps.py)."""

from collections.abc import Generator

from app.db import SessionLocal


def get_db() -> Generator:
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
