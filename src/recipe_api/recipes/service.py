"""Recipe use cases: each is one unit of work run by ``Database.run``.

The rules of who may write live here, next to the writes they guard: anyone
logged in submits in their own name, only a superuser in another's, and only
the submitter or a superuser changes or deletes a recipe.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection

from recipe_api.db.engine import Database
from recipe_api.errors import AppError, NotFoundError, PermissionDeniedError
from recipe_api.recipes import ingredients, repository
from recipe_api.recipes.cache import Cached, VersionedCache, recipes_version
from recipe_api.recipes.importer import Importer, read_pasted_recipe, read_recipe
from recipe_api.recipes.schemas import (
    RecipeCreate,
    RecipeDetail,
    RecipeOut,
    RecipeUpdate,
    RecipeWindow,
)
from recipe_api.recipes.visibility import ANONYMOUS, Viewer, pick
from recipe_api.schemas import Page
from recipe_api.users.repository import get_user
from recipe_api.users.schemas import UserOut

__all__ = ["Cursor"]

R = TypeVar("R", bound=RecipeOut)


class InvalidReferenceError(AppError):
    """A body names something that does not exist (an unknown submitter)."""

    status_code = 422


class InvalidCursorError(AppError):
    status_code = 400


class RecipeChangedError(AppError):
    """The recipe was written since the form that would replace it was opened."""

    status_code = 409


def fingerprint(recipe: RecipeOut) -> str:
    """A digest of all that is stored of a recipe: every write changes it.

    ``updated_at`` would not do: on SQLite it counts whole seconds.
    """
    return hashlib.sha256(recipe.model_dump_json().encode()).hexdigest()[:32]


def _not_found(recipe_id: int) -> NotFoundError:
    return NotFoundError(f"Recipe with ID {recipe_id} not found")


def existing_recipe(connection: Connection, recipe_id: int) -> RecipeOut:
    """The recipe, read in the caller's unit of work; NotFoundError when there is none."""
    row = repository.get_recipe(connection, recipe_id)
    if row is None:
        raise _not_found(recipe_id)
    return RecipeOut.model_validate(row)


async def get_recipe(db: Database, recipe_id: int, viewer: Viewer = ANONYMOUS) -> RecipeOut:
    """The recipe if ``viewer`` may see it; another cook's private recipe is not found (404)."""
    statement, params = pick(repository.VISIBLE_GET, viewer)
    row = await db.read_row(statement, {**params, "recipe_id": recipe_id})
    if row is None:
        raise _not_found(recipe_id)
    return RecipeOut.model_validate(row)


async def recipe_answer(
    db: Database, cache: VersionedCache, recipe_id: int, viewer: Viewer = ANONYMOUS
) -> Cached:
    """The recipe's JSON answer and its ETag, as ``viewer`` may see it.

    On SQLite it is kept per recipes version: the version is read in a few µs
    straight from sqlite3, the row through SQLAlchemy and Pydantic in tens.
    On PostgreSQL the version would cost a round trip as the row does, so the
    row is read each time. Only a public recipe's answer is kept (under one
    key for every viewer): a private one is read each time, so the cache
    never holds what one cook may see and another may not. With the cache off,
    the version is not read.
    """
    if not db.inline or cache.off:
        return Cached.of(_json_of(await get_recipe(db, recipe_id, viewer)))
    key = ("recipe", recipe_id)
    version = await recipes_version(db)
    found = cache.get(version, key)
    if found is None:
        recipe = await get_recipe(db, recipe_id, viewer)
        found = Cached.of(_json_of(recipe))
        if not recipe.private:
            cache.put(version, key, found)
    return found


async def adjusted_recipe_answer(
    db: Database,
    recipe_id: int,
    servings: int | None,
    units: ingredients.Units | None,
    viewer: Viewer = ANONYMOUS,
) -> Cached:
    """The recipe's JSON for other servings or units: never cached, rarely asked."""
    recipe = adjust(await get_recipe(db, recipe_id, viewer), servings, units)
    return Cached.of(_json_of(recipe))


