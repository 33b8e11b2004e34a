"""Journeys in Chromium on both backends: a recipe with ingredients and steps, an import from
a link, and an idea saved as a recipe."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.conftest import LiveServer
from tests.web.browsing import PASSWORD, log_in, new_email, sign_up

if TYPE_CHECKING:
    from playwright.async_api import Page


async def test_adding_a_recipe_with_ingredients_and_steps(site: LiveServer, page: Page) -> None:
    base, email = site.url, new_email()
    label = f"Red lentil dal {email[5:13]}"
    await sign_up(page, base, email)
    await log_in(page, base, email)

    await page.get_by_role("link", name="My recipes").click()
    await page.get_by_role("link", name="Add a recipe").click()
    await page.get_by_label("Name").fill(label)
    await page.get_by_label("Description").fill("Weeknight comfort.")
    await page.get_by_label("Ingredients").fill(
        "200 g red lentils\n1 onion, chopped\n2 cloves garlic, minced"
    )
    await page.get_by_label("Steps").fill(
        "Rinse the lentils.\nSoften the onion and garlic.\nSimmer for 20 minutes."
    )
    await page.get_by_label("Makes").fill("4 bowls")
    await page.get_by_label("Preparation").fill("ten")
    await page.get_by_label("Cooking").fill("20")
    await page.get_by_label("Tags").fill("Vegan, quick")
    await page.get_by_role("button", name="Add recipe").click()

    # A number of minutes that is not one: the message beside it, everything else kept.
    assert await page.get_by_role("alert").inner_text() == (
        "Please correct the fields marked below."
    )
    assert await page.locator("#prep_minutes-error").inner_text() == (
        "Enter a whole number of minutes, like 45"
    )
    assert await page.get_by_label("Ingredients").input_value() == (
        "200 g red lentils\n1 onion, chopped\n2 cloves garlic, minced"
    )
    assert await page.get_by_label("Tags").input_value() == "Vegan, quick"
    await page.get_by_label("Preparation").fill("10")
    await page.get_by_role("button", name="Add recipe").click()
    await page.wait_for_url("**/recipes/*?saved=1")
    recipe_url = page.url.split("?")[0]

    assert await page.get_by_role("heading", level=1).inner_text() == label
    ingredients = page.locator(".ingredients li")
    assert await ingredients.all_inner_texts() == [
        "200 g red lentils",
        "1 onion, chopped",
        "2 cloves garlic, minced",
    ]
    steps = page.locator(".instructions ol > li")
    assert await steps.count() == 3
    assert await steps.nth(2).inner_text() == "Simmer for 20 minutes."
    glance = await page.locator(".glance").inner_text()
    assert glance == "Prep 10 min · Cook 20 min · Ready in 30 min · Makes 4 bowls"
    facts = await page.locator(".facts").inner_text()
    assert "vegan" in facts and "quick" in facts

    # Edit: the lines come back one per line; a step added at the end.
    await page.get_by_role("link", name="Edit").click()
    steps_text = await page.get_by_label("Steps").input_value()
    assert steps_text.split("\n") == [
        "Rinse the lentils.",
        "Soften the onion and garlic.",
        "Simmer for 20 minutes.",
    ]
    await page.get_by_label("Steps").fill(steps_text + "\nServe with rice.")
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url(recipe_url + "?saved=1")
    assert await page.locator(".instructions ol > li").count() == 4

    # The search finds it.
    await page.goto(base + "/search?q=" + label.split()[-1])
    assert await page.get_by_role("link", name=label).count() == 1


async def test_importing_a_recipe_from_a_link(
    site: LiveServer, page: Page, pages_server: str
) -> None:
    base, email = site.url, new_email("importer")
    await sign_up(page, base, email)
    await log_in(page, base, email)

    await page.get_by_role("link", name="My recipes").click()
    await page.get_by_role("link", name="Import from a link").click()
    await page.wait_for_url("**/my-recipes/import")
    address = page.get_by_label("Recipe page address")
    await address.fill(pages_server + "/plain")
    await page.get_by_role("button", name="Import recipe").click()
    assert await page.get_by_role("alert").inner_text() == "The recipe could not be imported."
    assert await page.locator("#url-error").inner_text() == (
        "The page “My grandmother's kitchen” has no recipe we can read (no schema.org "
        "Recipe markup, JSON-LD or microdata): open the recipe's own page, or add the "
        "recipe by hand"
    )
    assert await address.input_value() == pages_server + "/plain"

    await address.fill(pages_server + "/to-private")
    await page.get_by_role("button", name="Import recipe").click()
    assert await page.locator("#url-error").inner_text() == "10.1.2.3 is not a public address"

    await address.fill(pages_server + "/jsonld")
    await page.get_by_role("button", name="Import recipe").click()
    await page.wait_for_url("**/recipes/*?imported=1")
    assert (await page.get_by_role("status").inner_text()).startswith("Recipe imported.")
    assert await page.get_by_role("heading", level=1).inner_text() == "Shakshuka with Feta"
    assert await page.locator(".ingredients li").count() >= 5
    assert await page.locator(".instructions ol > li").count() >= 2
    assert await page.get_by_role("link", name="See the photo").count() == 1
    await page.get_by_role("link", name="My recipes").click()
    assert await page.get_by_role("link", name="Shakshuka with Feta", exact=True).count() == 1


async def test_saving_an_idea_as_a_recipe(ideas_site: LiveServer, page: Page) -> None:
    base, email = ideas_site.url, new_email("ideas")
    await sign_up(page, base, email)
    await page.context.clear_cookies()  # signing up logged in; this is a visitor
    await page.goto(base + "/")
    await page.get_by_role("link", name="Ideas").click()
    assert await page.get_by_role("button", name=re.compile("Save as recipe")).count() == 0

    # A visitor logs in from the card and comes back to the ideas.
    await page.get_by_role("link", name=re.compile("Log in to save")).first.click()
    await page.wait_for_url("**/login?next=/ideas")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(base + "/ideas")

    card = page.locator(".recipe-card.idea").first
    title = (await card.locator(".recipe-label").inner_text()).strip()
    await card.get_by_role("button", name=re.compile("Save as recipe")).click()
    await page.wait_for_url("**/recipes/*/edit?from_idea=1")
    assert (await page.get_by_role("status").inner_text()).startswith("Idea saved as a recipe.")
    assert await page.get_by_label("Name").input_value() == title
    assert await page.get_by_label("Source").input_value() == "r/recipes"
    assert (await page.get_by_label("Web address").input_value()).startswith("http")

    await page.get_by_label("Ingredients").fill("3 apples\n200 g flour")
    await page.get_by_label("Steps").fill("Slice the apples.\nBake.")
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url("**/recipes/*?saved=1")
    assert await page.get_by_role("heading", level=1).inner_text() == title
    assert await page.locator(".ingredients li").all_inner_texts() == ["3 apples", "200 g flour"]
    assert "r/recipes" in await page.locator(".facts").inner_text()
