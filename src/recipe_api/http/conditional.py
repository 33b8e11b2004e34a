"""Conditional GET: an ``ETag`` on the answer, ``304 Not Modified`` when the client has it.

The tag is weak (``W/"..."``): it names the content, not its bytes on the
wire, so the gzip and the plain answer of the same content share it, as
RFC 9110 (8.8.1) allows for weak validators; ``If-None-Match`` is compared
weakly anyway (13.1.2). It is a hash of the body (or of what the body was
built from), so equal content gets the same tag in every worker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response


def etag_of(body: bytes) -> str:
    return f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def client_has(request: Request, etag: str) -> bool:
    """Whether the request's ``If-None-Match`` names ``etag`` (or is ``*``)."""
    sent = request.headers.get("if-none-match")
    if sent is None:
        return False
    if sent.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in sent.split(","))


def not_modified(etag: str, headers: Mapping[str, str] | None = None) -> Response:
    # No body and no Content-Type: the client reuses the representation it has.
    return Response(status_code=304, headers={**(headers or {}), "etag": etag})


def answer(
    request: Request,
    body: bytes,
    media_type: str,
    *,
    etag: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``body`` with its ``ETag``, or a 304 when the request already holds it."""
    tag = etag or etag_of(body)
    if client_has(request, tag):
        return not_modified(tag, headers)
    return Response(body, media_type=media_type, headers={**(headers or {}), "etag": tag})
