"""The reddit emulator served on a free local port, on its own loop in a thread of the tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple

from aiohttp import web

from recipe_api.ideas.emulator import SERVER_OPTIONS, FakeReddit


class RunningFakeReddit(NamedTuple):
    url: str
    reddit: FakeReddit


@contextlib.contextmanager
def running_fake_reddit(latency: float = 0.0, **options: Any) -> Iterator[RunningFakeReddit]:
    reddit = FakeReddit(latency, **options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-reddit", daemon=True)
    thread.start()

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(10)

    runner = web.AppRunner(reddit.app(), **SERVER_OPTIONS)
    run(runner.setup())
    run(web.TCPSite(runner, "127.0.0.1", 0).start())
    try:
        yield RunningFakeReddit(f"http://127.0.0.1:{runner.addresses[0][1]}", reddit)
    finally:
        run(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
