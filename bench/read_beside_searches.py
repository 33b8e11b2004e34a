"""Where a read waits beside two searching clients, in-process (no HTTP), on one event loop.

``python bench/read_beside_searches.py URL [--seconds 4] [--rounds 2]``: a
recipe read by id in a loop, alone, then beside two tasks searching without
pause (``bench/scale.py``'s two busy searches), then beside two tasks reading;
for each, the read's p50 / p99, the p99 of its pool checkout (PostgreSQL) and
the event loop's lag (a 1 ms sleep's lateness). A read that waits on the loop
shows as lag; one that waits for its pooled connection, as checkout; what is
left is the database (its backend's core, on PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import BUSY_SEARCHES

from recipe_api.db.engine import Database
from recipe_api.recipes.search.query import SearchQuery
from recipe_api.recipes.search.service import search_recipes
from recipe_api.recipes.service import get_recipe


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000:.2f}"


async def _measure(url: str, beside: str, seconds: float, read_id: int, size: int) -> str:
    db = Database(url)
    checkouts: list[float] = []
    lags: list[float] = []
    reads: list[float] = []
    checkout = Database._checkout

    async def timed_checkout(engine: Any) -> Any:
        started = time.perf_counter()
        connection = await checkout(engine)
        checkouts.append(time.perf_counter() - started)
        return connection

    db._checkout = timed_checkout  # type: ignore[method-assign]
    await get_recipe(db, read_id)
    stop = time.monotonic() + seconds

    async def until_stop(step: Callable[[], Awaitable[object]]) -> int:
        done = 0
        while time.monotonic() < stop:
            await step()
            done += 1
        return done

    async def read() -> None:
        started = time.perf_counter()
        await get_recipe(db, read_id)
        reads.append(time.perf_counter() - started)
        await asyncio.sleep(0)

    async def tick() -> None:
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - started - 0.001)

    def search(query: str) -> Callable[[], Awaitable[object]]:
        keyword = query.removeprefix("keyword=")
        return lambda: search_recipes(db, SearchQuery(keyword=keyword), limit=10)

    others: list[Callable[[], Awaitable[object]]] = []
    if beside == "searching":
        others = [search(query) for query in BUSY_SEARCHES]
    elif beside == "reading":
        others = [lambda n=n: get_recipe(db, n) for n in (1, max(1, size // 3))]  # type: ignore[misc]
    done = await asyncio.gather(until_stop(read), until_stop(tick), *map(until_stop, others))
    await db.aclose()
    return (
        f"| {beside} | {_ms(reads, 50)} / {_ms(reads, 99)} | {len(reads)} | {_ms(checkouts, 99)}"
        f" | {_ms(lags, 50)} / {_ms(lags, 99)} | {', '.join(map(str, done[2:])) or '-'} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--size", type=int, default=1_000_000, help="recipes in the database")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(
        "| beside | read p50 / p99 ms | reads | checkout p99 ms | loop lag p50 / p99 ms | others' |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for _ in range(args.rounds):
        for beside in ("nothing", "searching", "reading"):
            print(await _measure(args.url, beside, args.seconds, args.size // 2, args.size))
    print(f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    asyncio.run(main())
