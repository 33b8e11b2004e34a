"""The real server, started as a user starts it, over real HTTP."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer


def test_serve_migrates_seeds_and_answers(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        recipe = http.get("/api/v1/recipes/1")
        assert recipe.status_code == 200
        assert recipe.json()["label"] == "Chicken Vesuvio"
        assert float(recipe.headers["x-process-time"]) > 0
        found = http.get("/api/v1/recipes/search/", params={"keyword": "curry"})
        assert [r["label"] for r in found.json()["results"]] == [
            "Cauliflower and Tofu Curry Recipe"
        ]
        missing = http.get("/api/v1/recipes/999")
        assert missing.status_code == 404
        assert "x-process-time" in missing.headers
        assert http.get("/docs").status_code == 200
        home = http.get("/")
        assert "Chicken Paprikash" in home.text
        assert http.get("/static/style.css").status_code == 200


def test_malformed_json_over_the_wire(live_server: LiveServer) -> None:
    response = httpx.post(
        f"{live_server.url}/api/v1/recipes/",
        content=b'{"label": "x", ',
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code in (401, 422)
    assert response.json()["detail"]


def test_head_options_and_the_index_over_the_wire(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        head = http.head("/")
        assert head.status_code == 200
        assert head.content == b""
        assert int(head.headers["content-length"]) > 0
        options = http.options("/api/v1/recipes/1")
        assert options.status_code == 204
        assert options.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"
        index = http.get("/api/v1/")
        assert index.status_code == 200
        assert index.json()["resources"]["recipes"] == "/api/v1/recipes/"
