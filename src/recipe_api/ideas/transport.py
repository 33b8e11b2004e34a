"""A lean HTTP/1.1 keep-alive pool under ``httpx.AsyncClient``, for the fan-out to reddit.

httpx's default pool (httpcore over anyio) cost 16-25 ms of CPU per request
here with 192 requests in flight, and still ~1 ms split into 32 small pools:
each request's start and end scans every queued request against every
connection. At the fan-out's 750 upstream requests a second that is more than
the whole worker (docs/decisions/0002-ideas-fan-out.md has the numbers). This
transport keeps httpx's API (timeouts, auth, headers, decoding, exceptions)
and replaces only the pool: an ``asyncio.Protocol`` per connection, the C
``httptools`` parser, a free list per origin and a queue of waiters, O(1) per
request.

It speaks HTTP/1.1 over TCP or TLS to the origins it is asked for; it does not
do proxies, HTTP/2 or ``HEAD`` (the ideas client needs none of them).
"""

from __future__ import annotations

import asyncio
import math
import ssl
import time
from collections import deque
from typing import Any, cast

import httptools
import httpx

MAX_BODY_BYTES = 8 * 1024 * 1024
WATCH_INTERVAL = 0.05

_Origin = tuple[str, str, int]


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request at a time; the parser's callbacks fill the answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.used = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[None] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._size = 0
        self._received = False
        self._headers_done = False
        self._complete = False
        self._framed = False
        self._keep_alive = False
        self._status = 0
        self.answer_by = math.inf

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"invalid HTTP answer: {exc}"))
            self.close()
            return
        if self._size > MAX_BODY_BYTES:
            self._fail(httpx.RemoteProtocolError("the answer is larger than 8 MiB"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._headers_done and not self._complete and not self._framed:
            # No Content-Length and not chunked: the body ends with the connection.
            self.on_message_complete()
        elif not self._complete:
            message = "the server closed the connection without a complete answer"
            self._fail(httpx.ReadError(message) if self._received else _Disconnected(message))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length" or (
            lowered == b"transfer-encoding" and b"chunked" in value.lower()
        ):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        self._body.append(body)

    def on_message_complete(self) -> None:
        # Asked here: once the callback returns, the parser is reset for the next answer.
        self._keep_alive = self._parser.should_keep_alive() and not self.closed
        self._complete = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # use

    def time_out(self) -> None:
        self._fail(TimeoutError())

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def expired(self, now: float) -> bool:
        return self._waiter is not None and self.answer_by <= now

    async def exchange(
        self, raw_request: bytes, read_timeout: float | None, watch: _Watch
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
        """Send one request and read its answer: status, headers, body, and if it may be reused."""
        assert self.transport is not None
        self._headers, self._body, self._size = [], [], 0
        self._received = self._headers_done = self._complete = self._framed = False
        self._keep_alive = False
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        self.used = True
        self.transport.write(raw_request)
        self.answer_by = math.inf if read_timeout is None else loop.time() + read_timeout
        watch.add(self)
        try:
            await waiter
        finally:
            self._waiter = None
            watch.discard(self)
        keep_alive = self._keep_alive and not self.closed
        return self._status, self._headers, b"".join(self._body), keep_alive


class _Watch:
    """Read timeouts for every connection awaiting an answer, checked by one periodic timer.

    A timer per request (``call_later`` and its ``cancel``) was 5% of the
    worker's CPU under the fan-out; read timeouts are seconds long, so a check
    every ``WATCH_INTERVAL`` is precise enough.
    """

    def __init__(self) -> None:
        self._waiting: set[_Connection] = set()
        self._timer: asyncio.TimerHandle | None = None

    def add(self, connection: _Connection) -> None:
        self._waiting.add(connection)
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(WATCH_INTERVAL, self._check, loop)

    def discard(self, connection: _Connection) -> None:
        self._waiting.discard(connection)

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for connection in [c for c in self._waiting if c.expired(now)]:
            self._waiting.discard(connection)
            connection.time_out()
        self._timer = loop.call_later(WATCH_INTERVAL, self._check, loop) if self._waiting else None

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class _Disconnected(httpx.ReadError):
    """The server closed a reused connection before answering: safe to retry on a new one."""


class _NoFreeConnection(TimeoutError):
    """Every connection stayed busy for the whole pool timeout."""


class _Pool:
    """Connections to one origin: a free list, a count, and the requests waiting for one."""

    def __init__(self, origin: _Origin, max_connections: int, ssl_context: ssl.SSLContext) -> None:
        self.origin = origin
        self.max_connections = max_connections
        self.ssl_context = ssl_context
        self.idle: list[_Connection] = []
        self.open = 0
        self.waiters: deque[asyncio.Future[_Connection | None]] = deque()
        self.closed = False

    async def acquire(self, timeouts: dict[str, float | None], expiry: float) -> _Connection:
        now = time.monotonic()
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed and now - connection.idle_since < expiry:
                return connection
            connection.close()
            self.open -= 1
        if self.open < self.max_connections:
            self.open += 1
            return await self._connect(timeouts.get("connect"))
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                handed = await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                # Handed over just as this request gave up: pass it on.
                self._hand_over(waiter.result())
            if isinstance(exc, TimeoutError):
                raise _NoFreeConnection from None
            raise
        if handed is not None:
            return cast(_Connection, handed)
        # A slot was freed for this request: it opens its own connection.
        return await self._connect(timeouts.get("connect"))

    async def _connect(self, connect_timeout: float | None) -> _Connection:
        scheme, host, port = self.origin
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(connect_timeout):
                _, connection = await loop.create_connection(
                    _Connection,
                    host,
                    port,
                    ssl=self.ssl_context if scheme == "https" else None,
                    server_hostname=host if scheme == "https" else None,
                )
        except BaseException:
            self._slot_freed()
            raise
        return connection

    def release(self, connection: _Connection, reusable: bool) -> None:
        if reusable and not connection.closed and not self.closed:
            connection.idle_since = time.monotonic()
            self._hand_over(connection)
        else:
            connection.close()
            self._slot_freed()

    def _hand_over(self, connection: _Connection | None) -> None:
        """Give ``connection`` (or, for ``None``, its freed slot) to the first live waiter."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is None:
            self.open -= 1
        else:
            self.idle.append(connection)

    def _slot_freed(self) -> None:
        self._hand_over(None)

    def close(self) -> None:
        self.closed = True
        for connection in self.idle:
            connection.close()
        self.open -= len(self.idle)
        self.idle.clear()


class PooledTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        *,
        max_connections: int = 256,
        keepalive_expiry: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._max_connections = max_connections
        self._expiry = keepalive_expiry
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        self._pools: dict[_Origin, _Pool] = {}
        self._watch = _Watch()
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        if url.scheme not in ("http", "https") or request.method in ("HEAD", "CONNECT"):
            raise httpx.UnsupportedProtocol(
                f"{request.method} {url.scheme} is not supported here", request=request
            )
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = _Pool(origin, self._max_connections, self._ssl_context)
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        raw = _serialize(request, await request.aread())
        for attempt in (1, 2):
            connection = await self._acquire(pool, timeouts, request)
            reused = connection.used
            reusable = False
            try:
                status, headers, body, reusable = await connection.exchange(
                    raw, timeouts.get("read"), self._watch
                )
            except _Disconnected:
                # A kept-alive connection the server had just closed: once more on a new one.
                if reused and attempt == 1:
                    continue
                raise httpx.ReadError(
                    "the server closed the connection without answering", request=request
                ) from None
            except TimeoutError:
                message = "timed out waiting for the answer"
                raise httpx.ReadTimeout(message, request=request) from None
            except httpx.TransportError as exc:
                exc.request = request
                raise
            finally:
                pool.release(connection, reusable)
            return httpx.Response(
                status,
                headers=headers,
                stream=httpx.ByteStream(body),
                extensions={"http_version": b"HTTP/1.1"},
                request=request,
            )
        raise AssertionError("unreachable")

    async def _acquire(
        self, pool: _Pool, timeouts: dict[str, Any], request: httpx.Request
    ) -> _Connection:
        try:
            return await pool.acquire(timeouts, self._expiry)
        except _NoFreeConnection:
            raise httpx.PoolTimeout("no free connection in time", request=request) from None
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc

    async def aclose(self) -> None:
        self._closed = True
        self._watch.close()
        for pool in self._pools.values():
            pool.close()


def _serialize(request: httpx.Request, body: bytes) -> bytes:
    url = request.url
    lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode(), url.raw_path)]
    lines += [b"%s: %s\r\n" % (name, value) for name, value in request.headers.raw]
    lines.append(b"\r\n")
    lines.append(body)
    return b"".join(lines)
