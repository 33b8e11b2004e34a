"""Pure ASGI middleware: cheaper than ``BaseHTTPMiddleware`` on every request."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recipe_api.observability import REQUEST_ID_HEADER, RequestRecorder, request_id_of

log = logging.getLogger(__name__)

_INTERNAL_ERROR_BODY = b'{"detail":"Internal Server Error"}'
REQUEST_ID_NAME = REQUEST_ID_HEADER.lower().encode()


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
# Two years, the subdomains too: the value browsers' preload lists ask for.
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class EdgeMiddleware:
    """What every answer gets, in one layer (each layer costs a call and a ``send`` wrapper).

    Outermost of ours, so even the 500 of last resort carries all of it:

    * a request id: the client's sane ``X-Request-ID`` or a new one, on the
      request's log records and echoed in the answer (``observability.request_id_of``);
    * ``X-Process-Time`` (seconds) on every answer;
    * Content-Security-Policy and its companions;
    * with ``hsts``, Strict-Transport-Security on answers to requests that came
      over HTTPS (the scope's scheme: TLS at uvicorn, or a trusted proxy's
      ``X-Forwarded-Proto`` through ``--proxy-headers``); a browser ignores it
      over plain HTTP, and sending it there would only be noise;
    * metrics and the access log line, after the answer (``observability.RequestRecorder``);
    * crashes turned into a 500: the traceback goes to the log, the client gets
      a bare ``{"detail": "Internal Server Error"}``, or ``html_error_page`` when
      it is a browser (``text/html`` in Accept).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        recorder: RequestRecorder,
        html_error_page: bytes | None = None,
        hsts: bool = False,
    ) -> None:
        self.app = app
        self.recorder = recorder
        self.html_error_page = html_error_page
        self.hsts = hsts
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
        self.site_headers = [(b"content-security-policy", SITE_POLICY.encode()), *common]
        self.docs_headers = [(b"content-security-policy", DOCS_POLICY.encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = (REQUEST_ID_NAME, request_id_of(scope).encode())
        extra = self.docs_headers if scope["path"] in DOCS_PATHS else self.site_headers
        if self.hsts and scope.get("scheme") == "https":
            extra = [*extra, HSTS]
        status = 500  # what the client gets if nothing answers
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                elapsed = f"{time.perf_counter() - started:.6f}".encode()
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-process-time", elapsed),
                    *extra,
                    request_id,
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except asyncio.CancelledError:
            status = 499  # nginx's "client closed request": nothing reached the client
            raise
        except Exception:
            log.exception("Unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if response_started:
                raise
            body, content_type = _INTERNAL_ERROR_BODY, b"application/json"
            if self.html_error_page is not None and _accepts_html(scope):
                body, content_type = self.html_error_page, b"text/html; charset=utf-8"
            await send_with_headers(
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
        finally:
            self.recorder.record(scope, status, time.perf_counter() - started)


def _accepts_html(scope: Scope) -> bool:
    return any(name == b"accept" and b"text/html" in value for name, value in scope["headers"])


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses a request body over ``max_bytes`` with 413 before it is read into memory.

    A declared ``Content-Length`` over the limit is answered at once, without
    reading a byte of the body (the server enforces a declared length, so a
    body within it needs no counting). A chunked body is counted as it
    arrives and cut off at the limit. Requests without a body (most GETs)
    pass straight through after one scan of the headers.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        larger: dict[str, int] | None = None,
        larger_matching: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths whose bodies carry a whole page (the recipe import's pasted HTML).
        self.larger = larger or {}
        # Paths with an id in them whose bodies may carry a photo.
        self.larger_matching = tuple(larger_matching)

    def limit_for(self, path: str) -> int:
        limit = self.larger.get(path)
        if limit is not None:
            return limit
        for pattern, larger in self.larger_matching:
            if pattern.fullmatch(path):
                return larger
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["path"])
        declared: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared is not None and not chunked:
            try:
                too_large = int(declared) > max_bytes
            except ValueError:
                too_large = False  # the server refuses a malformed length itself
            if too_large:
                await _refuse(send, max_bytes)
                return
            await self.app(scope, receive, send)
            return
        if not chunked:
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send, max_bytes)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        received = 0
        refused = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    refused = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            # Once the body is refused, whatever the app makes of the cut-off
            # read is dropped: the client gets the 413.
            if refused:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # The app may wrap the cut-off read in an error of its own.
            if not refused:
                raise
        if refused and not response_started:
            await _refuse(send, max_bytes)


async def _refuse(send: Send, max_bytes: int) -> None:
    body = f'{{"detail":"Request body larger than {max_bytes} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: end the connection.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class GZipWhenAccepted(GZipMiddleware):
    """Starlette's gzip, with a direct path for the clients that do not accept it.

    Starlette's identity path holds back every answer's start to inspect it;
    skipping it saves ~8 µs on each request of a client without gzip (load
    balancers' probes, most API clients). Those answers lack ``Vary``, which is
    harmless: only the gzip answers must not reach a client that did not ask.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"accept-encoding" and b"gzip" in value:
                    await super().__call__(scope, receive, send)
                    return
        await self.app(scope, receive, send)