def adjust(recipe: R, servings: int | None, units: ingredients.Units | None) -> R:
    """The recipe with its amounts for ``servings`` and in ``units``, its steps' temperatures too.

    Lines stay as written where there is nothing to change; the stored recipe
    is untouched. A recipe whose yield gives no number ("a pot") is not
    scaled: its ``servings`` stays as written, which tells the client so.
    """
    factor = 1.0
    changes: dict[str, Any] = {}
    written = ingredients.servings_number(recipe.servings)
    if servings is not None and written is not None:
        factor = servings / written
        changes["servings"] = str(servings)
    changes["ingredients"] = [
        ingredients.adjust_line(line, factor, units) for line in recipe.ingredients
    ]
    if units is not None:
        changes["instructions"] = [
            ingredients.convert_temperatures(step, units) for step in recipe.instructions
        ]
    return recipe.model_copy(update=changes)


def _json_of(model: BaseModel) -> bytes:
    return model.__pydantic_serializer__.to_json(model)


# Bytes of HMAC-SHA256 a cursor carries: 128 bits, beyond guessing.
_CURSOR_MAC_BYTES = 16


def cursor_key(secret: str) -> bytes:
    """The key that signs list cursors, derived from the service's secret.

    Its own key, so a cursor's signature can never stand in for another
    signed value (a token, a CSRF field).
    """
    return hmac.new(secret.encode(), b"recipe list cursor", hashlib.sha256).digest()


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last recipe's id and creation time, opaque to clients.

    Signed: a cursor the service did not give out (made up, edited, or signed
    with another secret) is refused before any of it reaches a query, so its
    content (an id past the integer column, the year 1) cannot fail there.
    """

    after_id: int
    after_created_at: datetime

    def encode(self, key: bytes) -> str:
        payload = json.dumps([self.after_id, self.after_created_at.isoformat()]).encode()
        raw = _cursor_mac(key, payload) + payload
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, key: bytes) -> Cursor:
        refused = InvalidCursorError("The cursor is not one this service gave out")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise refused from exc
        mac, payload = raw[:_CURSOR_MAC_BYTES], raw[_CURSOR_MAC_BYTES:]
        if not hmac.compare_digest(mac, _cursor_mac(key, payload)):
            raise refused
        after_id, created = json.loads(payload)
        return cls(after_id=after_id, after_created_at=datetime.fromisoformat(created))


def _cursor_mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_CURSOR_MAC_BYTES]


async def get_recipe_detail(
    db: Database, recipe_id: int, viewer: Viewer = ANONYMOUS
) -> RecipeDetail:
    """The recipe and its submitter's name, in one round trip; 404 if ``viewer`` may not see it."""
    statement, params = pick(repository.GET_RECIPE_WITH_SUBMITTER, viewer)
    row = await db.read_row(statement, {**params, "recipe_id": recipe_id})
    if row is None:
        raise _not_found(recipe_id)
    return RecipeDetail.model_validate(row)


def _page(
    connection: Connection,
    skip: int,
    limit: int,
    cursor: Cursor | None,
    key: bytes,
    viewer: Viewer,
) -> Page[RecipeOut]:
    if cursor is None:
        rows = repository.list_recipes(connection, viewer, skip=skip, limit=limit)
    else:
        rows = repository.list_recipes_after(
            connection,
            after_id=cursor.after_id,
            after_created_at=cursor.after_created_at,
            limit=limit,
            viewer=viewer,
        )
    total = repository.count_recipes(connection, viewer)
    return _page_of(rows, total, skip, limit, key, "/api/v1/recipes/")


def _page_of(
    items: object, total: int, skip: int, limit: int, key: bytes, path: str
) -> Page[RecipeOut]:
    """A page of ``items``; a full one links the next by a cursor signed with ``key``."""
    page = Page[RecipeOut].model_validate(
        {"items": items, "total": total, "skip": skip, "limit": limit}
    )
    if len(page.items) == limit:
        last = page.items[-1]
        token = Cursor(after_id=last.id, after_created_at=last.created_at).encode(key)
        page.next = f"{path}?limit={limit}&cursor={token}"
    return page


