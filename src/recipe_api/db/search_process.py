"""Bounded units (the searches) in a child process of the worker's own (decision 0038).

A search's Python (building its statements, reading its rows, writing its
JSON) in a thread of the worker holds the worker's GIL, which the event loop
needs for every read it serves: beside two searching clients at a million
recipes, a read's p99 was 1.8-2.2x the read beside two reading clients. In a
process of its own the search has its own GIL, and the worker's loop only
sends the unit and receives its answer.

The child is a small asyncio program around a :class:`Database` of its own
that runs each unit with :meth:`Database.read_bounded`, as the worker did:
the same slots, time limits, search threads and their priority, and the same
cancelling of a stopped unit. The worker and the child talk through a socket
pair, in frames of a 4-byte length and a pickle:

- to the child: ``(unit, fn, time_limit, args, kwargs)`` to run a unit,
  ``(unit,)`` to cancel it (its request went away);
- to the worker: ``(unit, ok, value)``, the unit's answer or its error; first
  of all ``(_READY, True, None)``, once the child has imported the units'
  modules and opened its end.

The child is started with the app (``start_soon``), or by the first unit,
and again by the next unit should it die; the units it was running then fail
with a 503. A unit waits for the child to be ready without that wait counting
in its time limit. The worker gives up on an answer a grace period past the
unit's limit (a 503; the unit is cancelled in the child). The child ends when
the worker closes its end, or when the worker dies.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import logging
import multiprocessing
import os
import pickle
import socket
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection as PipeEnd
from multiprocessing.process import BaseProcess
from typing import Any, cast

from recipe_api.errors import QueryTimeoutError, ServiceBusyError

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!I")
_STOPPED = "The search stopped unexpectedly; try again"
_NOT_STARTED = "The search is starting; try again shortly"
# The child's first frame: imported, connected, ready for units.
_READY = -1
# Seconds a child may take to be ready (a fresh interpreter's imports on a busy machine).
_START_SECONDS = 60.0
# Seconds past a unit's time limit that the worker waits for the child's answer.
GRACE = 5.0


@dataclass(frozen=True)
class ChildOptions:
    """What the child's :class:`Database` is made with."""

    url: str
    # The keyword arguments of ``Database`` (no search process of its own).
    database: Mapping[str, Any]
    # Imported before the child says it is ready: the units' modules.
    preload: tuple[str, ...] = ()


def _frame(message: object) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


