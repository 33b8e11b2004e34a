"""Imports of other apps' exports: each reader on real export files, the limits, the jobs.

The export files are in ``tests/recipes/exports/`` (its README says where each
comes from); the tests pack them the way each app packs its export.
"""

from __future__ import annotations

import copy
import functools
import gzip
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from recipe_api.db.engine import Database
from recipe_api.main import create_app
from recipe_api.recipes.imports import box, repository
from recipe_api.recipes.imports.common import UnreadableUploadError, minutes
from recipe_api.recipes.imports.formats import Limits, read_upload
from recipe_api.recipes.imports.service import finish_job, import_batch
from recipe_api.recipes.imports.unpack import UploadTooLargeError
from recipe_api.settings import Settings
from tests.conftest import Account, MakeAccount

EXPORTS = Path(__file__).parent / "exports"
PHOTO = (Path(__file__).parent / "exports" / "photo.jpg").read_bytes()
LIMITS = Limits(max_entries=1000, max_unpacked_bytes=50 * 1024 * 1024, max_recipes=5000)


def export(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXPORTS / name).read_text())
    return data


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def mealie_zip(*recipes: dict[str, Any]) -> bytes:
    """As Mealie's RecipeExporter writes it: recipes/<slug>/<slug>.json, and the images."""
    files: dict[str, bytes] = {}
    for recipe in recipes:
        slug = recipe["slug"]
        files[f"recipes/{slug}/{slug}.json"] = json.dumps(recipe).encode()
        files[f"recipes/{slug}/images/original.jpg"] = PHOTO
        files[f"recipes/{slug}/images/min-original.webp"] = b"RIFF....WEBP"
    return zipped(files)


def tandoor_zip(*recipes: dict[str, Any]) -> bytes:
    """As Tandoor's default exporter writes it: a zip of one zip per recipe."""
    return zipped(
        {
            f"{n}.zip": zipped({"recipe.json": json.dumps(r).encode(), "image.jpeg": PHOTO})
            for n, r in enumerate(recipes, 1)
        }
    )


def paprika_file(*recipes: dict[str, Any]) -> bytes:
    """A .paprikarecipes: a zip of <name>.paprikarecipe entries, each gzipped JSON."""
    return zipped(
        {f"{r['name']}.paprikarecipe": gzip.compress(json.dumps(r).encode()) for r in recipes}
    )


def sacher_with_sections() -> dict[str, Any]:
    recipe = copy.deepcopy(export("mealie-original-sacher-torte-2.json"))
    recipe["recipeIngredient"][0]["title"] = "For the cake"
    recipe["recipeIngredient"][7]["title"] = "For the glaze"
    recipe["recipeInstructions"][6]["title"] = "The glaze"
    return recipe


# --- The readers ------------------------------------------------------------------------


def test_mealie_export_gives_every_field() -> None:
    kind, result = read_upload([("mealie.zip", mealie_zip(sacher_with_sections()))], LIMITS)
    assert kind == "mealie" and result.problems == []
    [recipe] = result.recipes
    assert recipe.label == "Original Sacher-Torte (2)"
    assert str(recipe.url) == "https://www.sacher.com/en/original-sacher-torte/recipe/"
    assert recipe.description.startswith("The world\u2019s most famous cake")
    assert recipe.servings == "4 servings"
    assert (recipe.prep_minutes, recipe.cook_minutes, recipe.total_minutes) == (90, 60, 150)
    assert "sacher torte" in recipe.tags and len(recipe.tags) == 7
    # Unparsed lines are the cook's note, not Mealie's "1 130g ..." display.
    assert recipe.ingredients[:2] == [
        "For the cake:",
        "130g dark couverture chocolate (min. 55% cocoa content)",
    ]
    assert "For the glaze:" in recipe.ingredients
    assert recipe.ingredients[-1] == "A little water"
    assert len(recipe.instructions) == 9
    assert recipe.instructions[6] == "The glaze:"
    assert recipe.instructions[0].startswith("Preheat oven to 170°C")


