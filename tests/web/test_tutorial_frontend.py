"""The tutorial's React frontend, its requests exactly, in Chromium against ``recipe-api serve``.

The "Ultimate FastAPI Tutorial" (github.com/ChristopherGS/ultimate-fastapi-tutorial)
ships a React frontend in part 12, again in parts 13 and 14. Building it needs
npm and react-scripts, too slow and too fragile for a test, so
``tests/web/tutorial_frontend/`` holds a re-expression of it without a build
step, written from these files of that repository (part 13's versions, which
part 14 keeps for the files it does not change):

- ``frontend/src/client.js``: every request of the journey. Its axios 0.24
  instance (``package.json``) with base ``{apiBasePath}/api/v1`` becomes
  ``fetch`` with the same URLs, methods and bodies: the sign-up JSON
  ``{email, password, full_name, is_active: true}``; the log-in as a
  ``FormData`` (multipart) of ``grant_type=password``, ``username``,
  ``password``; ``Content-Type: application/json`` on JSON bodies; and its
  request interceptor, which replaces every header by ``Authorization: Bearer``
  alone when a stored token is unexpired (it reads ``exp`` as jwt-decode does).
  An answer outside 2xx rejects as axios does.
- ``frontend/src/pages/{home,sign-up,login,my-recipes}/index.jsx`` and
  ``my-recipes/NotLoggedIn.jsx``; ``frontend/src/components/{DashboardHeader,
  RecipeTable,Recipe}/index.jsx``: the flow of each page, its visible words, and
  how it reads our answers (``data?.results``, ``recipes.length``, ``user?.id``),
  so a change of shape breaks the page here as it breaks the real one; its
  unhandled promise rejections are kept too.
- ``frontend/src/App.js``: the routes (``/``, ``/sign-up``, ``/login``, ``/my-recipes``).

The page is served from a second origin (a plain HTTP server on another port),
and the API runs with ``CORS_ORIGINS`` set to exactly that origin, so the
browser makes its own CORS preflights (JSON bodies and the bearer header need
one). The update is the one request the frontend cannot make (its
``updateRecipe`` POSTs ``{id, label}`` to ``/recipes``, which the tutorial's own
API refuses too): the test sends the final API's ``PUT /recipes/`` through the
same client instead.

The only console errors allowed are those of the step after sign-up: the
frontend opens "my recipes" without logging in, its request has no token, and
both APIs answer 401 (the page then shows "Login To Access The Page").
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.email.smtp import Mailbox
from tests.web.conftest import _served_site

if TYPE_CHECKING:
    from playwright.async_api import Browser, ConsoleMessage, Page, Request, Response

FRONTEND = Path(__file__).parent / "tutorial_frontend"
PASSWORD = "tutorial frontend password"


class _Frontend(SimpleHTTPRequestHandler):
    """The built app as a static host serves it: files, else index.html (client-side routes)."""

    api_url = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(FRONTEND), **kwargs)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/config.js":
            body = f"window.TUTORIAL_CONFIG = {json.dumps({'apiBasePath': self.api_url})};"
            self._send(body.encode(), "text/javascript")
        elif path in ("/client.js", "/app.js"):
            self._send((FRONTEND / path.lstrip("/")).read_bytes(), "text/javascript")
        else:
            self._send((FRONTEND / "index.html").read_bytes(), "text/html; charset=utf-8")

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Tutorial:
    front: str
    api: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tutorial(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    site_mailbox: tuple[int, Mailbox],
) -> Iterator[Tutorial]:
    """The frontend on one origin, ``recipe-api serve`` on another, CORS set to the first."""

    class Frontend(_Frontend):
        """This fixture's frontend, with its own ``api_url``."""

    handler = Frontend
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    front = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    workdir = tmp_path_factory.mktemp(f"tutorial-{request.param}")
    try:
        with _served_site(request.param, workdir, site_mailbox[0], CORS_ORIGINS=front) as api:
            handler.api_url = api.url
            yield Tutorial(front=front, api=api.url)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Watch:
    """What the page did, by step: console errors, uncaught errors, alerts, API requests."""

    api: str
    step: str = "start"
    errors: list[tuple[str, str]] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[tuple[str, Request]] = field(default_factory=list)
    answers: list[tuple[str, str, int]] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append((self.step, f"page error: {error}")))
        page.on("dialog", self._dialog)
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append((self.step, message.text))

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    def _request(self, request: Request) -> None:
        if request.url.startswith(self.api):
            self.requests.append((self.step, request))

    def _response(self, response: Response) -> None:
        if response.url.startswith(self.api):
            self.answers.append((response.request.method, response.url, response.status))

    def sent(self, step: str, method: str, path: str) -> list[Request]:
        return [
            r
            for s, r in self.requests
            if s == step and r.method == method and r.url.split("?")[0] == self.api + path
        ]


