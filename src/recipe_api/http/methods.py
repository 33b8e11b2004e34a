"""HEAD, OPTIONS and 405 as HTTP defines them, as pure ASGI middleware.

FastAPI routes answer exactly the methods they declare: ``HEAD`` on a ``GET``
route is a 405, ``OPTIONS`` is a 405, and the ``Allow`` of a 405 names the
methods of the first route whose path matched, not of the resource. Here:

* ``HEAD`` is served as ``GET`` without the body (RFC 9110 9.3.2);
* ``OPTIONS`` on a documented path answers 204 with ``Allow``;
* every 405 carries an ``Allow`` listing every method of the path.

The methods of a path are asked of the app's routes (each route's public
``matches``, one probe per method): the API's operations, which the OpenAPI
document lists from the same routes, and the website's pages, which the
document leaves out (``include_in_schema=False``) but which are resources all
the same. A mount (static files) serves ``GET``. Only ``OPTIONS`` and a 405
ask, so the probing costs nothing on the ordinary path.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allow(methods: set[str]) -> bytes:
    allowed = set(methods)
    if "GET" in allowed:
        allowed.add("HEAD")
    allowed.add("OPTIONS")
    return ", ".join(sorted(allowed)).encode()


class HttpMethodsMiddleware:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        # The app's own list: routes added after the middleware are seen too.
        self._routes = routes

    def _methods_of(self, path: str, root_path: str) -> set[str] | None:
        found: set[str] = set()
        for route in self._routes:
            for method in _METHODS:
                if method in found:
                    continue
                # A scope of its own: matching may write into the scope it is given.
                probe: Scope = {
                    "type": "http",
                    "path": path,
                    "root_path": root_path,
                    "method": method,
                    "headers": [],
                }
                if isinstance(route, Mount):
                    if route.matches(probe)[0] is not Match.NONE:
                        found.add("GET")
                    break
                if route.matches(probe)[0] is Match.FULL:
                    found.add(method)
        return found or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        # Read before the router runs: it adds to the scope as it goes.
        path, root_path = scope["path"], scope.get("root_path", "")
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        elif method == "OPTIONS":
            methods = self._methods_of(path, root_path)
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
                    message["headers"] = self._complete_allow(path, root_path, message)
            elif head:
                message = {
                    "type": "http.response.body",
                    "body": b"",
                    "more_body": message.get("more_body", False),
                }
            await send(message)

        await self.app(scope, receive, send_as_http_says)

    def _complete_allow(
        self, path: str, root_path: str, message: Message
    ) -> list[tuple[bytes, bytes]]:
        headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"allow"]
        methods = self._methods_of(path, root_path)
        if methods is None:  # no route of ours has this path: keep what was said
            said = next((v for k, v in message.get("headers", ()) if k.lower() == b"allow"), b"")
            methods = {m.strip() for m in said.decode().split(",") if m.strip()}
        headers.append((b"allow", _allow(methods)))
        return headers
