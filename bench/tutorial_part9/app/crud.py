"""Generic CRUD objects (the tutorial's crud/base.py, crud_recipe.py and crud_user.py).

Only the reads are here: the benchmark never writes.
"""

from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from app.db import Base
from app.models import Recipe, User

ModelType = TypeVar("ModelType", bound=Base)


class CRUDBase(Generic[ModelType]):
    def __init__(self, model: type[ModelType]):
        self.model = model

    def get(self, db: Session, id: Any) -> ModelType | None:
        return db.query(self.model).filter(self.model.id == id).first()

    def get_multi(self, db: Session, *, skip: int = 0, limit: int = 5000) -> list[ModelType]:
        return db.query(self.model).order_by(self.model.id).offset(skip).limit(limit).all()


class CRUDRecipe(CRUDBase[Recipe]):
    pass


class CRUDUser(CRUDBase[User]):
    def get_by_email(self, db: Session, *, email: str) -> User | None:
        return db.query(User).filter(User.email == email).first()


recipe = CRUDRecipe(Recipe)
user = CRUDUser(User)
