"""Who sees a recipe: the one rule, as a predicate every read of recipes adds.

A recipe is public, or private: then only its cook and superusers see it.
Every read (a recipe, a list, a search and its count and facets, the plan,
the favourites) filters with :func:`visible_to`, so a private recipe of
another cook is absent, never forbidden: its page is a 404 like a deleted
one, and a list's total does not count it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, TypeVar

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Dialect,
    Integer,
    bindparam,
    column,
    false,
    or_,
    true,
)
from sqlalchemy import table as table_clause

from recipe_api.recipes.models import recipe_table
from recipe_api.users.schemas import UserOut


@dataclass(frozen=True, slots=True)
class Viewer:
    """Whom an answer is for, as far as visibility goes; hashable, a part of cache keys.

    Superusers are all one viewer (they see everything alike), and so are
    visitors without an account.
    """

    user_id: int | None = None
    sees_everything: bool = False

    @classmethod
    def of(cls, user: UserOut | Viewer | None) -> Viewer:
        if isinstance(user, Viewer):
            return user
        if user is None:
            return ANONYMOUS
        if user.is_superuser:
            return EVERYTHING
        return cls(user_id=user.id)


ANONYMOUS = Viewer()
EVERYTHING = Viewer(sees_everything=True)


Kind = Literal["everything", "public", "theirs"]


def kind_of(viewer: Viewer) -> Kind:
    """Which form of the predicate a viewer takes (``theirs`` binds ``viewer_id``)."""
    if viewer.sees_everything:
        return "everything"
    return "public" if viewer.user_id is None else "theirs"


def _predicate(
    private: ColumnElement[Any], submitter_id: ColumnElement[Any], kind: Kind, user_id: Any
) -> ColumnElement[bool]:
    if kind == "everything":
        return true()
    public = private == false()
    if kind == "public":
        return public
    return or_(public, submitter_id == user_id)


def visible_to(user: UserOut | Viewer | None, table: Any = recipe_table) -> ColumnElement[bool]:
    """The recipes ``user`` may see (``None``: a visitor): public, theirs, or all for a superuser.

    ``table``: ``recipe`` or an alias of it.
    """
    viewer = Viewer.of(user)
    return _predicate(table.c.private, table.c.submitter_id, kind_of(viewer), viewer.user_id)


S = TypeVar("S")


def per_viewer(
    build: Callable[[ColumnElement[bool]], S], table: Any = recipe_table
) -> dict[Kind, S]:
    """A statement built once per form of the predicate, for reads built ahead of time.

    The ``theirs`` form takes the viewer's id as the parameter ``viewer_id``
    (:func:`pick` gives it).
    """
    c = table.c
    viewer_id = bindparam("viewer_id", type_=Integer())
    return {
        kind: build(_predicate(c.private, c.submitter_id, kind, viewer_id))
        for kind in ("everything", "public", "theirs")
    }


def pick(statements: dict[Kind, S], user: UserOut | Viewer | None) -> tuple[S, dict[str, Any]]:
    """The statement of :func:`per_viewer` for ``user``, and the parameters it needs."""
    viewer = Viewer.of(user)
    kind = kind_of(viewer)
    return statements[kind], ({"viewer_id": viewer.user_id} if kind == "theirs" else {})


def visible_sql(user: UserOut | Viewer | None, dialect: Dialect, *, table: str = "") -> str:
    """:func:`visible_to` as SQL text, for the searches written as text.

    ``table``: the name to qualify the columns with (none: bare names, for a
    derived table of recipe rows). Only a number is inlined: the viewer's id.
    Compiled once per viewer, dialect and table (a search asks for it three
    times or more: compiling was a third of a search's CPU at 1,000 recipes).
    """
    return _visible_sql(Viewer.of(user), dialect, table)


@lru_cache(maxsize=1024)
def _visible_sql(viewer: Viewer, dialect: Dialect, table: str) -> str:
    private = column("private", Boolean())
    submitter = column("submitter_id", Integer())
    if table:
        named = table_clause(table, private, submitter)
        private, submitter = named.c.private, named.c.submitter_id
    predicate = _predicate(private, submitter, kind_of(viewer), viewer.user_id)
    sql = predicate.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return f"({sql})"
