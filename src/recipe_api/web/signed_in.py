"""The website's signed-in user: the session cookie, read once per request.

"Session" means one thing in this project: a website log-in, kept on the
server (``auth/sessions.py``, table ``web_session``) and carried by the
browser's ``session`` cookie. This module is the website's side of it: the
cookie, the user it belongs to, and ``LoginRequired`` for pages that need one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response

from recipe_api.auth import sessions
from recipe_api.db.dependencies import DatabaseDep
from recipe_api.settings import Settings
from recipe_api.users.schemas import UserOut
from recipe_api.web.templating import set_page_user

# The cookie names are what browsers already hold: renaming one logs everyone out.
SESSION_COOKIE = "session"
CSRF_COOKIE = "csrftoken"


class LoginRequired(Exception):
    """A page for signed-in users only; the handler sends the browser to log in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.location = f"/login?next={quote(next_path, safe='/')}"


async def current_web_user(request: Request, db: DatabaseDep) -> UserOut | None:
    """The session's user, also kept for the page's navigation (``set_page_user``).

    Every page route declares it, even one that does not use the user itself,
    so the header shows "My recipes" and "Log out" to a signed-in cook.
    """
    token = request.cookies.get(SESSION_COOKIE)
    user = await sessions.session_user(db, token) if token else None
    set_page_user(request, user)
    return user


WebUser = Annotated[UserOut | None, Depends(current_web_user)]


async def signed_in_user(request: Request, user: WebUser) -> UserOut:
    if user is None:
        raise LoginRequired(request.url.path)
    return user


SignedInUser = Annotated[UserOut, Depends(signed_in_user)]


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(timedelta(days=settings.session_days).total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
    )
    # A new CSRF token with each session: a token seen before login is useless after.
    response.delete_cookie(CSRF_COOKIE, path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/")
