"""Two writes of one recipe whose reads and writes interleave, forced, on both backends.

Two threads run the same use case on two connections of their own. A
barrier holds each just before its write until the other has done its
read, the interleaving a busy service meets by chance (``tests/test_races.py``
meets it through two served workers): both read the same row, then both
write. Before issue 19's fixes the second write went through on what it
had read: a save over a changed recipe, a total made of a stale part, a
second recipe from one idea.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.db.engine import Database
from recipe_api.recipes import repository, service
from recipe_api.recipes.schemas import RecipeCreate, RecipeUpdate
from recipe_api.users.repository import get_user
from recipe_api.users.schemas import UserOut
from tests.conftest import MakeAccount

WRITERS = 2


def _hold_before(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """``repository.<name>`` waits until every writer has reached it, then runs."""
    barrier = threading.Barrier(WRITERS, timeout=10)
    original: Callable[..., Any] = getattr(repository, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(repository, name, held)


async def _at_once(db: Database, *calls: tuple[Callable[..., Any], tuple[Any, ...]]) -> list[Any]:
    """Each ``(unit_of_work, args)`` in a thread and a transaction of its own; results or errors."""

    def run(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        return db.run_sync(fn, *args)

    return await asyncio.gather(
        *(asyncio.to_thread(run, fn, args) for fn, args in calls), return_exceptions=True
    )


@pytest.fixture
async def cook(app: FastAPI, make_account: MakeAccount) -> UserOut:
    account = await make_account("racer@example.com")
    row = await app.state.db.read(get_user, account.id)
    assert row is not None
    return UserOut.model_validate(row)


async def test_two_saves_of_one_seen_version_one_wins(
    app: FastAPI, client: httpx.AsyncClient, cook: UserOut, monkeypatch: pytest.MonkeyPatch
) -> None:
    db: Database = app.state.db
    recipe = await service.create_recipe(db, RecipeCreate(label="Dal"), user=cook)
    seen = service.fingerprint(recipe)
    _hold_before(monkeypatch, "update_recipe")
    edits = [RecipeCreate(label=f"Dal, tab {n}") for n in range(WRITERS)]
    results = await _at_once(
        db, *((service._replace, (recipe.id, edit, cook, seen)) for edit in edits)
    )
    refused = [r for r in results if isinstance(r, service.RecipeChangedError)]
    saved = [r for r in results if not isinstance(r, BaseException)]
    assert (len(saved), len(refused)) == (1, WRITERS - 1), results
    stored = await service.get_recipe(db, recipe.id)
    assert stored.label == saved[0].label


async def test_two_partial_updates_at_once_add_up_the_latest_parts(
    app: FastAPI, client: httpx.AsyncClient, cook: UserOut, monkeypatch: pytest.MonkeyPatch
) -> None:
    db: Database = app.state.db
    recipe = await service.create_recipe(
        db, RecipeCreate(label="Stew", prep_minutes=5, cook_minutes=5), user=cook
    )
    _hold_before(monkeypatch, "update_recipe")
    results = await _at_once(
        db,
        (service._update, (recipe.id, RecipeUpdate(prep_minutes=12), cook)),
        (service._update, (recipe.id, RecipeUpdate(cook_minutes=22), cook)),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    stored = await service.get_recipe(db, recipe.id)
    assert (stored.prep_minutes, stored.cook_minutes, stored.total_minutes) == (12, 22, 34)


async def test_a_total_given_with_a_part_is_kept(
    app: FastAPI, client: httpx.AsyncClient, cook: UserOut
) -> None:
    db: Database = app.state.db
    recipe = await service.create_recipe(
        db, RecipeCreate(label="Bread", prep_minutes=20, cook_minutes=40), user=cook
    )
    changed = await service.update_recipe(
        db, recipe.id, RecipeUpdate(prep_minutes=30, total_minutes=600), user=cook
    )
    assert (changed.prep_minutes, changed.total_minutes) == (30, 600)
    cleared = await service.update_recipe(
        db, recipe.id, RecipeUpdate(prep_minutes=None, cook_minutes=None), user=cook
    )
    assert cleared.total_minutes is None
    one_part = await service.update_recipe(db, recipe.id, RecipeUpdate(cook_minutes=7), user=cook)
    assert one_part.total_minutes == 7


async def test_one_idea_saved_twice_at_once_is_one_recipe(
    app: FastAPI, client: httpx.AsyncClient, cook: UserOut, monkeypatch: pytest.MonkeyPatch
) -> None:
    db: Database = app.state.db
    idea = RecipeCreate(label="Traybake", url="https://cooking.example.com/traybake")
    permalink = "https://www.reddit.com/r/recipes/comments/abc123/traybake/"
    # Both have looked for a recipe at the idea's address (none yet) before either writes.
    _hold_before(monkeypatch, "submitted_with_url")
    results = await _at_once(
        db, *((service._create_once, (idea, cook, permalink)) for _ in range(WRITERS))
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({recipe_id for recipe_id, _created in results}) == 1, results
    assert sorted(created for _id, created in results) == [False, True]
    mine = await service.list_recipes_by_submitter(db, cook.id, skip=0, limit=10, key=b"k")
    assert mine.total == 1
