"""The Jinja environment, and HTML or JSON: what a client asked for."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from recipe_api import __version__
from recipe_api.recipes.ingredients import is_section

if TYPE_CHECKING:
    from recipe_api.users.schemas import UserOut

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"

# auto_reload off: Jinja would otherwise stat each template's file on every use
# (75 times for the home page's 24 cards: a third of its render). The templates
# ship with the code; ``recipe-api serve --reload`` restarts on their change too.
environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
environment.globals["version"] = __version__


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC")


# strftime's %b in the C locale the workers run in, written out: strftime was 5 %
# of the worker's time for a page of twenty cards (profiled).
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(value: datetime) -> str:
    """A date as a reader says it ("6 Dec 2026"): the hour and the zone are noise on a card."""
    day = value.astimezone(UTC)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


environment.filters["when"] = _when
environment.filters["age"] = _age
environment.filters["day"] = _day
environment.tests["section"] = is_section


def wants_html(headers: Mapping[str, str]) -> bool:
    """Browsers list text/html in Accept; API clients and curl do not."""
    return "text/html" in headers.get("accept", "")


# Where a request keeps the user its page's header is drawn for (``signed_in`` sets it).
_PAGE_USER = "recipe_api.page_user"


def set_page_user(request: Request, user: UserOut | None) -> None:
    request.scope[_PAGE_USER] = user


def page_user(request: Request) -> UserOut | None:
    """The signed-in user of this request.

    None for a visitor, and on a page drawn before the user was read (a 404).
    """
    user: UserOut | None = request.scope.get(_PAGE_USER)
    return user


def render(name: str, **context: Any) -> str:
    """A page without a request: error pages from middleware use this too."""
    context.setdefault("user", None)
    context.setdefault("csrf_token", None)
    return environment.get_template(name).render(**context)


def card_macros(**context: Any) -> Any:
    """``partials/recipe_card.html``'s macros, for a visitor without a session (no user)."""
    context.setdefault("user", None)
    context.setdefault("csrf_token", None)
    return environment.get_template("partials/recipe_card.html").make_module(context)


def page(
    request: Request,
    name: str,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page for this request: the signed-in user and the CSRF token come along."""
    context.setdefault("user", page_user(request))
    context.setdefault("csrf_token", request.scope.get("csrftoken"))
    # Where a form on the page (a favourite's toggle) brings the cook back to.
    query = request.url.query
    context.setdefault("here", request.url.path + (f"?{query}" if query else ""))
    html = render(name, **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)
