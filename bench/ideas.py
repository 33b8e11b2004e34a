"""The recipe-ideas section of ``make bench``: the fan-out to three subreddits, measured.

It starts the reddit emulator (``recipe-api fake-reddit``) with latency L in a
process of its own, then one worker of each app against it:

- the tutorial's part-9 endpoints as the tutorial writes them (a new
  ``httpx.AsyncClient`` per subreddit per request), for comparison;
- Recipe API with the cache off (``IDEAS_CACHE_TTL=0``): every request goes
  upstream, so the figures are the fan-out's own;
- Recipe API with the cache on, next to its recipe read endpoint.

Run it alone with ``python bench/ideas.py`` (``--help`` for the knobs);
``bench/run.py`` calls :func:`run_ideas_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, free_port, rss_mb, server, uvicorn_argv
from loadgen import LoadResult, run_load

ASYNC_PATH = "/api/v1/recipes/ideas/async"
SYNC_PATH = "/api/v1/recipes/ideas/"
READ_PATH = "/api/v1/recipes/1"
SUBREDDITS = ("recipes", "easyrecipes", "TopSecretRecipes")


def _load(
    port: int, path: str, *, concurrency: int, seconds: float = 3600, requests: int | None = None
) -> LoadResult:
    return asyncio.run(
        run_load(
            "127.0.0.1",
            port,
            path,
            concurrency=concurrency,
            duration=seconds,
            requests=requests,
            warmup=0 if requests else 0.5,
        )
    )


def _bad(result: LoadResult) -> int:
    return sum(n for status, n in result.statuses.items() if status >= 400) + result.errors


@contextmanager
def _emulator(latency: float) -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, "-m", "recipe_api.cli", "fake-reddit", "--port", str(port)]
    with server([*argv, "--latency", str(latency)], port, ready_path="/subreddits/search.json"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def _recipe_api(
    reddit_url: str, workdir: Path, src: Path | None = None, **env: str
) -> Iterator[tuple[int, int]]:
    """``recipe-api serve`` (migrates and seeds) on a free port: yields its port and pid.

    ``src``: another source tree of the project (the previous commit's), measured alike.
    """
    port = free_port()
    if src is not None:
        env = {**env, "PYTHONPATH": str(src)}
        workdir = workdir / "baseline"
        workdir.mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "recipe_api.cli", "serve", "--port", str(port)]
    settings = {
        "DATABASE_URL": f"sqlite:///{workdir / 'ideas-bench.db'}",
        "SECRET_KEY_FILE": str(workdir / "secret_key"),
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "REDDIT_BASE_URL": reddit_url,
        "REDDIT_OAUTH_URL": reddit_url,
        "IDEAS_SUBREDDITS": ",".join(SUBREDDITS),
        # Metrics and request ids on, as they would be in production.
        "METRICS_ENABLED": "true",
        **env,
    }
    with server([*argv, "--no-access-log"], port, settings, ready_path="/health/live") as process:
        yield port, process.pid


@contextmanager
def _tutorial(reddit_url: str) -> Iterator[tuple[int, int]]:
    port = free_port()
    env = {
        "REDDIT_BASE_URL": reddit_url,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "bench"), os.environ.get("PYTHONPATH")])
        ),
    }
    argv = uvicorn_argv("ideas:tutorial_ideas_app", port, factory=True)
    with server(argv, port, env, ready_path="/docs") as process:
        yield port, process.pid


def _medians(port: int, requests: int) -> tuple[LoadResult, LoadResult]:
    for path in (ASYNC_PATH, SYNC_PATH):
        _load(port, path, concurrency=1, requests=3)  # connections, first token, imports
    concurrent = _load(port, ASYNC_PATH, concurrency=1, requests=requests)
    sequential = _load(port, SYNC_PATH, concurrency=1, requests=requests)
    return concurrent, sequential


def _cache_off(
    reddit_url: str,
    workdir: Path,
    src: Path | None,
    requests: int,
    concurrency: int,
    seconds: float,
    rounds: int,
) -> dict[str, float]:
    """The cache-off figures of one server: medians alone, then rounds of load."""
    ms = 1000
    figures: dict[str, float] = {}
    with _recipe_api(reddit_url, workdir, src, IDEAS_CACHE_TTL="0") as (port, pid):
        concurrent, sequential = _medians(port, requests)
        figures["async_median_ms"] = concurrent.median * ms
        figures["sync_median_ms"] = sequential.median * ms
        figures["ratio"] = sequential.median / concurrent.median
        figures["rss_start_mb"] = rss_mb(pid)
        _load(port, ASYNC_PATH, concurrency=concurrency, seconds=1)  # warm-up
        loads = []
        for number in range(1, rounds + 1):
            loads.append(_load(port, ASYNC_PATH, concurrency=concurrency, seconds=seconds))
            figures[f"rss_round{number}_mb"] = rss_mb(pid)
        best = max(loads, key=lambda result: result.rps)
        figures["load_rps"] = best.rps
        figures["load_rps_worst"] = min(result.rps for result in loads)
        figures["load_p50_ms"] = best.median * ms
        figures["load_p99_ms"] = best.percentile(99) * ms
        figures["load_errors"] = sum(_bad(result) for result in loads)
    return figures


def run_ideas_bench(
    latency: float = 0.2,
    recipe_read_rps: float | None = None,
    *,
    baseline: Path | None = None,
    seconds: float = 5.0,
    concurrency: int = 64,
    requests: int = 30,
    rounds: int = 3,
    tutorial: bool = True,
) -> dict[str, float]:
    """Print the ideas table; return its figures (milliseconds, requests/s, MB)."""
    workdir = Path(tempfile.mkdtemp(prefix="recipe-ideas-bench-"))
    figures: dict[str, float] = {}
    ms = 1000
    print(
        f"\n## Recipe ideas: {len(SUBREDDITS)} subreddits from the emulator at "
        f"{latency * ms:.0f} ms, one worker\n"
    )
    rows: list[tuple[str, str, str, str, str]] = []

    def row(
        what: str, tutorial_figure: str, ours: str, target: str = "", before: str = "-"
    ) -> None:
        rows.append((what, tutorial_figure, before, ours, target))

    with _emulator(latency) as reddit_url:
        tut: dict[str, Any] = {}
        if tutorial:
            with _tutorial(reddit_url) as (port, tutorial_pid):
                concurrent, sequential = _medians(port, max(20, requests // 2))
                tut["async"], tut["sync"] = concurrent.median, sequential.median
                # Its answers take seconds under this load: a longer window, counted from the start.
                tut["load"] = asyncio.run(
                    run_load(
                        "127.0.0.1",
                        port,
                        ASYNC_PATH,
                        concurrency=concurrency,
                        duration=max(15.0, 3 * seconds),
                        warmup=0,
                    )
                )
                tut["rss"] = rss_mb(tutorial_pid)

        figures.update(
            _cache_off(reddit_url, workdir, None, requests, concurrency, seconds, rounds)
        )
        if baseline is not None:
            before = _cache_off(
                reddit_url, workdir, baseline, requests, concurrency, seconds, rounds
            )
            figures.update({f"before_{key}": value for key, value in before.items()})

        with _recipe_api(reddit_url, workdir, IDEAS_CACHE_TTL="300") as (port, _):
            _load(port, ASYNC_PATH, concurrency=concurrency, seconds=1)
            cached = _load(port, ASYNC_PATH, concurrency=concurrency, seconds=seconds)
            _load(port, READ_PATH, concurrency=concurrency, seconds=1)
            read = _load(port, READ_PATH, concurrency=concurrency, seconds=seconds)
            figures["cached_rps"] = cached.rps
            figures["cached_p50_ms"] = cached.median * ms
            figures["read_rps"] = read.rps

    def tut_ms(key: str) -> str:
        return f"{tut[key] * ms:.0f} ms" if key in tut else "-"

    ceiling = concurrency / latency
    before = {k.removeprefix("before_"): v for k, v in figures.items() if k.startswith("before_")}

    def both(show: Callable[[dict[str, float]], str]) -> tuple[str, str]:
        """The figure of this code, and of the baseline code when it was measured."""
        return show(figures), show(before) if before else "-"

    ours, then = both(lambda f: f"{f['async_median_ms']:.1f} ms")
    target = f"<= {latency * ms + 10:.0f} ms"
    row(f"async endpoint, median of {requests}", tut_ms("async"), ours, target, then)
    ours, then = both(lambda f: f"{f['sync_median_ms']:.1f} ms")
    row(f"sync endpoint, median of {requests}", tut_ms("sync"), ours, "", then)
    ours, then = both(lambda f: f"{f['ratio']:.2f}")
    tut_ratio = f"{tut['sync'] / tut['async']:.2f}" if tut else "-"
    row("sync / async", tut_ratio, ours, ">= 2.9 (ideal 3.0)", then)
    load: LoadResult | None = tut.get("load")
    ours, then = both(lambda f: f"{f['load_rps']:.0f} (worst {f['load_rps_worst']:.0f})")
    row(
        f"async, {concurrency} clients, cache off: req/s (best of {rounds})",
        f"{load.rps:.1f}" if load else "-",
        ours,
        f">= 280 (limit {ceiling:.0f})",
        then,
    )
    ours, then = both(lambda f: f"{f['load_p50_ms']:.0f} / {f['load_p99_ms']:.0f} ms")
    tut_load = f"{load.median * ms:.0f} / {load.percentile(99) * ms:.0f} ms" if load else "-"
    row("    p50 / p99", tut_load, ours, "", then)
    ours, then = both(lambda f: f"{f['load_errors']:.0f}")
    row("    failed requests", str(_bad(load)) if load else "-", ours, "0", then)

    def memory(f: dict[str, float]) -> str:
        per_round = " / ".join(f"{f[f'rss_round{n}_mb']:.0f}" for n in range(1, rounds + 1))
        return f"{f['rss_start_mb']:.0f} / {per_round} MB"

    ours, then = both(memory)
    tut_rss = f"{tut['rss']:.0f} MB after" if "rss" in tut else "-"
    row("    worker RSS: start / after each round", tut_rss, ours, "flat", then)
    row(
        f"async, {concurrency} clients, cache on: req/s",
        "-",
        f"{figures['cached_rps']:.0f}",
        f">= {figures['read_rps'] / 2:.0f} (half the read)",
    )
    read_rps = f"{figures['read_rps']:.0f}"
    row(f"recipe read, {concurrency} clients, same worker: req/s", "-", read_rps)
    if recipe_read_rps:
        row("recipe read, from the recipes table above: req/s", "-", f"{recipe_read_rps:.0f}")

    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    header = ("measure", "tutorial", "before (baseline)", "Recipe API", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    for line in (header, tuple("-" * w for w in widths), *rows):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |")
    return figures


def tutorial_ideas_app() -> Any:
    """The tutorial's part-9 endpoints as it writes them, pointed at ``REDDIT_BASE_URL``."""
    import time

    import httpx
    from fastapi import APIRouter, FastAPI, Request, Response

    base_url = os.environ["REDDIT_BASE_URL"]
    app = FastAPI()
    api_router = APIRouter()

    @app.middleware("http")
    async def add_process_time_header(
        request: Request, call_next: Callable[[Request], Any]
    ) -> Response:
        start_time = time.time()
        response: Response = await call_next(request)
        response.headers["X-Process-Time"] = str(time.time() - start_time)
        return response

    def read(subreddit: str, response: httpx.Response, data: dict[str, list[str]]) -> None:
        subreddit_data = []
        for entry in response.json()["data"]["children"]:
            score = entry["data"]["score"]
            title = entry["data"]["title"]
            link = entry["data"]["url"]
            subreddit_data.append(f"{score!s}: {title} ({link})")
        data[subreddit] = subreddit_data

    async def get_reddit_top_async(subreddit: str, data: dict[str, list[str]]) -> None:
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{base_url}/r/{subreddit}/top.json?sort=top&t=day&limit=5",
                headers={"User-agent": "recipe bot 0.1"},
            )
        read(subreddit, response, data)

    def get_reddit_top(subreddit: str, data: dict[str, list[str]]) -> None:
        response = httpx.get(
            f"{base_url}/r/{subreddit}/top.json?sort=top&t=day&limit=5",
            headers={"User-agent": "recipe bot 0.1"},
        )
        read(subreddit, response, data)

    @api_router.get("/ideas/async")
    async def fetch_ideas_async() -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        await asyncio.gather(*(get_reddit_top_async(name, data) for name in SUBREDDITS))
        return data

    @api_router.get("/ideas/")
    def fetch_ideas() -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for name in SUBREDDITS:
            get_reddit_top(name, data)
        return data

    app.include_router(api_router, prefix="/api/v1/recipes")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.2, help="emulated reddit latency (s)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per loaded round")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--requests", type=int, default=30, help="for each median")
    parser.add_argument("--rounds", type=int, default=3, help="loaded rounds, for memory")
    parser.add_argument("--no-tutorial", dest="tutorial", action="store_false")
    parser.add_argument("--baseline", type=Path, help="src/ of another checkout, measured alike")
    args = parser.parse_args()
    run_ideas_bench(
        baseline=args.baseline,
        latency=args.latency,
        seconds=args.seconds,
        concurrency=args.concurrency,
        requests=args.requests,
        rounds=args.rounds,
        tutorial=args.tutorial,
    )


if __name__ == "__main__":
    main()
