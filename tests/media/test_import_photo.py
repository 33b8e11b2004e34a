"""The import brings the page's image, fetched from a real local HTTP server as the page is."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from PIL import Image

from recipe_api.settings import Settings
from tests.conftest import Account, MakeAccount
from tests.media.images import photo

IMPORT = "/api/v1/recipes/import"
PHOTO_BYTES = photo(1400, 1000)


def _page(image: str) -> bytes:
    recipe = {
        "@context": "https://schema.org",
        "@type": "Recipe",
        "name": "Tomato Soup",
        "image": image,
        "recipeIngredient": ["6 tomatoes", "1 onion"],
        "recipeInstructions": ["Cook the onion.", "Add the tomatoes and blend."],
    }
    return (
        "<!doctype html><html><head><title>Tomato Soup</title>"
        f'<script type="application/ld+json">{json.dumps(recipe)}</script>'
        "</head><body><h1>Tomato Soup</h1></body></html>"
    ).encode()


class _Site(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        base = f"http://{self.headers['Host']}"
        pages = {
            "/with-photo": f"{base}/soup.jpg",
            "/photo-missing": f"{base}/gone.jpg",
            "/photo-not-an-image": f"{base}/not-an-image.jpg",
            "/photo-elsewhere": "http://169.254.169.254/latest/meta-data/soup.jpg",
        }
        if self.path in pages:
            self._send(_page(pages[self.path]), "text/html; charset=utf-8")
        elif self.path == "/soup.jpg":
            self._send(PHOTO_BYTES, "image/jpeg")
        elif self.path == "/not-an-image.jpg":
            self._send(b"<html>a login page</html>", "image/jpeg")
        else:
            self._send(b"not here", "text/plain", 404)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"import_allow_networks": ["127.0.0.0/8"], "import_timeout_seconds": 2.0}
    )


@pytest.fixture
async def cook(make_account: MakeAccount) -> Account:
    return await make_account("cook@example.com")


async def test_the_import_brings_the_page_image(
    client: httpx.AsyncClient, cook: Account, site: str
) -> None:
    response = await client.post(IMPORT, json={"url": f"{site}/with-photo"}, headers=cook.headers)
    assert response.status_code == 201, response.text
    recipe_id = response.json()["id"]
    photo_answer = await client.get(f"/api/v1/recipes/{recipe_id}/photo")
    assert photo_answer.status_code == 200, photo_answer.text
    sizes = photo_answer.json()["sizes"]
    assert [s["width"] for s in sizes] == [320, 640, 1024, 1400]
    served = await client.get(sizes[0]["url"])
    assert Image.open(io.BytesIO(served.content)).size == (320, 229)


@pytest.mark.parametrize("page", ["/photo-missing", "/photo-not-an-image", "/photo-elsewhere"])
async def test_an_image_that_fails_does_not_fail_the_import(
    client: httpx.AsyncClient, cook: Account, site: str, page: str
) -> None:
    response = await client.post(IMPORT, json={"url": f"{site}{page}"}, headers=cook.headers)
    assert response.status_code == 201, response.text
    assert response.json()["label"] == "Tomato Soup"
    assert response.json()["image_url"]  # the page's image stays named
    recipe_id = response.json()["id"]
    assert (await client.get(f"/api/v1/recipes/{recipe_id}/photo")).json()["url"] is None
