"""A worker's outbound HTTP client (aiohttp), made on its first use rather than at start.

aiohttp and what it imports cost a worker about 9 MB of memory (measured,
decision 0031); most workers never call reddit or fetch a page to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp


class SessionOnFirstUse:
    """``make()``'s session, made on the first call and shared afterwards; ``aclose`` closes it.

    ``make`` imports aiohttp itself. Called on the event loop (a request's
    task), as aiohttp wants its session made there.
    """

    def __init__(self, make: Callable[[], aiohttp.ClientSession]) -> None:
        self._make = make
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def __call__(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None:
            if self._closed:
                raise RuntimeError("the HTTP client was closed")
            session = self._session = self._make()
        return session

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None
