"""A worker's background loop over a table of due work (the outbox, the import jobs).

Each worker polls; a row's lease, not this loop, keeps two workers off the
same work, so a worker that stops mid-way leaves its rows to the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class Poller:
    """Runs :meth:`run_once` until stopped: again at once after work, else after a poll or a wake.

    Subclasses set ``name`` and ``poll_seconds`` and define ``run_once``, whose
    truthy answer means it found work.
    """

    name = "poller"
    poll_seconds = 2.0

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> object:
        raise NotImplementedError

    def wake(self) -> None:
        """Work was just committed: look now rather than at the next poll."""
        self._wake.set()

    async def run_forever(self) -> None:
        while not self._stopping:
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away: the lease brings the work back
                log.warning("%s: %s", self.name, exc)
                worked = False
            if worked or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run_forever(), name=self.name)

    async def stop(self, grace: float = 5.0) -> None:
        """Lets the work in hand finish (up to ``grace`` seconds), then cancels.

        Cancelling mid-query would drop a database connection under the pool's
        feet; work cut short stays claimed until its lease ends.
        """
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        await finish_within(self._task, grace)
        self._task = None
        self._stopping = False


async def finish_within(task: asyncio.Task[None], grace: float) -> None:
    """Let ``task`` finish what it is doing for ``grace`` seconds, then cancel it.

    Cancelling mid-query would drop a connection under the pool's feet, so a
    stopping loop is first asked to stop (its own flag) and given the grace.
    """
    try:
        await asyncio.wait_for(asyncio.shield(task), grace)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
