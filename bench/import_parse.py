"""Reading a hostile import page: where the page is parsed, and with what, side by side.

Run: ``.venv/bin/python bench/import_parse.py`` (about two minutes). The page is
issue 19's: valid JSON-LD, then 200,000 nested ``div``s (1.9 MB,
``tests/recipes/hostile.py``).

1. One parse of that page by each candidate parser (a fresh process each, so
   the memory figure is the parse's own): what a pre-parse could cost.
2. Eight of them at once inside an asyncio process, as a worker would: in
   worker threads (the old way), in threads after the lxml pre-parse, and in a
   child process per page (forkserver, as shipped; and spawn, a fresh
   interpreter each). Figures: the slowest page, the event loop's longest
   stall (a 10 ms timer's lateness) and the process's RSS growth once done.
3. A real ``recipe-api serve`` (one worker) taking 8 hostile imports at once
   while a client reads a recipe every 20 ms: the reads' times and the
   worker's RSS before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import httpx
import psutil
from tests.recipes.hostile import PAGES, hostile_page

HOSTILE = hostile_page()
HOSTILE_TEXT = HOSTILE.decode()
NO_JSON_LD = HOSTILE_TEXT.replace('type="application/ld+json"', 'type="text/plain"')
AT_ONCE = 8
URL = "https://kitchen.example/shakshuka"


# --- 1. One parse, by parser ----------------------------------------------------------------


def _parsers() -> dict[str, Callable[[str], object]]:
    def lxml_html(html: str) -> object:
        import lxml.html

        tree = lxml.html.document_fromstring(html)
        return tree.xpath('//script[@type="application/ld+json"]')

    def selectolax(html: str) -> object:
        from selectolax.lexbor import LexborHTMLParser

        return LexborHTMLParser(html).css('script[type="application/ld+json"]')

    def stdlib(html: str) -> object:
        from html.parser import HTMLParser

        HTMLParser().feed(html)
        return None

    def bs4_html_parser(html: str) -> object:
        from bs4 import BeautifulSoup

        return BeautifulSoup(html, "html.parser").find_all("script")

    def bs4_lxml(html: str) -> object:
        from bs4 import BeautifulSoup

        return BeautifulSoup(html, "lxml").find_all("script")

    def recipe_scrapers(html: str) -> object:
        from recipe_api.recipes.importer import recipe_from_markup

        return recipe_from_markup(html, URL)

    def pre_parse_then_recipe_scrapers(html: str) -> object:
        from recipe_api.recipes.importer import recipe_from_page

        return recipe_from_page(html, URL)

    return {
        "lxml.html (libxml2; stops at 256 levels)": lxml_html,
        "selectolax (lexbor), 20,000 levels only": selectolax,
        "html.parser (stdlib, no tree)": stdlib,
        "BeautifulSoup, html.parser": bs4_html_parser,
        "BeautifulSoup, lxml": bs4_lxml,
        "recipe-scrapers on the whole page (before)": recipe_scrapers,
        "lxml pre-parse, then recipe-scrapers (now)": pre_parse_then_recipe_scrapers,
    }


def _one_parse(name: str) -> None:
    """In a process of its own: one parse by ``name``, its time and RSS growth."""
    parse = _parsers()[name]
    html = hostile_page(20_000).decode() if "20,000" in name else HOSTILE_TEXT
    with contextlib.suppress(Exception):  # the imports, outside the figures
        parse((PAGES / "jsonld.html").read_text())
    process = psutil.Process()
    before = process.memory_info().rss
    started = time.perf_counter()
    parse(html)
    elapsed = time.perf_counter() - started
    grown = (process.memory_info().rss - before) / 2**20
    print(f"{elapsed * 1000:.1f}\t{grown:.0f}")


def by_parser() -> None:
    print("\n1. One parse of the hostile page (fresh process each)\n")
    print(f"| {'parser':<45} | time (ms) | RSS growth (MB) |")
    print(f"|{'-' * 47}|-----------|-----------------|")
    for name in _parsers():
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--one-parse", name],
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            ).stdout.split()
            ms, mb = out[-2], out[-1]
        except subprocess.TimeoutExpired:
            ms, mb = "> 120,000", "-"
        except subprocess.CalledProcessError as exc:
            ms, mb = "failed", exc.stderr.strip().splitlines()[-1][:40]
        print(f"| {name:<45} | {ms:>9} | {mb:>15} |")


# --- 2. Eight at once in one asyncio process ------------------------------------------------


async def _stalls(done: asyncio.Event, stalls: list[float]) -> None:
    while not done.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        stalls.append(time.perf_counter() - started - 0.01)


def _way(name: str) -> Callable[[str], Awaitable[object]]:
    from anyio import to_thread

    from recipe_api.recipes.importer import (
        FetchedPage,
        PageReader,
        recipe_from_markup,
        recipe_from_page,
    )

    if name == "idle":  # no page read: the machine's own stalls, for reference
        return lambda html: asyncio.sleep(3)
    if name == "thread":
        return lambda html: to_thread.run_sync(recipe_from_markup, html, URL)
    if name == "thread+lxml":
        return lambda html: to_thread.run_sync(recipe_from_page, html, URL)
    reader = PageReader(
        seconds=5, memory_mb=256, start_method="spawn" if name.startswith("spawn") else "forkserver"
    )
    return lambda html: reader.read(FetchedPage(URL, html.encode(), "utf-8"))


async def _at_once(way: str, page: str) -> None:
    read = _way(way)
    html = HOSTILE_TEXT if page == "hostile" else NO_JSON_LD
    await read((PAGES / "jsonld.html").read_text())  # warm: imports, the forkserver
    process = psutil.Process()
    before = process.memory_info().rss
    done, stalls = asyncio.Event(), []
    ticker = asyncio.create_task(_stalls(done, stalls))
    times: list[float] = []

    async def one() -> str:
        started = time.perf_counter()
        try:
            await read(html)
            outcome = "read"
        except Exception as exc:
            outcome = type(exc).__name__
        times.append(time.perf_counter() - started)
        return outcome

    outcomes = await asyncio.gather(*(one() for _ in range(AT_ONCE)))
    done.set()
    await ticker
    await asyncio.sleep(0.3)
    grown = (process.memory_info().rss - before) / 2**20
    outcome = ",".join(sorted(set(outcomes)))
    print(f"{max(times):.2f}\t{max(stalls) * 1000:.0f}\t{grown:.0f}\t{outcome}")


def at_once() -> None:
    print(f"\n2. {AT_ONCE} pages at once in one asyncio process\n")
    print("| way | page | slowest page (s) | longest loop stall (ms) | RSS kept (MB) | outcome |")
    print("|---|---|---|---|---|---|")
    ways = [
        ("idle", "no page read, 3 s of the timer alone (the machine's own stalls)"),
        ("thread", "worker threads, recipe-scrapers on the whole page (before)"),
        ("thread+lxml", "worker threads, lxml pre-parse first"),
        ("forkserver+lxml", "child per page from a forkserver, lxml first (now)"),
        ("spawn+lxml", "child per page, fresh interpreter (spawn), lxml first"),
    ]
    for page in ("hostile", "no-json-ld"):
        for way, label in ways:
            if page == "no-json-ld" and way in ("idle", "thread+lxml"):
                continue  # the same work as "thread": the whole page is read
            out = subprocess.run(
                [sys.executable, __file__, "--at-once", way, page],
                capture_output=True,
                text=True,
                timeout=600,
            )
            fields = out.stdout.split() or ["failed", "", "", out.stderr.strip()[-60:]]
            print(f"| {label} | {page} | " + " | ".join(fields) + " |")


# --- 3. A real server ------------------------------------------------------------------------


class _Pages(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = HOSTILE if self.path.startswith("/hostile") else (PAGES / "jsonld.html").read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


async def _server_run(base: str, pages: str, pid: int) -> None:
    worker = psutil.Process(pid)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        email, password = "bench@example.com", "long enough password"
        await client.post("/api/v1/auth/signup", json={"email": email, "password": password})
        token = (
            await client.post("/api/v1/auth/login", data={"username": email, "password": password})
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        warm = await client.post(
            "/api/v1/recipes/import", json={"url": f"{pages}/jsonld"}, headers=headers
        )
        recipe = f"/api/v1/recipes/{warm.json()['id']}"
        idle = []
        for _ in range(50):
            started = time.perf_counter()
            await client.get(recipe)
            idle.append(time.perf_counter() - started)
        before = worker.memory_info().rss / 2**20
        done, reads = asyncio.Event(), []

        async def read() -> None:
            while not done.is_set():
                started = time.perf_counter()
                await client.get(recipe)
                reads.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)

        reader = asyncio.create_task(read())
        started = time.perf_counter()
        answers = await asyncio.gather(
            *(
                client.post(
                    "/api/v1/recipes/import", json={"url": f"{pages}/hostile{n}"}, headers=headers
                )
                for n in range(AT_ONCE)
            )
        )
        took = time.perf_counter() - started
        done.set()
        await reader
        await asyncio.sleep(0.5)
        after = worker.memory_info().rss / 2**20
    statuses = sorted(a.status_code for a in answers)
    print(f"\n3. A real server, one worker: {AT_ONCE} hostile imports at once\n")
    print(f"- answers: {statuses}, all within {took:.2f} s")
    print(
        f"- a recipe read, idle: median {statistics.median(idle) * 1000:.1f} ms; during the "
        f"imports ({len(reads)} reads): median {statistics.median(reads) * 1000:.1f} ms, "
        f"slowest {max(reads) * 1000:.0f} ms"
    )
    print(f"- worker RSS: {before:.0f} MB before, {after:.0f} MB after")


def real_server() -> None:
    from common import free_port, server

    pages = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    pages.daemon_threads = True
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        env = {
            "DATABASE_URL": f"sqlite:///{workdir}/bench.db",
            "LOG_LEVEL": "WARNING",
            "SECRET_KEY_FILE": f"{workdir}/secret_key",
            "IMPORT_ALLOW_NETWORKS": "127.0.0.0/8",
            "IMPORT_MAX_CONCURRENT": str(AT_ONCE),
            "IMPORT_MAX_PER_COOK": "1000",
        }
        argv = [sys.executable, "-m", "recipe_api.cli", "serve", "--port", str(port)]
        with server(argv, port, env, "/health/ready") as process:
            pages_url = f"http://127.0.0.1:{pages.server_address[1]}"
            asyncio.run(_server_run(f"http://127.0.0.1:{port}", pages_url, process.pid))
    pages.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--one-parse")
    parser.add_argument("--at-once", nargs=2)
    args = parser.parse_args()
    if args.one_parse:
        _one_parse(args.one_parse)
    elif args.at_once:
        asyncio.run(_at_once(*args.at_once))
    else:
        print(f"Page: {len(HOSTILE):,} bytes; {os.cpu_count()} cores")
        by_parser()
        at_once()
        real_server()


if __name__ == "__main__":
    main()
