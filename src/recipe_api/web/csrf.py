"""Cross-site request forgery: asgi-csrf's signed double-submit token on every form post.

See docs/decisions/0005-website.md for why this library. The JSON API under
/api/ is exempt: it authenticates with a bearer header, which a forged
cross-site form cannot send. The login and signup forms are checked even
for a browser that has no cookies yet.
"""

from __future__ import annotations

from typing import Any

from asgi_csrf import asgi_csrf
from starlette.types import ASGIApp, Receive, Scope, Send

from recipe_api.web.sessions import COOKIE
from recipe_api.web.templating import render

FORM_FIELD = "csrftoken"
# The forms a visitor without a session posts (and /logout) are checked even without cookies.
ALWAYS_CHECKED = {
    "/login",
    "/signup",
    "/logout",
    "/forgot-password",
    "/reset-password",
    "/verify-email",
}
SESSION_COOKIE = f"{COOKIE}=".encode()

_FAILED_PAGE = render(
    "error.html",
    status=403,
    title="This form has expired",
    message="The form was not sent from this site, or it is too old. "
    "Go back, reload the page and try again.",
).encode()


_NOT_A_FORM_PAGE = render(
    "error.html",
    status=415,
    title="That form cannot be sent this way",
    message="The forms on this site post as plain form fields, not as a multipart upload.",
).encode()


async def _answer(send: Send, status: int, page: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(page)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": page})


async def _refuse(_scope: Scope, send: Send, _message_id: Any) -> None:
    await _answer(send, 403, _FAILED_PAGE)


# No forms there: these skip the middleware (and its per-request token) entirely.
_EXEMPT_PREFIXES = ("/api/", "/health/", "/static/", "/docs-assets/")


def _exempt(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith(_EXEMPT_PREFIXES)


class CsrfMiddleware:
    def __init__(self, app: ASGIApp, *, secret: str, secure: bool) -> None:
        self.inner = app
        self.checked: ASGIApp = asgi_csrf(
            app,
            signing_secret=secret,
            always_protect=ALWAYS_CHECKED,
            skip_if_scope=_exempt,
            cookie_secure=secure,
            send_csrf_failed=_refuse,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or _exempt(scope)
            or _reads_without_forms(scope)
            or _no_page_takes(scope)
        ):
            await self.inner(scope, receive, send)
            return
        if _multipart(scope):
            # asgi-csrf's multipart reader calls python-multipart with an argument
            # it no longer takes (a 500), and no form of ours posts multipart.
            await _answer(send, 415, _NOT_A_FORM_PAGE)
            return
        await self.checked(scope, receive, send)


def _multipart(scope: Scope) -> bool:
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bytes(value).lstrip().lower().startswith(b"multipart/")
    return False


def _no_page_takes(scope: Scope) -> bool:
    """PUT, PATCH, DELETE...: no page route takes them (forms post), so they end in a 405
    from the router that changes nothing; checking them would make that a 403."""
    return scope["method"] not in ("GET", "HEAD", "OPTIONS", "POST")


def _reads_without_forms(scope: Scope) -> bool:
    """A visitor's read of a page without a posting form: no token to make.

    Making and signing a token costs ~90 µs per request; the home, search
    and recipe pages of a visitor who is not logged in have no form that
    posts (the search is a GET), so they skip it. Logged-in pages carry the
    log-out form, and the login, signup and password pages their own.
    """
    if scope["method"] not in ("GET", "HEAD") or scope["path"] in ALWAYS_CHECKED:
        return False
    for name, value in scope["headers"]:
        if name == b"cookie" and SESSION_COOKIE in value:
            return False
    return True
