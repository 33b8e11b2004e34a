"""Cross-site request forgery: a session-bound token on every form post, and the Origin check.

See docs/decisions/0005-website.md for why our own and not asgi-csrf any more.
A form's token is an HMAC of the browser's session cookie (for a visitor who
has none, of a random ``csrftoken`` cookie set with the form), so a token
taken from another session, or one obtained anonymously, is refused with a
victim's session, and logging in gives a new token. A post whose ``Origin``
(or, without one, ``Referer``) is another site is refused before its body is
read. The JSON API under /api/ is exempt: it authenticates with a bearer
header, which a forged cross-site form cannot send. The login and signup forms
are checked even for a browser that has no cookies yet.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recipe_api.web.signed_in import CSRF_COOKIE, SESSION_COOKIE
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
# The bookmarklet's post, from the recipe's own site: the browser sends no
# session with it (SameSite=Lax) and it creates nothing, it only shows the cook
# what arrived and asks them to go on from our own page (decision 0010).
CROSS_SITE_POSTS = {"/my-recipes/import/page"}
# Posts from that page, which could not carry a token (it had no session to bind
# one to): same-site only, and they create nothing either: they show the
# recipe read from the page in a form that has a token.
UNTOKENED_POSTS = {"/my-recipes/import/page/read"}
# The upload of another app's export: a multipart form, whose token comes in the
# query string (the body is a file; reading it for the token would parse it twice).
UPLOAD_POSTS = {"/my-recipes/import/archive"}
# The recipe forms, which carry a photo: multipart, their token a field like any other.
MULTIPART_FORMS = re.compile(r"/my-recipes/new|/recipes/[0-9]+/edit")
_SESSION_COOKIE_BYTES = f"{SESSION_COOKIE}=".encode()
# The anonymous cookie is ours only if it has the shape we give it.
_VISITOR_LENGTH = 43  # secrets.token_urlsafe(32)

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

# A page carrying a token bound to a cookie is the browser's own: no shared cache keeps it.
PRIVATE = (b"cache-control", b"private, no-store")


async def _answer(send: Send, status: int, page: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(page)).encode()),
                PRIVATE,
            ],
        }
    )
    await send({"type": "http.response.body", "body": page})


# No forms there: these skip the middleware entirely.
_EXEMPT_PREFIXES = ("/api/", "/health/", "/static/", "/docs-assets/", "/media/")


def _exempt(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith(_EXEMPT_PREFIXES)


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` in lower case, the form browsers send in ``Origin``."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class CsrfMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        secure: bool,
        trusted_origins: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.secure = secure
        # A key of its own, so a CSRF token can never stand for another signature.
        self.key = hashlib.sha256(b"recipe-api csrf\x00" + secret.encode()).digest()
        self.trusted_origins = {o for o in map(origin_of, trusted_origins) if o}

    def token_for(self, binding: bytes) -> str:
        digest = hmac.new(self.key, binding, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or _exempt(scope)
            or _reads_without_forms(scope)
            or _no_page_takes(scope)
        ):
            await self.app(scope, receive, send)
            return
        binding = _binding(_cookies(scope))
        if _multipart(scope):
            if scope["method"] == "POST" and scope["path"] in UPLOAD_POSTS:
                await self._check_upload(scope, receive, self._private(send, None), binding)
                return
            if not (scope["method"] == "POST" and MULTIPART_FORMS.fullmatch(scope["path"])):
                # Only the recipe forms and the export upload post multipart; reading
                # any other would mean a parser for nothing.
                await _answer(send, 415, _NOT_A_FORM_PAGE)
                return
        if scope["method"] == "POST" and scope["path"] in CROSS_SITE_POSTS:
            await self.app(scope, receive, self._private(send, None))
            return
        if scope["method"] == "POST":
            await self._check_post(scope, receive, self._private(send, None), binding)
            return
        visitor = None
        if binding is None:
            visitor = secrets.token_urlsafe(32)
            binding = b"visitor:" + visitor.encode()
        token = self.token_for(binding)
        scope["csrftoken"] = lambda: token
        await self.app(scope, receive, self._private(send, visitor))

    def _private(self, send: Send, visitor: str | None) -> Send:
        """Marks the answer ``private, no-store`` (and sets a new visitor's cookie).

        Every answer here is either for a browser with a session (a logged-in
        cook's page) or carries a token bound to that browser's cookie: a
        shared cache must not keep it, nor the browser's history show it later.
        """
        added = [PRIVATE]
        if visitor is not None:
            cookie = f"{CSRF_COOKIE}={visitor}; Path=/; HttpOnly; SameSite=Lax"
            if self.secure:
                cookie += "; Secure"
            added.append((b"set-cookie", cookie.encode()))

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0] != b"cache-control"]
                message["headers"] = [*headers, *added]
            await send(message)

        return send_private

    async def _check_post(
        self, scope: Scope, receive: Receive, send: Send, binding: bytes | None
    ) -> None:
        if not self._same_site(scope):
            await _answer(send, 403, _FAILED_PAGE)
            return
        if scope["path"] in UNTOKENED_POSTS:
            if binding is not None:
                token = self.token_for(binding)
                scope["csrftoken"] = lambda: token
            await self.app(scope, receive, send)
            return
        if binding is None and scope["path"] not in ALWAYS_CHECKED:
            # No cookie at all: nothing a forged post could act with; the page
            # answers as to any visitor (a log-in redirect).
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        if _multipart(scope):
            given = await _multipart_token(scope, body)
        else:
            sent = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            given = sent.get(FORM_FIELD, "")
        expected = self.token_for(binding) if binding is not None else ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            await _answer(send, 403, _FAILED_PAGE)
            return
        scope["csrftoken"] = lambda: expected
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _check_upload(
        self, scope: Scope, receive: Receive, send: Send, binding: bytes | None
    ) -> None:
        """A file upload: same site, and the token in the query string (the form's action)."""
        if not self._same_site(scope):
            await _answer(send, 403, _FAILED_PAGE)
            return
        if binding is None:
            await self.app(scope, receive, send)  # nothing to act with: a log-in redirect
            return
        query = dict(parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1")))
        expected = self.token_for(binding)
        if not hmac.compare_digest(query.get(FORM_FIELD, "").encode(), expected.encode()):
            await _answer(send, 403, _FAILED_PAGE)
            return
        scope["csrftoken"] = lambda: expected
        await self.app(scope, receive, send)

    def _same_site(self, scope: Scope) -> bool:
        """The post's Origin, else its Referer, is this site (or neither is sent).

        This site is the address the request was made to (the scheme as the
        server saw it, through trusted proxy headers, and the ``Host``) or
        ``PUBLIC_BASE_URL``. ``Origin: null`` (a sandboxed frame, a redirect
        from elsewhere) is another site.
        """
        origin = referer = None
        host = ""
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"referer":
                referer = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1")
        claimed = origin if origin is not None else referer
        if claimed is None:
            return True  # not a browser, or one that sends neither: the token decides
        sender = origin_of(claimed)
        if sender is None:
            return False
        return sender in self.trusted_origins or sender == f"{scope['scheme']}://{host}".lower()


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body (the body limit outside bounds it); ``None`` if the client left."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _multipart_token(scope: Scope, body: bytes) -> str:
    """The token field of a multipart body, read by Starlette's own parser (python-multipart).

    The body limit outside bounds what is parsed (PHOTO_MAX_MB and the fields);
    a body that does not parse has no token.
    """
    sent = False

    async def once() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request(scope, once)
    try:
        async with request.form() as form:
            value = form.get(FORM_FIELD, "")
            return value if isinstance(value, str) else ""
    except Exception:
        return ""


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope["headers"]:
        if name == b"cookie":
            return cookie_parser(value.decode("latin-1"))
    return {}


def _binding(cookies: dict[str, str]) -> bytes | None:
    """What the form's token is bound to: the session, else the visitor's own cookie."""
    session = cookies.get(SESSION_COOKIE)
    if session:
        return b"session:" + session.encode()
    visitor = cookies.get(CSRF_COOKIE, "")
    if len(visitor) == _VISITOR_LENGTH:
        return b"visitor:" + visitor.encode()
    return None


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

    The home, search and recipe pages of a visitor who is not logged in have
    no form that posts (the search is a GET), so they skip the check and set
    no cookie. Logged-in pages carry the log-out form, and the login, signup
    and password pages their own.
    """
    if scope["method"] not in ("GET", "HEAD") or scope["path"] in ALWAYS_CHECKED:
        return False
    for name, value in scope["headers"]:
        if name == b"cookie" and _SESSION_COOKIE_BYTES in value:
            return False
    return True
