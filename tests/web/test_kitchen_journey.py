"""In Chromium on a 390 px phone, without JavaScript: three dinners planned, then shopped for.

And axe-core on the plan and the list, filled, with their forms open and in error.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from recipe_api.mealplan.service import monday_of, today
from tests.conftest import LiveServer
from tests.web.browsing import log_in, new_email, sign_up
from tests.web.conftest import DESKTOP, PHONE
from tests.web.test_accessibility import _check_current

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

# Lines as real recipes write them (tests/recipes/corpus): garlic three ways.
DINNERS = {
    "Garlic butter shrimp": ("2", "1 lb large shrimp\n3 garlic cloves\n3 tablespoons butter"),
    "Jollof rice": (
        "4",
        "2 cups long-grain rice\n1 medium onion\n3 cloves garlic\n1 teaspoon salt",
    ),
    "Mantu": ("4", "1 lb ground beef\n2 medium onions\n2 cloves garlic\n½ tsp. Salt"),
}


async def _add_recipe(page: Page, base: str, label: str, servings: str, lines: str) -> None:
    await page.goto(base + "/my-recipes/new")
    await page.get_by_label("Name").fill(label)
    await page.get_by_label("Ingredients").fill(lines)
    await page.get_by_label("Makes").fill(servings)
    await page.get_by_role("button", name="Add recipe").click()
    await page.wait_for_url("**/recipes/*?saved=1")


async def _fits_the_screen(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


async def test_three_dinners_planned_and_shopped_for_on_a_phone(
    site: LiveServer, browser: Browser
) -> None:
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = await context.new_page()
        base, email = site.url, new_email()
        await sign_up(page, base, email)
        await log_in(page, base, email)
        for label, (servings, lines) in DINNERS.items():
            await _add_recipe(page, base, label, servings, lines)

        # The first dinner from its own page: "Add to plan", today, for 4.
        await page.goto(base + "/my-recipes")
        await page.get_by_role("link", name="Garlic butter shrimp", exact=True).click()
        plan_it = page.locator(".recipe-plan")
        await plan_it.get_by_label("Meal").select_option("dinner")
        await plan_it.get_by_label("Servings").fill("4")
        await plan_it.get_by_role("button", name="Add to plan").click()
        await page.wait_for_url("**/meal-plan?week=*&added=1*")
        await _fits_the_screen(page)

        # The other two from the plan page: found by a search, then chosen.
        monday = monday_of(today())
        for label, day in (("Jollof rice", monday), ("Mantu", monday)):
            await page.get_by_label("Find a recipe").fill(label.split()[0])
            await page.get_by_role("button", name="Search").click()
            add = page.locator("form.plan-choose")
            await add.get_by_label(label).check()
            await add.get_by_label("Day").select_option(day.isoformat())
            await add.get_by_label("Meal").select_option("dinner")
            await add.get_by_role("button", name="Add to plan").click()
            await page.wait_for_url("**&added=1*")
        # Mantu moves to Tuesday, for 8.
        mantu = page.locator(".plan-entry", has_text="Mantu")
        await mantu.locator("summary").click()
        await mantu.get_by_label("Day").fill((monday + timedelta(days=1)).isoformat())
        await mantu.get_by_label("Servings").fill("8")
        await mantu.get_by_role("button", name="Save").click()
        await page.wait_for_url("**&moved=1*")
        await _fits_the_screen(page)
        dinners = await page.locator(".plan-entry .plan-entry-head").all_inner_texts()
        assert sorted(" ".join(d.split()) for d in dinners if "DINNER" in d.upper()) == sorted(
            [
                "DINNER Garlic butter shrimp 4 servings",
                "DINNER Jollof rice 4 servings",
                "DINNER Mantu 8 servings",
            ]
        ), dinners

        # This week's shopping list, one tap away.
        await page.get_by_role("button", name="Shopping list for this week").click()
        await page.wait_for_url("**/shopping-list?made=1")
        await _fits_the_screen(page)
        produce = page.locator('section[aria-labelledby="aisle-produce"] .line-text')
        # Shrimp for 4 from a recipe for 2: 2 x 3 cloves; then 3, and 2 x 2 for Mantu's 8.
        # Onions: 1, and 2 x 2.
        assert sorted(await produce.all_inner_texts()) == ["13 cloves garlic", "5 onions"]
        meat = page.locator('section[aria-labelledby="aisle-meat"] .line-text')
        assert sorted(await meat.all_inner_texts()) == ["2 lb ground beef", "2 lb shrimp"]
        dairy = page.locator('section[aria-labelledby="aisle-dairy"] .line-text')
        assert await dairy.all_inner_texts() == ["3/8 cup butter"]  # 2 x 3 tbsp
        spices = page.locator('section[aria-labelledby="aisle-spices"] .line-text')
        assert await spices.all_inner_texts() == ["2 tsp salt"]  # 1 tsp, and 2 x 1/2 tsp

        # Ticked off with a thumb: the whole line is the button, and big enough for one.
        garlic = page.get_by_role("button", name="13 cloves garlic")
        box = await garlic.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 250
        await garlic.click()
        await page.wait_for_url("**/shopping-list#line-*")
        assert (
            await page.get_by_role("button", name="13 cloves garlic").get_attribute("aria-pressed")
            == "true"
        )

        # A line of one's own, into its aisle.
        await page.get_by_label("Add a line").fill("Lemons")
        await page.get_by_role("button", name="Add", exact=True).click()
        await page.wait_for_url("**/shopping-list#line-*")
        assert sorted(await produce.all_inner_texts()) == [
            "13 cloves garlic",
            "5 onions",
            "Lemons",
        ]
        await _fits_the_screen(page)
    finally:
        await context.close()


@pytest.mark.parametrize(("scheme", "viewport"), [("light", DESKTOP), ("dark", PHONE)])
async def test_the_plan_and_the_list_have_no_axe_violations(
    site: LiveServer, browser: Browser, scheme: str, viewport: dict[str, int]
) -> None:
    context = await browser.new_context(
        color_scheme=scheme,  # type: ignore[arg-type]
        viewport=viewport,  # type: ignore[arg-type]
    )
    found: dict[str, list[str]] = {}
    try:
        page = await context.new_page()
        base, email = site.url, new_email("axe-kitchen")
        await sign_up(page, base, email)
        label, (servings, lines) = next(iter(DINNERS.items()))
        await _add_recipe(page, base, label, servings, lines)
        await _check_current(page, "recipe page with its plan forms", found)
        await page.locator(".recipe-plan").get_by_role("button", name="Add to plan").click()
        await page.wait_for_url("**&added=1*")
        await page.locator(".plan-entry summary").first.click()
        await _check_current(page, "the week with an entry open", found)
        await page.get_by_role("button", name="Add to plan").click()  # no recipe chosen
        await _check_current(page, "the week with an error", found)
        await page.goto(base + "/meal-plan?week=2026-W50&q=zzzzz")
        await _check_current(page, "the week, nothing found", found)
        await page.goto(base + "/shopping-list")
        await _check_current(page, "an empty list", found)
        await page.goto(base + "/meal-plan")
        await page.get_by_role("button", name="Shopping list for this week").click()
        await page.wait_for_url("**/shopping-list?made=1")
        await page.locator(".tick").first.click()
        await page.wait_for_url("**#line-*")
        await page.locator(".line-more summary").first.click()
        await _check_current(page, "a list with a line ticked and one open", found)
        await page.get_by_role("button", name="Add", exact=True).click()
        await _check_current(page, "a typed line left empty", found)
    finally:
        await context.close()
    assert found == {}
