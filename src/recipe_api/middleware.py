"""Pure ASGI middleware: cheaper than ``BaseHTTPMiddleware`` on every request."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

_INTERNAL_ERROR_BODY = b'{"detail":"Internal Server Error"}'


class ProcessTimeMiddleware:
    """Adds ``X-Process-Time`` (seconds) to every answer and turns crashes into a JSON 500.

    It sits outside the routing, so it also times and answers errors that no
    exception handler caught: the traceback goes to the log, the client gets
    a bare ``{"detail": "Internal Server Error"}``, or ``html_error_page``
    when it is a browser (``text/html`` in Accept).
    """

    def __init__(self, app: ASGIApp, html_error_page: bytes | None = None) -> None:
        self.app = app
        self.html_error_page = html_error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        response_started = False

        async def send_with_time(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                elapsed = f"{time.perf_counter() - started:.6f}".encode()
                message["headers"] = [*message.get("headers", ()), (b"x-process-time", elapsed)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_time)
        except Exception:
            log.exception("Unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if response_started:
                raise
            body, content_type = _INTERNAL_ERROR_BODY, b"application/json"
            if self.html_error_page is not None and _accepts_html(scope):
                body, content_type = self.html_error_page, b"text/html; charset=utf-8"
            await send_with_time(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", content_type),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


def _accepts_html(scope: Scope) -> bool:
    return any(name == b"accept" and b"text/html" in value for name, value in scope["headers"])


# Pages: our own scripts, styles and images only; no inline script, no other origin.
SITE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc set inline styles and ReDoc searches in a blob: worker; still no
# inline script and no other origin.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeadersMiddleware:
    """Content-Security-Policy and its companions on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
        self.site_headers = [(b"content-security-policy", SITE_POLICY.encode()), *common]
        self.docs_headers = [(b"content-security-policy", DOCS_POLICY.encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs_headers if scope["path"] in DOCS_PATHS else self.site_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
