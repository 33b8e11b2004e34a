"""The tutorial's part-9 recipe app re-written on today's stack (FastAPI, Pydantic 2, SQLAlchemy 2).

A second yardstick for ``make bench``, beside the real one (``tutorial_part9``,
the tutorial's code on its own pinned versions): the same patterns (sync ORM
session from a generator dependency, ``def`` endpoints, ``@app.middleware("http")``
for X-Process-Time, the search that filters the first N rows in Python, a small
Jinja page) on the versions Recipe API runs on, so the two tell apart what the
stack costs from what the code costs. ``bare`` is the bare-FastAPI yardstick.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.templating import Jinja2Templates
from jinja2 import DictLoader, Environment
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String)


class Recipe(Base):
    __tablename__ = "recipe"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(256))
    url: Mapped[str] = mapped_column(String(256))
    source: Mapped[str] = mapped_column(String(256))
    submitter_id: Mapped[int] = mapped_column(ForeignKey("user.id"))


engine = create_engine(os.environ["DATABASE_URL"], connect_args={"check_same_thread": False})
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)
templates = Jinja2Templates(
    env=Environment(
        loader=DictLoader(
            {
                "index.html": "<html><body>{% for r in recipes %}<h2>{{ r.label }}</h2>"
                "<p>{{ r.source }}</p><a href='{{ r.url }}'>link</a>{% endfor %}</body></html>"
            }
        ),
        autoescape=True,
    )
)


class RecipeSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    label: str
    source: str
    url: str
    submitter_id: int


class RecipeSearchResults(BaseModel):
    results: list[RecipeSchema]


def get_db() -> Iterator[Session]:
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


app = FastAPI()


@app.middleware("http")
async def add_process_time_header(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    start_time = time.time()
    response = await call_next(request)
    response.headers["X-Process-Time"] = str(time.time() - start_time)
    return response


@app.get("/", status_code=200)
def root(request: Request, db: Session = Depends(get_db)) -> Any:  # noqa: B008
    recipes = db.query(Recipe).offset(0).limit(10).all()
    return templates.TemplateResponse(request, "index.html", {"recipes": recipes})


@app.get("/api/v1/recipes/search/", status_code=200, response_model=RecipeSearchResults)
def search_recipes(
    keyword: str | None = None,
    max_results: int = 10,
    db: Session = Depends(get_db),  # noqa: B008
) -> Any:
    recipes = db.query(Recipe).offset(0).limit(max_results).all()
    if not keyword:
        return {"results": recipes}
    results = filter(lambda recipe: keyword.lower() in recipe.label.lower(), recipes)
    return {"results": list(results)[:max_results]}


@app.get("/api/v1/recipes/{recipe_id}", status_code=200, response_model=RecipeSchema)
def fetch_recipe(recipe_id: int, db: Session = Depends(get_db)) -> Any:  # noqa: B008
    result = db.query(Recipe).filter(Recipe.id == recipe_id).first()
    if not result:
        raise HTTPException(status_code=404, detail=f"Recipe with ID {recipe_id} not found")
    return result


bare = FastAPI()


@bare.get("/api/v1/recipes/{recipe_id}")
async def constant(recipe_id: int) -> dict[str, Any]:
    return {"id": recipe_id, "label": "Chicken Vesuvio", "source": "Serious Eats"}
