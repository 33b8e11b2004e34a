"""Fixtures for the ideas tests: the reddit emulator on a free port, and apps wired to it.

One emulator serves the whole session, on its own loop in a thread; every test
starts from a reset emulator. Each test builds the apps it needs with
``make_app(**settings)``: the real ``create_app`` with its lifespan, driven
through httpx's ASGI transport. As in tests/conftest.py, an app built for
equal settings by an earlier test is reused (with a lifespan of its own).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.ideas.emulator import FakeReddit
from recipe_api.ideas.service import IdeasService
from recipe_api.main import create_app
from recipe_api.settings import Settings
from tests.conftest import app_shape

from .running import RunningFakeReddit, running_fake_reddit

# Small numbers keep the suite fast; the defaults are exercised by the benchmark.
LATENCY = 0.01
# Wide enough that a loaded CI machine still answers 20 concurrent requests in time.
DEADLINE = 1.5
RETRY_AFTER = 1
EMULATOR_DEFAULTS: dict[str, Any] = {
    "latency": LATENCY,
    "token_ttl": 86_400.0,
    "retry_after": RETRY_AFTER,
    "budget": 1_000_000,
    "window": 600.0,
    "slow_seconds": 0.2,
    "hang_seconds": 30.0,
}
SUBREDDITS = ["recipes", "easyrecipes", "TopSecretRecipes"]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fake_reddit_server() -> Iterator[RunningFakeReddit]:
    with running_fake_reddit(**EMULATOR_DEFAULTS) as running:
        yield running


@pytest.fixture
def reddit(fake_reddit_server: RunningFakeReddit) -> Iterator[FakeReddit]:
    """The emulator's state, reset before and after the test."""
    emulator = fake_reddit_server.reddit
    for name, value in EMULATOR_DEFAULTS.items():
        setattr(emulator, name, value)
    emulator.reset()
    yield emulator
    for name, value in EMULATOR_DEFAULTS.items():
        setattr(emulator, name, value)
    emulator.reset()


@pytest.fixture
def reddit_url(fake_reddit_server: RunningFakeReddit, reddit: FakeReddit) -> str:
    return fake_reddit_server.url


def ideas_settings(tmp_path: Path, reddit_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path}/ideas.db",
        "redis_url": None,
        "secret_key": "ideas-test-secret-" + "x" * 32,
        "secret_key_file": tmp_path / "secret_key",
        "reddit_base_url": reddit_url,
        "reddit_oauth_url": reddit_url,
        "reddit_client_id": None,
        "reddit_client_secret": None,
        "ideas_subreddits": SUBREDDITS,
        "ideas_deadline": DEADLINE,
        "ideas_cache_ttl": 0,
        # The ideas apps' database is never migrated: no email outbox to send from.
        "outbox_sender": False,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class IdeasApp:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def service(self) -> IdeasService:
        service: IdeasService = self.app.state.ideas
        return service


MakeApp = Callable[..., Awaitable[IdeasApp]]


@pytest.fixture(scope="session")
def _ideas_apps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[FastAPI]]]:
    """The ideas apps' one folder (their settings are then equal), and the apps built so far."""
    return tmp_path_factory.mktemp("ideas-apps"), {}


@pytest.fixture
async def make_app(
    reddit_url: str, _ideas_apps: tuple[Path, dict[str, list[FastAPI]]]
) -> AsyncIterator[MakeApp]:
    """Builds apps (each a worker of its own) on the emulator; closes them after the test."""
    workdir, built = _ideas_apps
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> IdeasApp:
            settings = ideas_settings(workdir, reddit_url, **overrides)
            spare = built.setdefault(settings.model_dump_json(), [])
            app = spare.pop() if spare else create_app(settings)
            shape = app_shape(app)

            def put_back() -> None:
                if app_shape(app) == shape:
                    spare.append(app)

            stack.callback(put_back)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
            )
            return IdeasApp(app=app, client=client)

        yield make


@pytest.fixture
async def ideas(make_app: MakeApp) -> IdeasApp:
    """An app with the default subreddits, the cache off and a DEADLINE deadline."""
    return await make_app()


@pytest.fixture
def unused_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
