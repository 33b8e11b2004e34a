"""Import from a URL against a real local HTTP server serving saved recipe pages."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.auth.throttle import Limit
from recipe_api.recipes.importer import (
    FetchedPage,
    ImportFailedError,
    ImportRefusedError,
    PageReader,
    PublicOnlyResolver,
    address_allowed,
    open_importer,
)
from recipe_api.settings import Settings
from tests.conftest import Account, MakeAccount, free_port
from tests.recipes.hostile import hostile_page

PAGES = Path(__file__).parent / "pages"
IMPORT = "/api/v1/recipes/import"
MAX_BYTES = 200_000


class _Pages(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(
        self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        name = self.path.strip("/")
        if name in ("jsonld", "microdata", "plain"):
            self._send(200, (PAGES / f"{name}.html").read_bytes())
        elif name == "moved":
            self._redirect("/jsonld")
        elif name == "to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif name == "to-private":
            self._redirect("http://10.1.2.3/recipe")
        elif name == "loop":
            self._redirect("/loop")
        elif name == "big":
            filler = b"<p>" + b"x" * 1000 + b"</p>"
            self._send(200, (PAGES / "jsonld.html").read_bytes() + filler * 300)
        elif name == "big-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>" + b"y" * 8000 + b"</p>"
            try:
                for _ in range(100):
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the client stopped reading: what we want
        elif name == "slow":
            time.sleep(3)
            self._send(200, (PAGES / "jsonld.html").read_bytes())
        elif name == "half-second":
            time.sleep(0.5)
            self._send(200, (PAGES / "jsonld.html").read_bytes())
        elif name.startswith("status-"):
            self._send(int(name.removeprefix("status-")), b"<h1>No</h1>")
        elif name == "json":
            self._send(200, b'{"name": "not a page"}', "application/json")
        else:
            self._send(404, b"<h1>Not found</h1>")


@pytest.fixture(scope="module")
def pages_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The pages server is on loopback: allowed here, as the setting is meant for.
    return settings.model_copy(
        update={
            "import_allow_networks": ["127.0.0.0/8"],
            "import_max_bytes": MAX_BYTES,
            "import_timeout_seconds": 1.0,
        }
    )


@pytest.fixture
async def cook(make_account: MakeAccount) -> Account:
    return await make_account("cook@example.com")


async def _import(client: httpx.AsyncClient, cook: Account, url: str) -> httpx.Response:
    return await client.post(IMPORT, json={"url": url}, headers=cook.headers)


async def test_import_json_ld(client: httpx.AsyncClient, cook: Account, pages_server: str) -> None:
    response = await _import(client, cook, f"{pages_server}/jsonld")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["label"] == "Shakshuka with Feta"
    assert body["submitter_id"] == cook.id
    assert body["ingredients"][0] == "2 tablespoons olive oil"
    assert len(body["ingredients"]) == 8
    assert body["instructions"][-1] == "Scatter with feta and serve."
    assert (body["prep_minutes"], body["cook_minutes"], body["total_minutes"]) == (10, 25, 35)
    assert body["tags"] == ["eggs", "vegetarian", "one pan"]
    assert body["cuisine"] == "Middle Eastern" and body["category"] == "Breakfast"
    assert body["image_url"] == "https://kitchen.example/img/shakshuka.jpg"
    assert body["source"] == "Ada (Example Kitchen)"  # the author, then the site
    assert body["url"] == f"{pages_server}/jsonld"
    # An import starts private: its cook checks it before sharing it.
    assert body["private"] is True
    stored = await client.get(f"/api/v1/recipes/{body['id']}", headers=cook.headers)
    assert stored.json() == body
    assert (await client.get(f"/api/v1/recipes/{body['id']}")).status_code == 404
    search = "/api/v1/recipes/search/"
    found = await client.get(search, params={"keyword": "feta"}, headers=cook.headers)
    assert [r["id"] for r in found.json()["results"]] == [body["id"]]
    assert (await client.get(search, params={"keyword": "feta"})).json()["results"] == []


async def test_an_import_may_be_public_at_once(
    client: httpx.AsyncClient, cook: Account, pages_server: str
) -> None:
    response = await client.post(
        "/api/v1/recipes/import",
        json={"url": f"{pages_server}/jsonld", "private": False},
        headers=cook.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["private"] is False
    assert (await client.get(f"/api/v1/recipes/{response.json()['id']}")).status_code == 200


async def test_import_microdata(
    client: httpx.AsyncClient, cook: Account, pages_server: str
) -> None:
    response = await _import(client, cook, f"{pages_server}/microdata")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["label"] == "Soupe à l'oignon gratinée"
    assert body["ingredients"][2] == "1,5 l de bouillon de bœuf"
    assert len(body["instructions"]) == 3
    assert (body["prep_minutes"], body["cook_minutes"]) == (20, 70)


async def test_a_redirect_is_followed(
    client: httpx.AsyncClient, cook: Account, pages_server: str
) -> None:
    response = await _import(client, cook, f"{pages_server}/moved")
    assert response.status_code == 201, response.text
    assert response.json()["url"] == f"{pages_server}/jsonld"


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("plain", 422, "The page “My grandmother's kitchen” has no recipe we can read"),
        ("json", 422, "not a web page (not HTML: application/json)"),
        ("missing", 422, "There is no page at this address (127.0.0.1 answered 404 not found)"),
        ("status-403", 422, "127.0.0.1 refused our server (it answered 403); open the page"),
        ("status-429", 422, "refused our server (it answered 429)"),
        ("status-401", 422, "refused our server (it answered 401)"),
        ("status-451", 422, "refused our server (it answered 451)"),
        ("status-503", 422, "had a server error (it answered 503): try again later"),
        ("status-418", 422, "127.0.0.1 answered 418: check the link"),
        ("big", 422, "larger than 200,000 bytes, more than we read: add the recipe by hand"),
        ("big-chunked", 422, "larger than"),
        ("to-metadata", 400, "169.254.169.254 is not a public address"),
        ("to-private", 400, "10.1.2.3 is not a public address"),
        ("loop", 422, "redirects"),
        ("slow", 504, "within 1 seconds: the site is too slow; try again later, or paste"),
    ],
)
async def test_pages_that_give_no_recipe(
    client: httpx.AsyncClient,
    cook: Account,
    pages_server: str,
    path: str,
    status: int,
    words: str,
) -> None:
    started = time.monotonic()
    response = await _import(client, cook, f"{pages_server}/{path}")
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert time.monotonic() - started < 2.5
    listing = await client.get("/api/v1/recipes/")
    assert listing.json()["total"] == 0


@pytest.mark.parametrize(
    "url", ["ftp://example.com/recipe", "file:///etc/passwd", "not a url", "http://"]
)
async def test_bad_urls_are_refused(client: httpx.AsyncClient, cook: Account, url: str) -> None:
    response = await _import(client, cook, url)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_import_needs_a_login(client: httpx.AsyncClient, pages_server: str) -> None:
    response = await client.post(IMPORT, json={"url": f"{pages_server}/jsonld"})
    assert response.status_code == 401


async def test_without_the_setting_local_addresses_are_refused(pages_server: str) -> None:
    port = pages_server.rsplit(":", 1)[1]
    async with open_importer(
        allow_networks=[], max_bytes=MAX_BYTES, time_limit=1.0, user_agent="test"
    ) as importer:
        for url in (f"{pages_server}/jsonld", f"http://localhost:{port}/jsonld"):
            with pytest.raises(ImportRefusedError, match="not a public address"):
                await importer.fetch(url)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.5", False),
        ("172.16.3.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        # IPv6 spellings that embed or translate to a non-public IPv4 address (issue 19).
        ("::7f00:1", False),  # IPv4-compatible 127.0.0.1
        ("::127.0.0.1", False),
        ("::a00:1", False),  # IPv4-compatible 10.0.0.1
        ("::ffff:0:7f00:1", False),  # IPv4-translated (SIIT) 127.0.0.1
        ("::ffff:0:a9fe:a9fe", False),  # IPv4-translated metadata address
        ("64:ff9b::7f00:1", False),  # NAT64 well-known prefix, 127.0.0.1
        ("64:ff9b::c0a8:101", False),  # NAT64, 192.168.1.1
        ("64:ff9b:1::7f00:1", False),  # NAT64 local-use prefix (RFC 8215)
        ("64:ff9b:1:7f00:1::", False),
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of the metadata address
        ("2001:0:5db8:d822:0:ffff:80ff:fffe", False),  # Teredo, client 127.0.0.1
        # The same forms around public IPv4 addresses stay public where IPv6 allows it.
        ("64:ff9b::5db8:d822", True),
        ("2002:5db8:d822::1", True),
    ],
)
def test_which_addresses_are_public(address: str, allowed: bool) -> None:
    assert address_allowed(address, ()) is allowed


async def test_imports_per_cook_are_limited(
    app: FastAPI, client: httpx.AsyncClient, make_account: MakeAccount, pages_server: str
) -> None:
    app.state.importer.per_cook = Limit(2, 600)
    cook, other = await make_account("cook@example.com"), await make_account("other@example.com")
    for _ in range(2):
        assert (await _import(client, cook, f"{pages_server}/jsonld")).status_code == 201
    refused = await _import(client, cook, f"{pages_server}/jsonld")
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 590 <= wait <= 600
    assert refused.json() == {
        "detail": f"Too many imports: at most 2 every 600 s; try again in {wait} s"
    }
    # Another cook's imports are their own.
    assert (await _import(client, other, f"{pages_server}/jsonld")).status_code == 201
    # Imports start private: each cook sees their own.
    assert (await client.get("/api/v1/recipes/")).json()["total"] == 0
    assert (await client.get("/api/v1/recipes/", headers=cook.headers)).json()["total"] == 2
    assert (await client.get("/api/v1/recipes/", headers=other.headers)).json()["total"] == 1


async def test_imports_per_worker_are_limited(
    app: FastAPI, client: httpx.AsyncClient, make_account: MakeAccount, pages_server: str
) -> None:
    app.state.importer.max_concurrent = 1
    cook, other = await make_account("cook@example.com"), await make_account("other@example.com")
    first = asyncio.create_task(_import(client, cook, f"{pages_server}/half-second"))
    for _ in range(500):  # until the first one holds the worker's only slot
        if app.state.importer.running:
            break
        await asyncio.sleep(0.01)
    refused = await _import(client, other, f"{pages_server}/jsonld")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "5"  # IMPORT_PARSE_SECONDS
    assert refused.json()["detail"] == (
        "Too many imports on this server at once (1); try again in 5 s"
    )
    assert (await first).status_code == 201
    # The slot is given back, and the refused attempt did not count against the cook.
    assert (await _import(client, other, f"{pages_server}/jsonld")).status_code == 201
    assert app.state.importer.running == 0


# Alone, after the parallel part. A child from a forkserver with less room to grow
# by had libxml2's allocation fail, not Python's: libxml2 stopped parsing and the
# page read as "no recipe". A child that ends at its limit now answers "memory"
# whatever it read (importer._read_in_child); this failed before that, alone too.
@pytest.mark.serial
async def test_a_page_that_needs_more_memory_than_its_child_may_take_is_refused() -> None:
    # Without its JSON-LD the hostile page is read whole: BeautifulSoup needs ~120 MB for it.
    body = hostile_page().replace(b'type="application/ld+json"', b'type="text/plain"')
    reader = PageReader(seconds=15, memory_mb=32)
    # Usually the child's MemoryError answers; once in a full run a child that hit the
    # limit hung instead (a C library's allocation under RLIMIT_AS), and then the
    # deadline is what refuses it. Either way the page is refused within the bounds.
    words = (
        r"^The page could not be read within (32 MB of memory|15 seconds \(it is too costly "
        r"to read\)): add the recipe by hand$"
    )
    with pytest.raises(ImportFailedError, match=words):
        await reader.read(FetchedPage("https://kitchen.example/", body, "utf-8"))
    # The same reader reads an ordinary page: the limit is the child's, not the reader's.
    page = FetchedPage("https://kitchen.example/", (PAGES / "jsonld.html").read_bytes(), "utf-8")
    assert (await reader.read(page)).label == "Shakshuka with Feta"


async def _paste(client: httpx.AsyncClient, cook: Account, url: str, html: str) -> httpx.Response:
    return await client.post(IMPORT, json={"url": url, "html": html}, headers=cook.headers)


async def test_a_pasted_page_is_read_without_fetching(
    client: httpx.AsyncClient, cook: Account
) -> None:
    # Not a page anyone serves, and not an address the settings allow: nothing is fetched.
    url = "https://refuses-servers.example/shakshuka?utm_source=share"
    html = (PAGES / "jsonld.html").read_text()
    response = await _paste(client, cook, url, html)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["label"] == "Shakshuka with Feta"
    assert body["url"] == url
    assert body["source"] == "Ada (Example Kitchen)"
    canonical = html.replace("<head>", '<head><link rel="canonical" href="/shakshuka">', 1)
    response = await _paste(client, cook, url, canonical)
    assert response.json()["url"] == "https://refuses-servers.example/shakshuka"


async def test_a_pasted_page_keeps_its_step_sections(
    client: httpx.AsyncClient, cook: Account
) -> None:
    recipe = {
        "@context": "https://schema.org",
        "@type": "Recipe",
        "name": "Two-part pie",
        "recipeIngredient": ["1 crust", "4 apples"],
        "recipeInstructions": [
            {
                "@type": "HowToSection",
                "name": "Crust",
                "itemListElement": [{"@type": "HowToStep", "text": "Roll it out."}],
            },
            {
                "@type": "HowToSection",
                "name": "Filling",
                "itemListElement": [
                    {"@type": "HowToStep", "text": "Slice the apples."},
                    {"@type": "HowToStep", "text": "Fill the crust."},
                ],
            },
        ],
    }
    html = (
        '<html><head><script type="application/ld+json">'
        + json.dumps(recipe)
        + "</script></head><body></body></html>"
    )
    response = await _paste(client, cook, "https://kitchen.example/pie", html)
    assert response.status_code == 201, response.text
    assert response.json()["instructions"] == [
        "Crust:",
        "Roll it out.",
        "Filling:",
        "Slice the apples.",
        "Fill the crust.",
    ]


@pytest.mark.parametrize(
    ("html", "status", "words"),
    [
        ((PAGES / "plain.html").read_text(), 422, "“My grandmother's kitchen” has no recipe"),
        ("x" * (MAX_BYTES + 1), 422, "larger than 200,000 bytes"),
        ("<p>" * 1000, 422, "has no recipe we can read"),
        ("é" * (MAX_BYTES // 2 + 1), 422, "larger than"),  # counted in UTF-8 bytes
    ],
)
async def test_pasted_pages_that_give_no_recipe(
    client: httpx.AsyncClient, cook: Account, html: str, status: int, words: str
) -> None:
    response = await _paste(client, cook, "https://example.com/r", html)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert (await client.get("/api/v1/recipes/")).json()["total"] == 0


async def test_a_pasted_page_is_bounded_by_the_import_body_limit(
    client: httpx.AsyncClient, cook: Account, settings: Settings
) -> None:
    # MAX_BODY_BYTES (1 MiB) holds other bodies; an import's holds 3 x IMPORT_MAX_BYTES + 64 KiB.
    page = (PAGES / "jsonld.html").read_text() + "<!--" + "<" * (MAX_BYTES // 2) + "-->"
    assert len(page.encode()) < MAX_BYTES
    response = await _paste(client, cook, "https://example.com/r", page)
    assert response.status_code == 201, response.text
    limit = max(settings.max_body_bytes, 3 * settings.import_max_bytes + 64 * 1024)
    too_big = "x" * limit
    response = await _paste(client, cook, "https://example.com/r", too_big)
    assert response.status_code == 413


@pytest.mark.serial  # a bound in seconds: run alone, after the parallel part
async def test_a_reserved_name_is_not_looked_up(
    client: httpx.AsyncClient, cook: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_lookup(*args: object, **kwargs: object) -> None:
        raise AssertionError("a reserved name was looked up")

    monkeypatch.setattr(PublicOnlyResolver, "resolve", no_lookup)
    for host in ("kitchen.example", "KITCHEN.Example.", "pie.invalid"):
        response = await _import(client, cook, f"https://{host}/pie")
        assert response.status_code == 422
        named = host.lower()  # as the URL keeps it
        assert response.json()["detail"] == f"Could not connect to {named}: check the address"
    # A pasted page's photo on such a name: the recipe is kept, without a photo, at once.
    started = time.monotonic()
    html = (PAGES / "jsonld.html").read_text()  # its image is on kitchen.example
    response = await _paste(client, cook, "https://kitchen.example/shakshuka", html)
    assert response.status_code == 201, response.text
    assert response.json()["image_url"] == "https://kitchen.example/img/shakshuka.jpg"
    assert time.monotonic() - started < 2
    photo = await client.get(f"/api/v1/recipes/{response.json()['id']}/photo", headers=cook.headers)
    assert photo.json()["url"] is None


async def test_a_host_that_does_not_answer_is_named(
    client: httpx.AsyncClient, cook: Account
) -> None:
    response = await _import(client, cook, f"http://127.0.0.1:{free_port()}/recipe")
    assert response.status_code == 422
    assert response.json()["detail"] == "Could not connect to 127.0.0.1: check the address"