async def list_recipes(
    db: Database,
    *,
    skip: int = 0,
    limit: int,
    cursor: str | None = None,
    key: bytes,
    viewer: Viewer = ANONYMOUS,
) -> Page[RecipeOut]:
    """A page of what ``viewer`` sees, newest first: after ``cursor``, or ``skip`` rows in.

    ``total`` is the count the database keeps in ``recipe_count`` less the
    private recipes of others (counted through their own small index).
    ``key`` (:func:`cursor_key`) signs the ``next`` cursor and checks ``cursor``.
    """
    after = None if cursor is None else Cursor.decode(cursor, key)
    return await db.read(_page, skip, limit, after, key, viewer)


MY_RECIPES_PATH = "/api/v1/recipes/my-recipes/"


def _by_submitter(
    connection: Connection,
    submitter_id: int,
    skip: int,
    limit: int,
    cursor: Cursor | None,
    key: bytes,
) -> Page[RecipeOut]:
    if cursor is None:
        items, total = repository.list_recipes_by_submitter(
            connection, submitter_id, skip=skip, limit=limit
        )
    else:
        items = repository.list_recipes_after(
            connection,
            after_id=cursor.after_id,
            after_created_at=cursor.after_created_at,
            limit=limit,
            submitter_id=submitter_id,
        )
        total = repository.count_recipes_by_submitter(connection, submitter_id)
    return _page_of(items, total, skip, limit, key, MY_RECIPES_PATH)


async def list_recipes_by_submitter(
    db: Database,
    submitter_id: int,
    *,
    skip: int = 0,
    limit: int,
    cursor: str | None = None,
    key: bytes,
) -> Page[RecipeOut]:
    """The cook's recipes, newest first: after ``cursor`` (from ``next``), or ``skip`` rows in.

    ``key`` (:func:`cursor_key`) signs the ``next`` cursor and checks ``cursor``.
    """
    after = None if cursor is None else Cursor.decode(cursor, key)
    return await db.read(_by_submitter, submitter_id, skip, limit, after, key)


def _window(
    rows: Sequence[Mapping[str, Any]],
    older_than: int | None,
    newer_than: int | None,
    limit: int,
) -> RecipeWindow:
    # One row more than shown tells whether there is a further page that way.
    if newer_than is not None:
        has_newer, has_older = len(rows) > limit, True
        rows = rows[:limit][::-1]  # read oldest first: the newest page of them, turned round
    else:
        has_older, has_newer = len(rows) > limit, older_than is not None
        rows = rows[:limit]
    items = [RecipeOut.model_validate(row) for row in rows]
    if not items:
        return RecipeWindow(items=[], older_than=None, newer_than=None)
    return RecipeWindow(
        items=items,
        older_than=items[-1].id if has_older else None,
        newer_than=items[0].id if has_newer else None,
    )


async def latest_recipes(
    db: Database,
    *,
    older_than: int | None = None,
    newer_than: int | None = None,
    limit: int,
    viewer: Viewer = ANONYMOUS,
) -> RecipeWindow:
    """A page of the newest-first list ``viewer`` sees, next to a recipe id (keyset paging).

    One statement on the driver's own connection (``Database.read_statement``):
    its rows come as plain dicts, which Pydantic validates five times faster
    than SQLAlchemy's row mappings.
    """
    statement, params = repository.window_statement(
        viewer, older_than=older_than, newer_than=newer_than, limit=limit + 1
    )
    rows = await db.read_statement(statement, params)
    return _window(rows, older_than, newer_than, limit)


def _create(connection: Connection, data: RecipeCreate, user: UserOut) -> RecipeOut:
    submitter_id = data.submitter_id or user.id
    if submitter_id != user.id and not user.is_superuser:
        raise PermissionDeniedError("Only a superuser may submit a recipe in another user's name")
    if get_user(connection, submitter_id) is None:
        raise InvalidReferenceError(f"Submitter with ID {submitter_id} not found")
    recipe = repository.add_recipe(connection, submitter_id=submitter_id, **data.columns())
    return RecipeOut.model_validate(recipe)


