"""The photo API and the photo files, through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import httpx
from fastapi import FastAPI
from PIL import Image

from tests.conftest import Account, MakeAccount
from tests.media.images import bomb, photo

PHOTO = "/api/v1/recipes/{}/photo"


async def _upload(
    client: httpx.AsyncClient, account: Account, recipe_id: int, data: bytes
) -> httpx.Response:
    return await client.put(
        PHOTO.format(recipe_id),
        files={"photo": ("dinner.jpg", data, "image/jpeg")},
        headers=account.headers,
    )


async def test_upload_serve_and_delete(client: httpx.AsyncClient, superuser: Account) -> None:
    empty = await client.get(PHOTO.format(1))
    assert empty.status_code == 200
    assert empty.json() == {
        "recipe_id": 1,
        "url": None,
        "width": None,
        "height": None,
        "srcset": "",
        "sizes": [],
    }
    assert (await client.get(PHOTO.format(9999))).status_code == 404
    response = await _upload(client, superuser, 1, photo(2000, 1200))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["width"] for s in body["sizes"]] == [320, 640, 1024, 1600]
    assert body["srcset"].count("w, ") == 3
    assert (await client.get(PHOTO.format(1))).json() == body

    url = body["sizes"][1]["url"]
    served = await client.get(url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(served.content)).size == (640, 384)
    again = await client.get(url, headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and not again.content

    photo_id, content_hash, width = url.removeprefix("/media/photos/")[:-5].split("-")
    wrong_hash = f"/media/photos/{photo_id}-{'0' * 16}-{width}.webp"
    for missing in (
        wrong_hash,
        f"/media/photos/{photo_id}-{content_hash}-700.webp",
        "/media/photos/../../etc/passwd",
        "/media/photos/1-x-640.webp",
    ):
        assert (await client.get(missing)).status_code == 404, missing

    deleted = await client.delete(PHOTO.format(1), headers=superuser.headers)
    assert deleted.status_code == 204
    assert (await client.get(url)).status_code == 404
    assert (await client.get(PHOTO.format(1))).json()["url"] is None
    again = await client.delete(PHOTO.format(1), headers=superuser.headers)
    assert again.status_code == 404 and "no photo" in again.json()["detail"]


async def test_bad_images_get_a_clear_detail(client: httpx.AsyncClient, superuser: Account) -> None:
    cases = [
        (b"just some text", 422, "not an image"),
        (bomb(), 422, "too many pixels"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", 422, "not taken"),
    ]
    for data, status, words in cases:
        response = await _upload(client, superuser, 1, data)
        assert response.status_code == status, response.text
        assert words in response.json()["detail"].lower()
    missing = await client.put(PHOTO.format(1), headers=superuser.headers)
    assert missing.status_code == 422
    assert (await client.get(PHOTO.format(1))).json()["url"] is None


async def test_too_many_bytes_is_413(
    app: FastAPI, client: httpx.AsyncClient, superuser: Account
) -> None:
    limits = app.state.photo_limits
    big = b"\xff\xd8" + b"\0" * (limits.max_bytes + 10)
    response = await _upload(client, superuser, 1, big)
    assert response.status_code == 413
    assert "MB" in response.json()["detail"] or "bytes" in response.json()["detail"]


async def test_only_the_submitter_or_a_superuser(
    client: httpx.AsyncClient, superuser: Account, make_account: MakeAccount
) -> None:
    other = await make_account("other@example.com")
    assert (await _upload(client, other, 1, photo())).status_code == 403
    assert (await client.delete(PHOTO.format(1), headers=other.headers)).status_code == 403
    anonymous = await client.put(PHOTO.format(1), files={"photo": ("a.jpg", photo())})
    assert anonymous.status_code == 401
    assert (await _upload(client, superuser, 9999, photo())).status_code == 404


async def test_the_body_limit_of_photo_paths_follows_photo_max_mb(
    app: FastAPI, client: httpx.AsyncClient, superuser: Account
) -> None:
    limits = app.state.photo_limits
    default = app.state.settings.max_body_bytes
    assert limits.max_bytes > default
    # Over the default limit, within the photo's: read, then judged as a photo.
    within = await _upload(client, superuser, 1, b"x" * (default + 1000))
    assert within.status_code == 422
    # Past the photo's limit and its framing: refused before the body is read.
    past = await _upload(client, superuser, 1, b"x" * (limits.max_bytes + 300 * 1024))
    assert past.status_code == 413
    assert "Request body larger than" in past.json()["detail"]
    # Elsewhere the default limit stands.
    other = await client.post(
        "/api/v1/recipes/", content=b"x" * (default + 1000), headers=superuser.headers
    )
    assert other.status_code == 413
