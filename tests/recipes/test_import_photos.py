"""Photos in other apps' exports: read with their recipes, stored by the job, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from recipe_api.db.engine import Database
from recipe_api.recipes.imports import repository
from recipe_api.recipes.imports.formats import read_upload
from recipe_api.recipes.imports.models import recipe_import_photo_table
from recipe_api.recipes.imports.runner import DEFAULT_PHOTO_LIMITS
from recipe_api.recipes.imports.service import finish_job, import_batch, store_photos
from tests.conftest import Account, MakeAccount
from tests.recipes.test_imports import (
    LIMITS,
    PHOTO,
    export,
    mealie_zip,
    my_recipes,
    paprika_file,
    run_jobs,
    sacher_with_sections,
    tandoor_zip,
    upload,
)


def exports() -> dict[str, bytes]:
    return {
        "mealie.zip": mealie_zip(sacher_with_sections()),
        "tandoor.zip": tandoor_zip(export("tandoor-recipe.json")),
        "muffins.paprikarecipes": paprika_file(export("paprika-recipe.json")),
    }


@pytest.mark.parametrize("name", ["mealie.zip", "tandoor.zip", "muffins.paprikarecipes"])
def test_each_format_gives_its_recipes_photo(name: str) -> None:
    _, result = read_upload([(name, exports()[name])], LIMITS)
    assert result.photos == {0: PHOTO}


def test_a_recipe_without_a_photo_has_none() -> None:
    recipe = export("paprika-recipe.json") | {"photo_data": None}
    _, result = read_upload([("p.paprikarecipes", paprika_file(recipe))], LIMITS)
    assert len(result.recipes) == 1 and result.photos == {}


@pytest.fixture
async def cook(make_account: MakeAccount) -> Account:
    return await make_account("photos@example.com")


async def waiting_photos(db: Database) -> int:
    statement = select(func.count()).select_from(recipe_import_photo_table)
    return int(await db.read(lambda c: c.execute(statement).scalar_one()))


@pytest.mark.parametrize("name", ["mealie.zip", "tandoor.zip", "muffins.paprikarecipes"])
async def test_the_job_stores_each_formats_photo_as_webp_sizes(
    app: FastAPI, db: Database, client: httpx.AsyncClient, cook: Account, name: str
) -> None:
    job = await upload(client, cook, (name, exports()[name]))
    assert job.status_code == 202, job.text
    assert await waiting_photos(db) == 1
    await run_jobs(app)
    [recipe] = await my_recipes(client, cook)
    photo = (await client.get(f"/api/v1/recipes/{recipe['id']}/photo")).json()
    assert photo["width"] == 240 and photo["height"] == 160
    assert [size["width"] for size in photo["sizes"]] == [240]
    served = await client.get(photo["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    assert await waiting_photos(db) == 0
    done = await client.get(f"/api/v1/recipes/imports/{job.json()['id']}", headers=cook.headers)
    assert done.json()["problems"] == []


async def test_a_photo_that_is_no_image_is_reported_and_the_recipe_kept(
    app: FastAPI, db: Database, client: httpx.AsyncClient, cook: Account
) -> None:
    recipe = export("paprika-recipe.json") | {"photo_data": "bm90IGFuIGltYWdl"}  # "not an image"
    job = await upload(client, cook, ("p.paprikarecipes", paprika_file(recipe)))
    await run_jobs(app)
    [mine] = await my_recipes(client, cook)
    assert (await client.get(f"/api/v1/recipes/{mine['id']}/photo")).json()["url"] is None
    done = await client.get(f"/api/v1/recipes/imports/{job.json()['id']}", headers=cook.headers)
    [problem] = done.json()["problems"]
    assert problem["recipe"] == "Jordan Marsh Blueberry Muffins" and not problem["skipped"]
    assert problem["reason"].startswith("Its photo was not kept: The file is not an image")
    assert await waiting_photos(db) == 0


async def test_a_duplicates_photo_is_dropped_unencoded(
    app: FastAPI, db: Database, client: httpx.AsyncClient, cook: Account
) -> None:
    data = exports()["mealie.zip"]
    await upload(client, cook, ("m.zip", data))
    await run_jobs(app)
    again = await upload(client, cook, ("m.zip", data))
    assert await waiting_photos(db) == 1
    await run_jobs(app)
    assert await waiting_photos(db) == 0
    done = await client.get(f"/api/v1/recipes/imports/{again.json()['id']}", headers=cook.headers)
    assert (done.json()["imported"], done.json()["skipped"]) == (0, 1)


async def test_photos_a_stopped_worker_left_are_stored_once_by_the_next(
    app: FastAPI, db: Database, client: httpx.AsyncClient, cook: Account
) -> None:
    job_id = (await upload(client, cook, ("t.zip", exports()["tandoor.zip"]))).json()["id"]
    lease = timedelta(seconds=60)
    now = datetime.now(UTC)
    # A worker creates the recipe (its photo now waits for it), then stops.
    assert await db.run(repository.claim_next, claim="a" * 32, now=now, lease=lease) == job_id
    assert await db.run(import_batch, job_id, "a" * 32, size=25, lease=lease) == 0
    [recipe] = await my_recipes(client, cook)
    assert (await client.get(f"/api/v1/recipes/{recipe['id']}/photo")).json()["url"] is None
    # The next worker, once the lease is over, stores it; a second pass finds nothing.
    later = now + 2 * lease
    assert await db.run(repository.claim_next, claim="b" * 32, now=later, lease=lease) == job_id
    store = partial(store_photos, db, job_id, limits=DEFAULT_PHOTO_LIMITS, size=25)
    assert await store() == 1
    assert await store() == 0
    assert await db.run(import_batch, job_id, "b" * 32, size=25, lease=lease) == 0
    assert await db.run(finish_job, job_id, "b" * 32) is True
    assert (await client.get(f"/api/v1/recipes/{recipe['id']}/photo")).json()["url"] is not None
    assert len(await my_recipes(client, cook)) == 1
