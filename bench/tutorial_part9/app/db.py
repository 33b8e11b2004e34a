"""Engine, session factory and declarative base (the tutorial's db/session.py and base_class)."""

import os

from sqlalchemy import create_engine
from sqlalchemy.orm import as_declarative, declared_attr, sessionmaker

SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///example.db")

engine = create_engine(
    SQLALCHEMY_DATABASE_URI,
    # SQLite objects may only be used in their thread unless told otherwise.
    connect_args={"check_same_thread": False},
)
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)


@as_declarative()
class Base:
    id: int
    __name__: str

    @declared_attr
    def __tablename__(cls) -> str:
        return cls.__name__.lower()