def own_match(connection: Connection, data: RecipeCreate, cook_id: int) -> tuple[int, str] | None:
    """The id of the cook's recipe that ``data`` duplicates, and how; or None.

    The same web address, or the same name (any case) with the same ingredients.
    """
    if data.url is not None:
        found = repository.submitted_with_url(connection, cook_id, str(data.url))
        if found is not None:
            return found, "the same web address"
    wanted = [line.casefold() for line in data.ingredients]
    for recipe_id, theirs in repository.submitted_with_label(connection, cook_id, data.label):
        if [str(line).casefold() for line in theirs or []] == wanted:
            return recipe_id, "the same name and ingredients"
    return None


def already_have(connection: Connection, data: RecipeCreate, cook_id: int) -> str | None:
    """Why ``data`` is a recipe the cook already has, or None: an import skips those."""
    found = own_match(connection, data, cook_id)
    return None if found is None else f"Already in your recipes ({found[1]}): skipped"


def visible_match(
    connection: Connection, url: str | None, label: str, ingredients: list[str], user: UserOut
) -> int | None:
    """A recipe ``user`` can see with this key: their own first, then anyone's shared one.

    The key is the duplicate check's (the web address, or the name and the
    ingredients); it names a recipe on another server as well as on this one.
    """
    wanted = [line.casefold() for line in ingredients]
    viewer = Viewer.of(user)
    if url:
        found = repository.submitted_with_url(connection, user.id, url)
        if found is None:
            found = repository.visible_with_url(connection, url, viewer)
        if found is not None:
            return found
    for recipe_id, theirs in repository.visible_with_label(connection, label, viewer, user.id):
        if [str(line).casefold() for line in theirs or []] == wanted:
            return int(recipe_id)
    return None


def create_imported(connection: Connection, data: RecipeCreate, user: UserOut) -> RecipeOut | str:
    """``data`` added to ``user``'s recipes in the caller's unit of work; or why it was not.

    The create path of every recipe (:func:`create_recipe`'s), after the duplicate check.
    """
    duplicate = already_have(connection, data, user.id)
    if duplicate is not None:
        return duplicate
    return _create(connection, data.model_copy(update={"submitter_id": None}), user)


async def create_recipe(db: Database, data: RecipeCreate, *, user: UserOut) -> RecipeOut:
    """A new recipe submitted by ``user``, or in the name ``data.submitter_id`` gives."""
    return await db.run(_create, data, user)


def _create_once(
    connection: Connection, data: RecipeCreate, user: UserOut, idea_url: str | None
) -> tuple[int, bool]:
    if data.url is not None:
        found = repository.submitted_with_url(connection, user.id, str(data.url))
        if found is not None:
            return found, False
    if idea_url is None:
        return _create(connection, data, user).id, True
    return repository.add_recipe_once(
        connection, submitter_id=user.id, idea_url=idea_url, **data.columns()
    )


async def create_recipe_once(
    db: Database, data: RecipeCreate, *, user: UserOut, idea_url: str | None
) -> tuple[int, bool]:
    """``user``'s recipe saved from the idea at ``idea_url``: the one they have, or a new one.

    Returns its id and whether it was created now. For saving an idea, which a
    cook may do twice from two tabs, by going back, or by a double click: a
    recipe they already have at ``data.url`` is theirs too, and of saves of
    one idea at once the unique key on (submitter, idea) lets one insert.
    """
    return await db.run(_create_once, data, user, idea_url)


async def import_recipe(
    db: Database,
    importer: Importer,
    url: str,
    *,
    user: UserOut,
    html: str | None = None,
    private: bool = True,
) -> RecipeOut:
    """A new recipe by ``user`` from the schema.org markup of the page at ``url``.

    It starts private unless ``private`` is false: the cook checks what the
    page gave before sharing it. With ``html`` (the page as the cook's browser
    has it), that is read and nothing is fetched. ``TooManyAttemptsError`` when
    the worker or the cook has too many imports going (see ``Importer.admit``).
    """
    data = await read_import(importer, url, user=user, html=html)
    return await create_recipe(db, data.model_copy(update={"private": private}), user=user)


