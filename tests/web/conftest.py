"""Browser fixtures: Debian's Chromium driven by Playwright, and the site served per backend.

The site is ``recipe-api serve`` as a user starts it (migrated and seeded on
start), once per backend for the whole session; tests keep apart by using
emails of their own. Every browser context gets a fresh set of cookies.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from recipe_api.db.engine import normalize_url
from tests.conftest import LiveServer, free_port, serving, skip_or_fail
from tests.email.smtp import Mailbox, smtp_server
from tests.ideas.running import RunningFakeReddit, running_fake_reddit
from tests.recipes.test_import import _Pages

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_EMAIL = "admin@recipeapi.com"
ADMIN_PASSWORD = "admin password for browser tests"
# Low, so the throttling journey is short; each test uses emails of its own.
LOGIN_MAX_FAILURES = 3
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM} (Debian package 'chromium')")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) at desktop width."""
    fresh = await browser.new_context(viewport=DESKTOP)
    yield fresh
    await fresh.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture(scope="session")
def site_mailbox() -> Iterator[tuple[int, Mailbox]]:
    """The SMTP server the served sites send to (aiosmtpd on a free port), and what it got."""
    port = free_port()
    with smtp_server(port) as mailbox:
        yield port, mailbox


def _site_env(workdir: Path, database_url: str, smtp_port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY_FILE": str(workdir / "secret_key"),
        "FIRST_SUPERUSER_EMAIL": ADMIN_EMAIL,
        "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_PARALLELISM": "1",
        "LOGIN_MAX_FAILURES": str(LOGIN_MAX_FAILURES),
        # Every journey signs up from 127.0.0.1; the signup limit has tests of its own.
        "SIGNUP_MAX_PER_CLIENT": "10000",
        # Reddit is out of reach: the ideas page shows every source failed.
        "REDDIT_BASE_URL": "http://127.0.0.1:9",
        "REDDIT_OAUTH_URL": "http://127.0.0.1:9",
        "IDEAS_DEADLINE": "1",
        # The recipe pages to import are served on loopback (the pages_server fixture).
        "IMPORT_ALLOW_NETWORKS": "127.0.0.0/8",
        "IMPORT_TIMEOUT_SECONDS": "1",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        "OUTBOX_POLL_SECONDS": "0.5",
    }
    for name in ("REDIS_URL", "ENVIRONMENT", "SECRET_KEY", "CORS_ORIGINS"):
        env.pop(name, None)
    return env


@contextmanager
def _scratch_postgres() -> Iterator[str]:
    """An empty database of its own on the TEST_DATABASE_URL server, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        skip_or_fail("TEST_DATABASE_URL is not set, so the PostgreSQL runs are skipped")
    assert base is not None
    admin = normalize_url(base).set(drivername="postgresql").render_as_string(False)
    name = f"recipe_api_site_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL at TEST_DATABASE_URL does not answer: {exc}")
    try:
        yield normalize_url(base).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _served_site(backend: str, workdir: Path, smtp_port: int, **env: str) -> Iterator[LiveServer]:
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'site.db'}"
        else:
            url = stack.enter_context(_scratch_postgres())
        site_env = {**_site_env(workdir, url, smtp_port), **env}
        yield stack.enter_context(serving([], site_env, workdir))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    site_mailbox: tuple[int, Mailbox],
) -> Iterator[LiveServer]:
    """The website served by ``recipe-api serve``, once per backend for the session."""
    workdir = tmp_path_factory.mktemp(f"site-{request.param}")
    with _served_site(request.param, workdir, site_mailbox[0]) as served:
        yield served


@pytest.fixture(scope="session")
def reddit_emulator() -> Iterator[RunningFakeReddit]:
    """The reddit emulator (as the ideas tests run it), on a free port in a thread."""
    with running_fake_reddit(latency=0.01, budget=1_000_000, window=600.0) as running:
        yield running


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def ideas_site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    site_mailbox: tuple[int, Mailbox],
    reddit_emulator: RunningFakeReddit,
) -> Iterator[LiveServer]:
    """The website with its ideas from the reddit emulator (``site``'s reddit is unreachable)."""
    workdir = tmp_path_factory.mktemp(f"ideas-site-{request.param}")
    reddit = reddit_emulator.url
    with _served_site(
        request.param,
        workdir,
        site_mailbox[0],
        REDDIT_BASE_URL=reddit,
        REDDIT_OAUTH_URL=reddit,
        IDEAS_DEADLINE="3",
    ) as served:
        yield served


@pytest.fixture(scope="session")
def pages_server() -> Iterator[str]:
    """The saved recipe pages the import tests serve (tests/recipes/pages), on loopback."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