async def _message(reader: asyncio.StreamReader) -> Any:
    """The next frame's message; ``IncompleteReadError`` at the other end's close."""
    (length,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    return pickle.loads(await reader.readexactly(length))


def _socket_of(end: PipeEnd) -> socket.socket:
    """A socket of a multiprocessing pipe's end (a socket pair on Unix); the end closed."""
    sock = socket.socket(fileno=os.dup(end.fileno()))
    end.close()
    return sock


class SearchProcess:
    """Runs bounded units in the worker's search process (see the module docstring)."""

    def __init__(self, options: ChildOptions) -> None:
        self._options = options
        self._child: _Child | None = None
        self._starting = asyncio.Lock()
        self._units = itertools.count()
        self._started: asyncio.Task[None] | None = None
        self._closed = False

    async def run(
        self,
        fn: Callable[..., Any],
        time_limit: float,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> Any:
        """``fn(connection, *args, **kwargs)`` run by ``Database.read_bounded`` in the child.

        ``fn`` and what it is given and returns must pickle (a module's function,
        plain values). The child's start is not counted in ``time_limit``.
        """
        child = await self._running()
        return await child.run(next(self._units), fn, time_limit, args, kwargs)

    async def _running(self) -> _Child:
        child = self._child
        if child is not None and not child.stopped:
            return child
        async with self._starting:
            if self._closed:
                raise ServiceBusyError(_STOPPED, retry_after=1)
            if self._child is None or self._child.stopped:
                self._child = await _Child.start(self._options)
            return self._child

    def start_soon(self, *preload: str) -> None:
        """The child started in the background, ``preload`` (the units' modules) imported.

        A fresh interpreter's imports take about half a second; a search that
        comes before the child is ready waits for it, not counting that wait.
        """
        self._options = replace(self._options, preload=self._options.preload + preload)
        self._started = asyncio.get_running_loop().create_task(self._start_quietly())

    async def _start_quietly(self) -> None:
        try:
            await self._running()
        except Exception:
            log.exception("The search process did not start; the first search tries again")

    @property
    def pid(self) -> int | None:
        """The child's process id, while one runs."""
        child = self._child
        return None if child is None or child.stopped else child.process.pid

    async def aclose(self) -> None:
        self._closed = True
        if self._started is not None:  # a start in progress is stopped, not awaited
            self._started.cancel()
            await asyncio.gather(self._started, return_exceptions=True)
        if self._child is not None:
            await self._child.close()
            self._child = None


class _Child(asyncio.Protocol):
    """The worker's end of one child: frames out, answers in, straight from the socket.

    A protocol rather than a stream reader: an answer's frame resolves the
    waiting request as it arrives, with no task of its own to wake.
    """

    def __init__(self, process: BaseProcess) -> None:
        self.process = process
        self._transport: asyncio.Transport | None = None
        self._received = bytearray()
        self._waiting: dict[int, asyncio.Future[tuple[bool, Any]]] = {}
        self._lost = asyncio.get_running_loop().create_future()
        self._ready: asyncio.Future[tuple[bool, Any]] = self._lost.get_loop().create_future()
        self._waiting[_READY] = self._ready
        self.stopped = False

    @classmethod
    async def start(cls, options: ChildOptions) -> _Child:
        # spawn: a fresh interpreter that imports only what searches need (about 55
        # MB), not a fork of a worker running threads and a loop.
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=_child_main, args=(theirs, options), name="recipe-api-search", daemon=True
        )
        try:
            await asyncio.to_thread(process.start)  # a fork and an exec: off the loop
        finally:
            theirs.close()
        child = cls(process)
        loop = asyncio.get_running_loop()
        await loop.connect_accepted_socket(lambda: child, _socket_of(ours))
        try:
            async with asyncio.timeout(_START_SECONDS):
                await child._ready  # a child that dies first fails it: a 503
        except (TimeoutError, asyncio.CancelledError) as exc:
            # Not ready in time, or the app is stopping: nothing of the child is wanted.
            process.kill()
            await child.close()
            if isinstance(exc, TimeoutError):
                log.error("The search process %s was not ready in time", process.pid)
                raise ServiceBusyError(_NOT_STARTED, retry_after=5) from None
            raise
        log.info("Search process %s started", process.pid)
        return child

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        received = self._received
        received += data
        while len(received) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(received)
            end = _HEADER.size + length
            if len(received) < end:
                return
            # The view released before the buffer shrinks (else a BufferError).
            with memoryview(received)[_HEADER.size : end] as body:
                unit, ok, value = pickle.loads(body)
            del received[:end]
            answer = self._waiting.pop(unit, None)
            if answer is not None and not answer.done():
                answer.set_result((ok, value))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.stopped:
            log.error("The search process %s stopped", self.process.pid)
        self.stopped = True
        for answer in self._waiting.values():
            if not answer.done():
                answer.set_exception(ServiceBusyError(_STOPPED, retry_after=1))
        self._waiting.clear()
        if not self._lost.done():
            self._lost.set_result(None)

    def _send(self, message: object) -> None:
        assert self._transport is not None
        self._transport.write(_frame(message))

    async def run(
        self,
        unit: int,
        fn: Callable[..., Any],
        time_limit: float,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> Any:
        answer: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[unit] = answer
        self._send((unit, fn, time_limit, tuple(args), dict(kwargs)))
        try:
            # The child stops a unit at its limit; past that and GRACE, it is stuck.
            async with asyncio.timeout(time_limit + GRACE):
                ok, value = await answer
        except (asyncio.CancelledError, TimeoutError) as exc:
            # The request went away, or the child did not answer: the child
            # stops the unit (as a cancelled unit in a thread is stopped), and
            # its answer, if any, is dropped.
            if self._waiting.pop(unit, None) is not None and not self.stopped:
                self._send((unit,))
            if isinstance(exc, TimeoutError):
                log.error("The search process %s did not answer in time", self.process.pid)
                raise QueryTimeoutError() from None
            raise
        if not ok:
            raise value
        return value

    async def close(self) -> None:
        self.stopped = True
        if self._transport is not None:
            self._transport.close()  # the child's end of file: it stops its units and exits
        await self._lost
        await asyncio.to_thread(self.process.join, 5)
        if self.process.is_alive():
            self.process.kill()
            await asyncio.to_thread(self.process.join)


# --- In the child -------------------------------------------------------------------


def _child_main(end: PipeEnd, options: ChildOptions) -> None:
    try:  # the worker's own event loop where installed (uvicorn's standard extra)
        import uvloop

        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - installed with uvicorn[standard]
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_serve(_socket_of(end), options))


async def _serve(sock: socket.socket, options: ChildOptions) -> None:
    from recipe_api.db.engine import Database

    db = Database(options.url, **options.database)
    for module in options.preload:
        importlib.import_module(module)
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(_frame((_READY, True, None)))
    running: dict[int, asyncio.Task[None]] = {}

    async def run(
        unit: int, fn: Callable[..., Any], time_limit: float, args: Any, kwargs: Any
    ) -> None:
        try:
            answer = (unit, True, await db.read_bounded(fn, time_limit, *args, **kwargs))
        except asyncio.CancelledError:
            return  # the worker has forgotten the unit
        except Exception as exc:
            answer = (unit, False, _portable(exc))
        finally:
            running.pop(unit, None)
        writer.write(_frame(answer))

    try:
        while True:
            try:
                message = await _message(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return  # the worker closed its end, or is gone
            if len(message) == 1:
                task = running.get(message[0])
                if task is not None:
                    task.cancel()
                continue
            unit = message[0]
            running[unit] = asyncio.create_task(run(*message))
    finally:
        for task in list(running.values()):
            task.cancel()
        await asyncio.gather(*running.values(), return_exceptions=True)
        writer.close()
        await db.aclose()


def _portable(exc: Exception) -> Exception:
    """``exc`` as the worker can be given it: itself if it pickles, else its words."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        log.exception("A search failed")
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    if not getattr(exc, "status_code", None):
        log.error("A search failed", exc_info=exc)
    return exc