def test_mealie_parsed_ingredients_are_quantity_unit_food_note() -> None:
    recipe = export("mealie-original-sacher-torte-2.json")
    recipe["recipeIngredient"] = [
        {
            "quantity": 200,
            "unit": {"name": "gram"},
            "food": {"name": "red lentils"},
            "note": "rinsed",
        }
    ]
    _, result = read_upload([("m.zip", mealie_zip(recipe))], LIMITS)
    assert result.recipes[0].ingredients == ["200 gram red lentils, rinsed"]


def test_tandoor_export_keeps_sections_of_ingredients_and_steps() -> None:
    kind, result = read_upload([("export.zip", tandoor_zip(export("tandoor-recipe.json")))], LIMITS)
    assert kind == "tandoor" and result.problems == []
    [recipe] = result.recipes
    assert recipe.label == "Lemon Drizzle Cake"
    assert recipe.ingredients == [
        "Cake:",
        "225 g butter, softened",
        "225 g caster sugar",
        "4 eggs",
        "225 g self-raising flour",
        "1 lemon, zest only",
        "Drizzle:",
        "1.5 lemons, juice only",
        "85 g granulated sugar",
        "icing sugar, to dust",
    ]
    assert recipe.instructions[0] == "Cake:"
    assert recipe.instructions[1] == "Heat the oven to 180 °C and line a loaf tin."
    assert recipe.instructions[3:] == [
        "Drizzle:",
        "Stir the juice into the sugar and spoon it over the warm cake.",
    ]
    assert recipe.servings == "10 slices"
    assert (recipe.prep_minutes, recipe.cook_minutes) == (20, 45)
    assert recipe.tags == ["baking", "lemon"]
    assert str(recipe.url) == "https://www.example.org/lemon-drizzle-cake"


def test_paprika_export_reads_gzipped_recipes() -> None:
    kind, result = read_upload(
        [("r.paprikarecipes", paprika_file(export("paprika-recipe.json")))], LIMITS
    )
    assert kind == "paprika" and result.problems == []
    [recipe] = result.recipes
    assert recipe.label == "Jordan Marsh Blueberry Muffins"
    assert recipe.ingredients[0] == "2 cups flour" and len(recipe.ingredients) == 8
    assert recipe.instructions[0] == "Preheat oven to 375F."  # the typed "1. " is dropped
    assert (recipe.prep_minutes, recipe.cook_minutes, recipe.total_minutes) == (15, 25, 40)
    assert recipe.source == "New York Times"
    assert recipe.tags == ["breakfast", "baking"] and recipe.category == "Breakfast"
    assert recipe.servings == "12 muffins"


def test_json_ld_files_from_real_sites() -> None:
    uploads = [
        (name, (EXPORTS / name).read_bytes())
        for name in ("jsonld-chunky-apple-cake.json", "jsonld-moroccan-skirt-steak.json")
    ]
    kind, result = read_upload(uploads, LIMITS)
    assert kind == "json-ld" and result.problems == []
    cake, steak = result.recipes
    assert cake.source == "Delia Smith"
    assert str(cake.url).startswith("https://www.deliaonline.com/recipes/")
    assert len(cake.instructions) == 4 and len(cake.ingredients) == 12
    assert "delia smith" in cake.tags
    assert (cake.cuisine, cake.category) == ("General", "Apples")
    assert str(cake.image_url).endswith("cakes-chunky-apple-cake.jpg")
    assert steak.total_minutes == 35
    assert steak.source == "EatingWell Test Kitchen"
    assert str(steak.image_url).startswith("https://imagesvc.meredithcorp.io/")
    assert len(steak.instructions) == 4 and steak.cuisine is None


def test_json_ld_sections_and_graphs_in_a_zip() -> None:
    document = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "A page"},
            {
                "@type": ["Recipe", "NewsArticle"],
                "name": "Two-part pie",
                "recipeIngredient": ["1 crust"],
                "recipeInstructions": [
                    {
                        "@type": "HowToSection",
                        "name": "Crust",
                        "itemListElement": [{"@type": "HowToStep", "text": "Roll it."}],
                    },
                    {
                        "@type": "HowToSection",
                        "name": "Filling",
                        "itemListElement": [{"@type": "HowToStep", "text": "Fill it."}],
                    },
                ],
                "author": {"@type": "Person", "name": "Ada"},
                "publisher": {"@type": "Organization", "name": "Example Kitchen"},
            },
        ],
    }
    upload = zipped({"pie.json": json.dumps(document).encode(), "empty.json": b"{}"})
    _, result = read_upload([("pies.zip", upload)], LIMITS)
    [recipe] = result.recipes
    assert recipe.instructions == ["Crust:", "Roll it.", "Filling:", "Fill it."]
    assert recipe.source == "Ada (Example Kitchen)"
    assert [p.recipe for p in result.problems] == ["empty.json"]


