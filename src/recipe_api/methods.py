"""HEAD, OPTIONS and 405 as HTTP defines them, as pure ASGI middleware.

FastAPI routes answer exactly the methods they declare: ``HEAD`` on a ``GET``
route is a 405, ``OPTIONS`` is a 405, and the ``Allow`` of a 405 names the
methods of the first route whose path matched, not of the resource. Here:

* ``HEAD`` is served as ``GET`` without the body (RFC 9110 9.3.2);
* ``OPTIONS`` on a documented path answers 204 with ``Allow``;
* every 405 carries an ``Allow`` listing every method of the path.

The methods of each path come from the OpenAPI document, read once on first
use: what the schema says is what ``Allow`` says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SCHEMA_METHODS = ("get", "put", "post", "delete", "patch")


def _allow(methods: set[str], *, options: bool = True) -> bytes:
    allowed = set(methods)
    if "GET" in allowed:
        allowed.add("HEAD")
    if options:
        allowed.add("OPTIONS")
    return ", ".join(sorted(allowed)).encode()


class HttpMethodsMiddleware:
    def __init__(self, app: ASGIApp, openapi: Callable[[], dict[str, Any]]) -> None:
        self.app = app
        self._openapi = openapi
        self._paths: list[tuple[re.Pattern[str], set[str]]] | None = None

    def _methods_of(self, path: str) -> set[str] | None:
        if self._paths is None:
            paths = []
            for template, operations in self._openapi().get("paths", {}).items():
                parts = re.split(r"(\{[^}]+\})", template)
                regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
                methods = {m.upper() for m in operations if m in _SCHEMA_METHODS}
                paths.append((re.compile(regex + "$"), methods))
            self._paths = paths
        found: set[str] = set()
        for pattern, methods in self._paths:
            if pattern.match(path):
                found |= methods
        return found or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        elif method == "OPTIONS":
            methods = self._methods_of(scope["path"])
            if methods is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 204,
                        "headers": [(b"allow", _allow(methods))],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return

        async def send_as_http_says(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 405:
                    message["headers"] = self._complete_allow(scope["path"], message)
            elif head:
                message = {
                    "type": "http.response.body",
                    "body": b"",
                    "more_body": message.get("more_body", False),
                }
            await send(message)

        await self.app(scope, receive, send_as_http_says)

    def _complete_allow(self, path: str, message: Message) -> list[tuple[bytes, bytes]]:
        headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"allow"]
        methods = self._methods_of(path)
        if methods is None:  # an undocumented page: keep what its router said
            said = next((v for k, v in message.get("headers", ()) if k.lower() == b"allow"), b"")
            routed = {m.strip() for m in said.decode().split(",") if m.strip()}
            headers.append((b"allow", _allow(routed, options=False)))
        else:
            headers.append((b"allow", _allow(methods)))
        return headers
