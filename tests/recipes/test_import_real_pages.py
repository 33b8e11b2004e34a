"""Real recipe pages imported through the API: our recipe holds what recipe-scrapers extracts.

The pages (tests/recipes/pages/real, see its README) are pasted as the cook's
browser would send them, with their own address, so the site's scraper applies
and nothing is fetched.
"""

from __future__ import annotations

import httpx
import pytest

from recipe_api.settings import Settings
from tests.conftest import Account, MakeAccount
from tests.recipes.real_pages import RealPage, kept, library_fields, real_pages

PAGES = real_pages()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"import_max_per_cook": 1000})


@pytest.fixture
async def cook(make_account: MakeAccount) -> Account:
    return await make_account("cook@example.com")


def test_the_corpus_is_there() -> None:
    assert len(PAGES) >= 13
    assert sum(len(page.html) for page in PAGES) > 1_000_000


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
async def test_the_import_holds_every_field_the_library_extracts(
    client: httpx.AsyncClient, cook: Account, page: RealPage
) -> None:
    response = await client.post(
        "/api/v1/recipes/import",
        json={"url": page.url, "html": page.html},
        headers=cook.headers,
    )
    assert response.status_code == 201, response.text
    recipe = response.json()
    extracted = library_fields(page)
    assert {"title", "ingredients", "instructions"} <= extracted.keys()
    lost = {name: value for name, value in extracted.items() if not kept(name, value, recipe)}
    assert lost == {}