def test_a_recipe_without_a_name_is_skipped_with_a_reason() -> None:
    nameless = export("paprika-recipe.json") | {"name": ""}
    named = export("paprika-recipe.json") | {"name": "Kept"}
    _, result = read_upload(
        [("p.paprikarecipes", paprika_file(named, nameless | {"name": " "}))], LIMITS
    )
    assert [r.label for r in result.recipes] == ["Kept"]
    assert result.problems[0].reason == "No name: the recipe was skipped"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PT1H30M", 90),
        ("P0DT0H35M", 35),
        ("1 hour 30 minutes", 90),
        ("15 mins", 15),
        ("1 hr 20 min", 80),
        ("45", 45),
        (20, 20),
        ("about a while", None),
        (True, None),
    ],
)
def test_durations(raw: object, expected: int | None) -> None:
    assert minutes(raw) == expected


# --- Hostile uploads --------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = zipped({"recipes/a/a.json": b"{" + b" " * (20 * 1024 * 1024) + b"}"})
    assert len(bomb) < 100_000
    small = Limits(max_entries=100, max_unpacked_bytes=5 * 1024 * 1024, max_recipes=10)
    with pytest.raises(UploadTooLargeError, match="unpacks to more than 5 MB"):
        read_upload([("bomb.zip", bomb)], small)


def test_a_zip_that_lies_about_its_sizes_is_stopped_at_the_limit() -> None:
    honest = zipped({"recipes/a/a.json": b"{" + b" " * (8 * 1024 * 1024) + b"}"})
    # Rewrite the stated size in the central directory to 10 bytes.
    archive = bytearray(honest)
    central = archive.rfind(b"PK\x01\x02")
    archive[central + 24 : central + 28] = (10).to_bytes(4, "little")
    small = Limits(max_entries=100, max_unpacked_bytes=1024 * 1024, max_recipes=10)
    with pytest.raises((UploadTooLargeError, UnreadableUploadError)):
        read_upload([("liar.zip", bytes(archive))], small)


def test_nested_zips_share_one_budget() -> None:
    inner = zipped({"recipe.json": b"{" + b" " * (3 * 1024 * 1024) + b"}"})
    outer = zipped({f"{n}.zip": inner for n in range(4)})
    small = Limits(max_entries=100, max_unpacked_bytes=8 * 1024 * 1024, max_recipes=10)
    with pytest.raises(UploadTooLargeError):
        read_upload([("export.zip", outer)], small)


def test_too_many_files_is_refused() -> None:
    many = zipped({f"recipes/r{n}/r{n}.json": b"{}" for n in range(30)})
    small = Limits(max_entries=20, max_unpacked_bytes=1024 * 1024, max_recipes=10)
    with pytest.raises(UploadTooLargeError, match="more than 20 files"):
        read_upload([("many.zip", many)], small)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"GIF89a not an export", "neither a zip archive nor JSON"),
        (zipped({"notes.txt": b"hello"}), "not an export we know"),
        (b"PK\x03\x04 truncated", "not a zip archive we can read"),
    ],
)
def test_what_is_no_export_says_what_it_is(upload: bytes, message: str) -> None:
    with pytest.raises(UnreadableUploadError, match=message):
        read_upload([("file", upload)], LIMITS)


# --- The API: jobs on both databases ----------------------------------------------------


@pytest.fixture
async def cook(make_account: MakeAccount) -> Account:
    return await make_account("importer@example.com")


async def upload(
    client: httpx.AsyncClient, account: Account, *files: tuple[str, bytes]
) -> httpx.Response:
    return await client.post(
        "/api/v1/recipes/imports/",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        headers=account.headers,
    )


async def run_jobs(app: FastAPI) -> None:
    while await app.state.import_runner.run_once():
        pass


