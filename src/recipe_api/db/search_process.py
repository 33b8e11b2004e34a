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
- to the worker: ``(unit, ok, value)``, the unit's answer or its error.

The child is started on the first unit (from the forkserver, in
milliseconds), and again on the next unit should it die; the units it was
running then fail with a 503. It ends when the worker closes its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import socket
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection as PipeEnd
from multiprocessing.process import BaseProcess
from typing import Any

from recipe_api.errors import ServiceBusyError
from recipe_api.processes import forkserver

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!I")
_STOPPED = "The search stopped unexpectedly; try again"


@dataclass(frozen=True)
class ChildOptions:
    """What the child's :class:`Database` is made with."""

    url: str
    concurrency: int
    niceness: int
    connect_timeout: float
    statement_timeout_ms: int
    pool_timeout: float


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
            if self._child is None or self._child.stopped:
                self._child = await _Child.start(self._options)
            return self._child

    @property
    def pid(self) -> int | None:
        """The child's process id, while one runs."""
        child = self._child
        return None if child is None or child.stopped else child.process.pid

    async def aclose(self) -> None:
        if self._child is not None:
            await self._child.close()
            self._child = None


class _Child:
    def __init__(
        self, process: BaseProcess, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.process = process
        self._reader = reader
        self._writer = writer
        self._waiting: dict[int, asyncio.Future[tuple[bool, Any]]] = {}
        self.stopped = False
        self._answers = asyncio.create_task(self._read_answers())

    @classmethod
    async def start(cls, options: ChildOptions) -> _Child:
        context = forkserver(__name__)
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=_child_main, args=(theirs, options), name="recipe-api-search", daemon=True
        )
        try:
            # Blocks on the forkserver (which the first child starts): in a thread.
            await asyncio.to_thread(process.start)
        finally:
            theirs.close()
        reader, writer = await asyncio.open_connection(sock=_socket_of(ours))
        log.info("Search process %s started", process.pid)
        return cls(process, reader, writer)

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
        self._writer.write(_frame((unit, fn, time_limit, tuple(args), dict(kwargs))))
        try:
            ok, value = await answer
        except asyncio.CancelledError:
            # The request went away: the child stops the unit (as a cancelled
            # unit in a thread is stopped), and its answer, if any, is dropped.
            if self._waiting.pop(unit, None) is not None and not self.stopped:
                self._writer.write(_frame((unit,)))
            raise
        if not ok:
            raise value
        return value

    async def _read_answers(self) -> None:
        try:
            while True:
                unit, ok, value = await _message(self._reader)
                answer = self._waiting.pop(unit, None)
                if answer is not None and not answer.done():
                    answer.set_result((ok, value))
        except (asyncio.IncompleteReadError, ConnectionError):
            if not self.stopped:
                log.error("The search process %s stopped", self.process.pid)
        finally:
            self.stopped = True
            self._writer.close()
            for answer in self._waiting.values():
                if not answer.done():
                    answer.set_exception(ServiceBusyError(_STOPPED, retry_after=1))
            self._waiting.clear()

    async def close(self) -> None:
        self.stopped = True
        self._writer.close()  # the child's end of file: it stops its units and exits
        self._answers.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._answers
        await asyncio.to_thread(self.process.join, 5)
        if self.process.is_alive():
            self.process.kill()
            await asyncio.to_thread(self.process.join)


# --- In the child -------------------------------------------------------------------


def _child_main(end: PipeEnd, options: ChildOptions) -> None:
    asyncio.run(_serve(_socket_of(end), options))


async def _serve(sock: socket.socket, options: ChildOptions) -> None:
    from recipe_api.db.engine import Database

    db = Database(
        options.url,
        pool_size=options.concurrency,
        connect_timeout=options.connect_timeout,
        statement_timeout_ms=options.statement_timeout_ms,
        pool_timeout=options.pool_timeout,
        bounded_concurrency=options.concurrency,
        search_thread_niceness=options.niceness,
    )
    reader, writer = await asyncio.open_connection(sock=sock)
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