async def read_import(
    importer: Importer, url: str, *, user: UserOut, html: str | None = None
) -> RecipeCreate:
    """The recipe an import would create, not saved: for a page the cook confirms first."""
    async with importer.admit(user.id):
        if html is not None:
            return await read_pasted_recipe(importer, url, html)
        return await read_recipe(importer, url)


def may_change(recipe: RecipeOut, user: UserOut | None) -> bool:
    """The ownership rule, the one place it is written: the submitter or a superuser."""
    return user is not None and (recipe.submitter_id == user.id or user.is_superuser)


def ensure_may_change(recipe: RecipeOut, user: UserOut) -> None:
    if not may_change(recipe, user):
        raise PermissionDeniedError("Only the recipe's submitter or a superuser may change it")


def _changeable(connection: Connection, recipe_id: int, user: UserOut) -> RecipeOut:
    """The recipe ``user`` may change; checked in the caller's unit of work, beside its write.

    Another cook's private recipe is not found (404), as when read.
    """
    row = repository.get_recipe(connection, recipe_id, Viewer.of(user))
    if row is None:
        raise _not_found(recipe_id)
    recipe = RecipeOut.model_validate(row)
    ensure_may_change(recipe, user)
    return recipe


async def recipe_to_change(db: Database, recipe_id: int, *, user: UserOut) -> RecipeOut:
    """The recipe for a form that leads to a change: 404 or 403 before the form is shown.

    Only a courtesy to the page: the write itself checks again in its own unit of work.
    """
    return await db.read(_changeable, recipe_id, user)


def _update(connection: Connection, recipe_id: int, data: RecipeUpdate, user: UserOut) -> RecipeOut:
    _changeable(connection, recipe_id, user)
    changes: dict[str, Any] = data.changes()
    if {"prep_minutes", "cook_minutes"} & changes.keys() and "total_minutes" not in changes:
        # The total follows the parts it was made of: computed by the UPDATE
        # itself, from the parts as the row has them when it is written.
        changes["total_minutes"] = repository.total_from_parts(changes)
    recipe = repository.update_recipe(connection, recipe_id, changes)
    if recipe is None:
        raise _not_found(recipe_id)
    return RecipeOut.model_validate(recipe)


async def update_recipe(
    db: Database, recipe_id: int, data: RecipeUpdate, *, user: UserOut
) -> RecipeOut:
    return await db.run(_update, recipe_id, data, user)


def _replace(
    connection: Connection, recipe_id: int, data: RecipeCreate, user: UserOut, seen: str | None
) -> RecipeOut:
    row = repository.get_recipe(connection, recipe_id, Viewer.of(user))
    if row is None:
        raise _not_found(recipe_id)
    current = RecipeOut.model_validate(row)
    ensure_may_change(current, user)
    if seen is not None and fingerprint(current) != seen:
        raise RecipeChangedError("The recipe was changed after this form was opened")
    # Written only if still the revision just read and checked: of saves carrying
    # the same ``seen`` at once, the first to write wins and the others find none.
    revision = None if seen is None else row["revision"]
    recipe = repository.update_recipe(connection, recipe_id, data.columns(), revision=revision)
    if recipe is None:
        if revision is not None:
            raise RecipeChangedError("The recipe was changed after this form was opened")
        raise _not_found(recipe_id)
    return RecipeOut.model_validate(recipe)


async def replace_recipe(
    db: Database, recipe_id: int, data: RecipeCreate, *, user: UserOut, seen: str | None = None
) -> RecipeOut:
    """Every field of the recipe set from ``data``, for a form that carries them all.

    Unlike an update, an empty field clears what was there (a web address or
    a source removed on the form), and the total time is ``data``'s or prep
    plus cook. The submitter stays. ``seen``: the :func:`fingerprint` of the
    recipe the form showed; a recipe changed since is not replaced
    (:class:`RecipeChangedError`).
    """
    return await db.run(_replace, recipe_id, data, user, seen)


def _delete(connection: Connection, recipe_id: int, user: UserOut) -> None:
    _changeable(connection, recipe_id, user)
    repository.delete_recipe(connection, recipe_id)


async def delete_recipe(db: Database, recipe_id: int, *, user: UserOut) -> None:
    await db.run(_delete, recipe_id, user)