async def my_recipes(client: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/recipes/my-recipes/?limit=100", headers=account.headers)
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


async def test_an_export_is_imported_as_a_job_and_again_is_skipped(
    app: FastAPI, client: httpx.AsyncClient, cook: Account, make_account: MakeAccount
) -> None:
    data = mealie_zip(sacher_with_sections())
    started = await upload(client, cook, ("mealie.zip", data))
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["status"], job["format"], job["total"], job["position"]) == (
        "queued",
        "mealie",
        1,
        0,
    )
    await run_jobs(app)
    done = (await client.get(f"/api/v1/recipes/imports/{job['id']}", headers=cook.headers)).json()
    assert (done["status"], done["imported"], done["skipped"]) == ("done", 1, 0)
    [recipe] = await my_recipes(client, cook)
    assert recipe["label"] == "Original Sacher-Torte (2)"
    assert recipe["url"] == "https://www.sacher.com/en/original-sacher-torte/recipe/"
    assert recipe["ingredients"][0] == "For the cake:"

    again = (await upload(client, cook, ("mealie.zip", data))).json()
    await run_jobs(app)
    second = (
        await client.get(f"/api/v1/recipes/imports/{again['id']}", headers=cook.headers)
    ).json()
    assert (second["imported"], second["skipped"]) == (0, 1)
    assert second["problems"] == [
        {
            "recipe": "Original Sacher-Torte (2)",
            "reason": "Already in your recipes (the same web address): skipped",
            "skipped": True,
        }
    ]
    assert len(await my_recipes(client, cook)) == 1

    other = await make_account("someone-else@example.com")
    hidden = await client.get(f"/api/v1/recipes/imports/{job['id']}", headers=other.headers)
    assert hidden.status_code == 404 and "not found" in hidden.json()["detail"]
    assert (await client.get(f"/api/v1/recipes/imports/{job['id']}")).status_code == 401


async def test_same_name_and_ingredients_without_a_url_is_a_duplicate(
    app: FastAPI, client: httpx.AsyncClient, cook: Account
) -> None:
    recipe = export("paprika-recipe.json") | {"source_url": ""}
    await upload(client, cook, ("a.paprikarecipes", paprika_file(recipe, recipe | {"uid": "2"})))
    await run_jobs(app)
    assert len(await my_recipes(client, cook)) == 1


@functools.cache
def big_bomb() -> bytes:
    """400 MB of JSON in a zip of 400 KB: past IMPORT_MAX_UNPACKED_MB's default."""
    return zipped({"recipes/a/a.json": b"{" + b" " * (400 * 1024 * 1024) + b"}"})


async def test_bad_uploads_answer_with_a_reason(client: httpx.AsyncClient, cook: Account) -> None:
    not_export = await upload(client, cook, ("photo.gif", b"GIF89a"))
    assert not_export.status_code == 422
    assert "neither a zip archive nor JSON" in not_export.json()["detail"]
    refused = await upload(client, cook, ("bomb.zip", big_bomb()))
    assert refused.status_code == 413
    assert "unpacks to more than 300 MB" in refused.json()["detail"]
    nothing = await client.post("/api/v1/recipes/imports/", headers=cook.headers)
    assert nothing.status_code == 422


async def test_an_upload_over_the_limit_is_refused_unread(settings: Settings) -> None:
    small = settings.model_copy(update={"import_upload_max_mb": 1})
    app = create_app(small)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await client.post(
                "/api/v1/auth/signup",
                json={"email": "big@example.com", "password": "long enough password"},
            )
            token = (
                await client.post(
                    "/api/v1/auth/login",
                    data={"username": "big@example.com", "password": "long enough password"},
                )
            ).json()["access_token"]
            answer = await client.post(
                "/api/v1/recipes/imports/",
                files=[("files", ("big.zip", b"x" * (2 * 1024 * 1024), "application/zip"))],
                headers={"Authorization": f"Bearer {token}"},
            )
    assert answer.status_code == 413
    assert "larger than" in answer.json()["detail"]


