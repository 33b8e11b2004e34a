"""A burst of simultaneous signups at the production Argon2 cost, and the reads beside it.

One worker on a seeded SQLite file. Readers keep ``GET /api/v1/recipes/1``
busy on keep-alive connections while ``signups`` accounts sign up at once;
the worker's RSS is sampled every 10 ms. Measured twice in one run: with
hashing unbounded (``HASH_CONCURRENCY`` above the burst, as before the
limit) and with the default bound (the core count).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import free_port, rss_mb, server
from loadgen import _read_response

READ = "/api/v1/recipes/1"


@dataclass
class BurstResult:
    label: str
    rss_before: float
    rss_peak: float = 0.0
    read_latencies: list[float] = field(default_factory=list)
    quiet_latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    burst_seconds: float = 0.0


async def _reader(port: int, stop: asyncio.Event, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {READ} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    try:
        while not stop.is_set():
            started = time.perf_counter()
            writer.write(request)
            await _read_response(reader)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _reads_for(port: int, seconds: float, readers: int) -> list[float]:
    latencies: list[float] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_reader(port, stop, latencies)) for _ in range(readers)]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    return latencies


async def _burst(port: int, signups: int, readers: int, result: BurstResult) -> None:
    result.quiet_latencies = await _reads_for(port, 2.0, readers)
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(_reader(port, stop, result.read_latencies)) for _ in range(readers)
    ]
    await asyncio.sleep(0.2)
    result.read_latencies.clear()  # only the reads that overlap the burst
    limits = httpx.Limits(max_connections=signups)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=120
    ) as client:
        started = time.perf_counter()
        answers = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/auth/signup",
                    json={"email": f"burst{n}-{os.getpid()}@example.com", "password": "x" * 16},
                )
                for n in range(signups)
            )
        )
        result.burst_seconds = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks)
    for answer in answers:
        result.statuses[answer.status_code] = result.statuses.get(answer.status_code, 0) + 1


def _measure(label: str, hash_concurrency: str | None, signups: int, readers: int) -> BurstResult:
    from run import _prepare  # the recipes section's seeding

    workdir = Path(tempfile.mkdtemp(prefix="recipe-burst-"))
    url = f"sqlite:///{workdir / 'burst.db'}"
    _prepare(url)
    port = free_port()
    env = {
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "SIGNUP_MAX_PER_CLIENT": "1000000",
        "SECRET_KEY_FILE": str(workdir / "secret_key"),
    }
    if hash_concurrency:
        env["HASH_CONCURRENCY"] = hash_concurrency
    argv = [sys.executable, "-m", "recipe_api.cli", "serve", "--no-access-log", "--no-migrate"]
    with server([*argv, "--port", str(port)], port, env, READ) as process:
        result = BurstResult(label=label, rss_before=rss_mb(process.pid))
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                result.rss_peak = max(result.rss_peak, rss_mb(process.pid))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            asyncio.run(_burst(port, signups, readers, result))
        finally:
            done.set()
            sampler.join()
    return result


def _p(latencies: list[float], pct: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] * 1000


def run_signup_burst_bench(signups: int = 24, readers: int = 8) -> None:
    cores = os.cpu_count() or 1
    results = [
        _measure(f"unbounded (HASH_CONCURRENCY={signups * 2})", str(signups * 2), signups, readers),
        _measure(f"bounded (default: {cores} at once)", None, signups, readers),
    ]
    print(
        f"\n## Signup burst: {signups} simultaneous signups at the production Argon2 cost "
        f"(t=3, 64 MiB, p=4), {readers} readers of one recipe, one worker\n"
    )
    print(
        "| hashing | worker RSS before / peak | read p50 / p99 quiet | read p50 / p99 in burst "
        "| reads in burst | burst took | signup answers |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        answers = ", ".join(f"{n} x {status}" for status, n in sorted(r.statuses.items()))
        print(
            f"| {r.label} | {r.rss_before:.0f} / {r.rss_peak:.0f} MB "
            f"| {_p(r.quiet_latencies, 50):.1f} / {_p(r.quiet_latencies, 99):.1f} ms "
            f"| {_p(r.read_latencies, 50):.1f} / {_p(r.read_latencies, 99):.1f} ms "
            f"| {len(r.read_latencies)} | {r.burst_seconds:.1f} s | {answers} |"
        )


if __name__ == "__main__":
    run_signup_burst_bench()