async def _status(request: Request) -> int:
    response = await request.response()
    assert response is not None, request.url
    return response.status


async def test_the_tutorial_frontend_journey(tutorial: Tutorial, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    watch = Watch(api=tutorial.api)
    watch.attach(page)
    word = f"tutorial{uuid.uuid4().hex[:8]}"
    email = f"{word}@example.com"
    try:
        # Home: the first search is "chicken", then what is typed.
        watch.step = "home"
        await page.goto(tutorial.front + "/")
        await page.get_by_text("Chicken Vesuvio").wait_for()
        await page.get_by_placeholder("Search anything...").fill("curry")
        await page.get_by_role("button", name="Search").click()
        await page.get_by_text("Cauliflower and Tofu Curry Recipe").wait_for()
        [first, typed] = watch.sent("home", "GET", "/api/v1/recipes/search/")
        assert first.url.endswith("?keyword=chicken&max_results=10")
        assert typed.url.endswith("?keyword=curry&max_results=10")

        # Sign up through its form; it then opens "my recipes" without logging in.
        watch.step = "sign-up"
        await page.get_by_role("link", name="Create Account").click()
        await page.locator("input[name=fullName]").fill("Ada King Lovelace")
        await page.locator("input[name=email]").fill(email)
        await page.locator("input[name=password]").fill(PASSWORD)
        # The page shows "log in first" before the request it made is answered.
        mine_url = f"{tutorial.api}/api/v1/recipes/my-recipes/"
        async with page.expect_response(mine_url):
            await page.get_by_role("button", name="Create Account").click()
        await page.get_by_text("Login To Access The Page").wait_for()
        [signup] = watch.sent("sign-up", "POST", "/api/v1/auth/signup")
        assert await _status(signup) == 201
        assert signup.post_data_json == {
            "email": email,
            "password": PASSWORD,
            "full_name": "Ada King Lovelace",
            "is_active": True,
        }
        assert (await signup.all_headers())["content-type"] == "application/json"
        user = await (await signup.response()).json()  # type: ignore[union-attr]
        assert (user["first_name"], user["surname"]) == ("Ada", "King Lovelace")
        [anonymous] = watch.sent("sign-up", "GET", "/api/v1/recipes/my-recipes/")
        assert "authorization" not in await anonymous.all_headers()
        assert await _status(anonymous) == 401

        # Log in: a multipart form, then /auth/me with the token, then "my recipes".
        watch.step = "log-in"
        await page.get_by_role("link", name="Go TO LOGIN").click()
        await page.locator("input[name=email]").fill(email)
        await page.locator("input[name=password]").fill(PASSWORD)
        await page.locator("form").get_by_role("button", name="Login").click()
        await page.get_by_text("Latest recipes").wait_for()
        [login] = watch.sent("log-in", "POST", "/api/v1/auth/login")
        assert await _status(login) == 200
        login_headers = await login.all_headers()
        assert login_headers["content-type"].startswith("multipart/form-data; boundary=")
        assert "authorization" not in login_headers
        assert 'name="grant_type"\r\n\r\npassword\r\n' in (login.post_data or "")
        [me] = watch.sent("log-in", "GET", "/api/v1/auth/me")
        assert (await me.all_headers())["authorization"].startswith("Bearer ")
        [mine] = watch.sent("log-in", "GET", "/api/v1/recipes/my-recipes/")
        assert await _status(mine) == 200
        assert (await (await mine.response()).json())["results"] == []  # type: ignore[union-attr]

        # Create through its modal: /auth/me for the id, then the recipe with it.
        watch.step = "create"
        label = f"Chicken {word} traybake"
        await page.get_by_role("button", name="Create Recipe").click()
        dialog = page.locator(".modal")
        await dialog.locator("input[name=label]").fill(label)
        await dialog.locator("input[name=url]").fill(f"https://example.com/{word}")
        await dialog.locator("input[name=source]").fill("Ada's kitchen")
        await dialog.get_by_role("button", name="Create Recipe").click()
        await page.locator(".mainViewport").get_by_text(label).wait_for()
        [create] = watch.sent("create", "POST", "/api/v1/recipes/")
        assert await _status(create) == 201
        assert create.post_data_json == {
            "label": label,
            "url": f"https://example.com/{word}",
            "source": "Ada's kitchen",
            "submitter_id": user["id"],
        }
        created = await (await create.response()).json()  # type: ignore[union-attr]

        # The tutorial's final update, PUT /recipes/, through the same client.
        watch.step = "update"
        new_label = f"Chicken {word} traybake for two"
        answer = await page.evaluate(
            "([id, label]) => tutorialClient.putRecipe(id, label)"
            ".then(r => ({status: r.status, label: r.data.label}))",
            [created["id"], new_label],
        )
        assert answer == {"status": 201, "label": new_label}

        # It shows in search, from the home page.
        watch.step = "search"
        await page.goto(tutorial.front + "/")
        await page.get_by_text("Chicken Vesuvio").wait_for()
        await page.get_by_placeholder("Search anything...").fill(word)
        await page.get_by_role("button", name="Search").click()
        await page.get_by_text(new_label).wait_for()

        # Log out: the token is dropped and the header offers to log in again.
        watch.step = "log-out"
        await page.get_by_role("button", name="Logout").click()
        await page.get_by_role("button", name="Login").wait_for()
        assert await page.evaluate("localStorage.getItem('token')") is None
    finally:
        await context.close()

    assert watch.dialogs == []
    # The one refused request is the anonymous "my recipes" after sign-up; its errors
    # (Chromium's line for the 401, the frontend's unhandled rejection) are the only ones.
    refused = [(method, url) for method, url, status in watch.answers if status >= 400]
    assert refused == [("GET", mine_url)]
    assert [(step, e) for step, e in watch.errors if "401" not in e] == []


async def test_the_api_answers_the_frontends_preflights(tutorial: Tutorial) -> None:
    """Each preflight the journey causes, and one from an origin not in CORS_ORIGINS."""
    async with httpx.AsyncClient(base_url=tutorial.api, timeout=10) as http:
        for method, path in (
            ("POST", "/api/v1/auth/signup"),
            ("GET", "/api/v1/recipes/my-recipes/"),
            ("POST", "/api/v1/recipes/"),
            ("PUT", "/api/v1/recipes/"),
        ):
            preflight = {
                "origin": tutorial.front,
                "access-control-request-method": method,
                "access-control-request-headers": "authorization,content-type",
            }
            answer = await http.options(path, headers=preflight)
            assert answer.status_code == 200, (method, path, answer.text)
            assert answer.headers["access-control-allow-origin"] == tutorial.front
            assert method in answer.headers["access-control-allow-methods"]
            stranger = await http.options(path, headers={**preflight, "origin": "http://evil.test"})
            assert "access-control-allow-origin" not in stranger.headers