async def test_a_job_left_by_a_stopped_worker_is_finished_once(
    app: FastAPI, db: Database, client: httpx.AsyncClient, cook: Account
) -> None:
    files = [
        (name, (EXPORTS / name).read_bytes())
        for name in ("jsonld-chunky-apple-cake.json", "jsonld-moroccan-skirt-steak.json")
    ]
    job = (await upload(client, cook, *files)).json()
    lease = timedelta(seconds=60)
    now = datetime.now(UTC)
    # A worker claims the job, does one recipe, and stops.
    assert await db.run(repository.claim_next, claim="a" * 32, now=now, lease=lease) == job["id"]
    assert await db.run(import_batch, job["id"], "a" * 32, size=1, lease=lease) == 1
    # Its lease runs on: nobody else takes the job meanwhile.
    assert await db.run(repository.claim_next, claim="b" * 32, now=now, lease=lease) is None
    later = now + 2 * lease
    assert await db.run(repository.claim_next, claim="b" * 32, now=later, lease=lease) == job["id"]
    # The old worker comes back: its claim is gone, it does nothing.
    assert await db.run(import_batch, job["id"], "a" * 32, size=1, lease=lease) is None
    while await db.run(import_batch, job["id"], "b" * 32, size=1, lease=lease):
        pass
    assert await db.run(finish_job, job["id"], "a" * 32) is False
    assert await db.run(finish_job, job["id"], "b" * 32) is True
    done = (await client.get(f"/api/v1/recipes/imports/{job['id']}", headers=cook.headers)).json()
    assert (done["status"], done["imported"], done["position"]) == ("done", 2, 2)
    labels = sorted(r["label"] for r in await my_recipes(client, cook))
    assert labels == ["Chunky Apple Cake", "Moroccan Skirt Steak with Roasted Pepper Couscous"]


FULL = {
    "label": "Shakshuka",
    "source": "Ada (Example Kitchen)",
    "url": "https://example.com/shakshuka",
    "description": "Eggs poached in a spiced tomato sauce.",
    "ingredients": ["For the sauce:", "2 tbsp olive oil", "1 onion", "For serving:", "4 eggs"],
    "instructions": ["Sauce:", "Soften the onion.", "Eggs:", "Crack in the eggs."],
    "tags": ["breakfast", "vegetarian"],
    "servings": "4",
    "prep_minutes": 10,
    "cook_minutes": 25,
    "total_minutes": 40,
    "image_url": "https://example.com/shakshuka.jpg",
    "cuisine": "North African",
    "category": "Breakfast",
}
PLAIN = {"label": "Toast", "ingredients": ["bread"]}
COMPARED = [*FULL, "source", "url"]


async def test_the_recipe_box_round_trip_gives_the_same_recipes(
    app: FastAPI, client: httpx.AsyncClient, cook: Account
) -> None:
    for recipe in (FULL, PLAIN):
        created = await client.post("/api/v1/recipes/", json=recipe, headers=cook.headers)
        assert created.status_code == 201
    before = sorted(await my_recipes(client, cook), key=lambda r: r["id"])
    answer = await client.get("/api/v1/recipes/my-recipes/archive", headers=cook.headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        first = json.loads(archive.read(manifest["recipes"][0]["file"]))
    assert manifest["format"] == box.FORMAT and len(manifest["recipes"]) == 2
    assert first["@type"] == "Recipe" and first["name"] == "Shakshuka"
    for recipe in before:
        await client.delete(f"/api/v1/recipes/{recipe['id']}", headers=cook.headers)

    job = (await upload(client, cook, ("my-recipes.zip", answer.content))).json()
    assert job["format"] == "recipe-box"
    await run_jobs(app)
    after = sorted(await my_recipes(client, cook), key=lambda r: r["id"])
    assert [{k: r[k] for k in COMPARED} for r in after] == [
        {k: r[k] for k in COMPARED} for r in before
    ]


async def test_the_archive_is_only_the_cooks_own(
    client: httpx.AsyncClient, cook: Account, make_account: MakeAccount
) -> None:
    other = await make_account("other-cook@example.com")
    await client.post("/api/v1/recipes/", json=PLAIN, headers=other.headers)
    answer = await client.get("/api/v1/recipes/my-recipes/archive", headers=cook.headers)
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert json.loads(archive.read("manifest.json"))["recipes"] == []
    assert (await client.get("/api/v1/recipes/my-recipes/archive")).status_code == 401
