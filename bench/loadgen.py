"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams.

It keeps ``concurrency`` keep-alive connections busy for ``duration`` seconds
(or ``requests`` in total) and reports throughput and latency percentiles.
Raw streams rather than an HTTP client library keep the generator's own CPU
cost far below the server's, which matters on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    path: str
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))
        return ordered[index]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value.strip())
        elif lname == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def run_load(
    host: str,
    port: int,
    path: str,
    *,
    concurrency: int = 32,
    duration: float | None = None,
    requests: int | None = None,
    warmup: float = 0.5,
    request_of: Callable[[], bytes] | None = None,
) -> LoadResult:
    """Drive ``GET path`` with ``concurrency`` workers; stop on time or count.

    ``duration`` defaults to 5 s, or with ``requests`` to "until they are done".
    ``request_of``, when given, makes each request's bytes instead (a write, a mix).
    """
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: loadgen\r\n\r\n"
    ).encode()
    result = LoadResult(path=path, concurrency=concurrency, seconds=0.0)
    remaining = [requests] if requests is not None else None
    started = time.perf_counter()
    measure_from = started + warmup
    if duration is None:
        # A request count alone runs until done, within a generous safety bound.
        duration = 5.0 if requests is None else 600.0
    deadline = measure_from + duration

    async def worker() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        try:
            while True:
                now = time.perf_counter()
                if now >= deadline:
                    return
                if remaining is not None:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                assert reader is not None
                t0 = time.perf_counter()
                try:
                    writer.write(request if request_of is None else request_of())
                    status = await asyncio.wait_for(_read_response(reader), 30)
                except (TimeoutError, OSError, asyncio.IncompleteReadError):
                    result.errors += 1
                    writer.close()
                    reader = writer = None
                    continue
                t1 = time.perf_counter()
                if t0 >= measure_from or remaining is not None:
                    result.latencies.append(t1 - t0)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            if writer is not None:
                writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    end = time.perf_counter()
    result.seconds = end - (started if remaining is not None else measure_from)
    return result
