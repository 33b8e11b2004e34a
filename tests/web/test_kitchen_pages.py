"""The meal plan and shopping list pages as a browser without JavaScript uses them."""

from __future__ import annotations

import re
from datetime import date

import httpx
from fastapi import FastAPI

from recipe_api.mealplan.service import monday_of, today, week_name
from tests.web.forms import browser_for, csrf_token, field_errors, sign_up_and_log_in, submit

DAL = {
    "label": "Red lentil dal",
    "servings": "2",
    "ingredients": "200 g red lentils\n2 cloves garlic, minced\n1 onion\nSalt",
}
SOUP = {
    "label": "Lentil soup",
    "servings": "4",
    "ingredients": "0.5 kg red lentils\n3 garlic cloves\n1 tsp salt",
}


async def _add(browser: httpx.AsyncClient, data: dict[str, str]) -> int:
    response = await submit(browser, "/my-recipes/new", "/my-recipes/new", data)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/recipes/(\d+)\?saved=1", response.headers["location"])
    assert match
    return int(match.group(1))


def _entries(page: httpx.Response) -> list[str]:
    """Each entry of the week as "day meal label servings"."""
    days = re.split(r'(?=<li class="plan-day[^"]*" id="day-)', page.text)
    result = []
    for chunk in days[1:]:
        day = re.search(r'id="day-([\d-]+)"', chunk)
        assert day
        for meal, label, servings in re.findall(
            r'<span class="meal">(\w+)</span>\s*<a href="/recipes/\d+\?servings=\d+">([^<]+)</a>\s*'
            r'<span class="servings">(\d+) serving',
            chunk,
        ):
            result.append(f"{day.group(1)} {meal} {label} {servings}")
    return result


async def test_plan_from_the_recipe_page_move_and_remove(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        dal = await _add(browser, DAL)
        recipe_page = await browser.get(f"/recipes/{dal}")
        assert 'action="/meal-plan/entries"' in recipe_page.text
        token = csrf_token(recipe_page)

        added = await browser.post(
            "/meal-plan/entries",
            data={
                "csrftoken": token,
                "recipe_id": str(dal),
                "day": "2026-12-09",
                "meal": "dinner",
                "servings": "4",
            },
        )
        assert added.status_code == 303
        assert added.headers["location"] == "/meal-plan?week=2026-W50&added=1#day-2026-12-09"
        week = await browser.get(added.headers["location"])
        assert "Added to your plan." in week.text
        assert _entries(week) == ["2026-12-09 Dinner Red lentil dal 4"]
        entry = re.search(r'id="entry-(\d+)"', week.text)
        assert entry

        # Moved into the next week: the redirect follows it there.
        moved = await browser.post(
            f"/meal-plan/entries/{entry.group(1)}",
            data={
                "csrftoken": csrf_token(week),
                "week": "2026-W50",
                "day": "2026-12-15",
                "meal": "lunch",
                "servings": "3",
            },
        )
        assert moved.headers["location"] == "/meal-plan?week=2026-W51&moved=1#day-2026-12-15"
        assert _entries(await browser.get("/meal-plan?week=2026-W50")) == []
        next_week = await browser.get("/meal-plan?week=2026-W51")
        assert _entries(next_week) == ["2026-12-15 Lunch Red lentil dal 3"]

        removed = await browser.post(
            f"/meal-plan/entries/{entry.group(1)}/delete",
            data={"csrftoken": csrf_token(next_week), "week": "2026-W51"},
        )
        assert removed.headers["location"] == "/meal-plan?week=2026-W51&removed=1"
        assert _entries(await browser.get("/meal-plan?week=2026-W51")) == []


async def test_plan_page_finds_and_adds_and_says_what_is_wrong(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        dal = await _add(browser, DAL)
        await _add(browser, SOUP)
        # Without words: the cook's newest recipes to choose from.
        page = await browser.get("/meal-plan?week=2026-W50")
        assert page.status_code == 200
        assert re.findall(r'name="recipe_id" value="(\d+)"> ([^<]+)<', page.text) == [
            (str(dal + 1), "Lentil soup"),
            (str(dal), "Red lentil dal"),
        ]
        found = await browser.get("/meal-plan?week=2026-W50&q=dal")
        assert re.findall(r'name="recipe_id" value="(\d+)"> ([^<]+)<', found.text) == [
            (str(dal), "Red lentil dal")
        ]
        # The day select offers the week's seven days, Monday first.
        days = re.findall(r'<option value="(2026-12-\d\d)"', found.text)
        assert days == [f"2026-12-{d:02d}" for d in range(7, 14)]

        nothing = await browser.post(
            "/meal-plan/entries",
            data={
                "csrftoken": csrf_token(found),
                "week": "2026-W50",
                "day": "2026-12-08",
                "meal": "dinner",
                "servings": "",
            },
        )
        assert nothing.status_code == 422
        assert "Choose a recipe to add." in nothing.text
        bad_servings = await browser.post(
            "/meal-plan/entries",
            data={
                "csrftoken": csrf_token(found),
                "week": "2026-W50",
                "recipe_id": str(dal),
                "day": "2026-12-08",
                "meal": "dinner",
                "servings": "500",
            },
        )
        assert bad_servings.status_code == 422
        assert "Servings:" in bad_servings.text
        ok = await browser.post(
            "/meal-plan/entries",
            data={
                "csrftoken": csrf_token(found),
                "week": "2026-W50",
                "recipe_id": str(dal),
                "day": "2026-12-08",
                "meal": "dinner",
                "servings": "",
            },
        )
        assert ok.status_code == 303
        assert _entries(await browser.get("/meal-plan?week=2026-W50")) == [
            "2026-12-08 Dinner Red lentil dal 2"
        ]
        # A form without its token is refused, and changes nothing.
        forged = await browser.post(
            "/meal-plan/entries",
            data={"recipe_id": str(dal), "day": "2026-12-09", "meal": "dinner"},
        )
        assert forged.status_code == 403
        assert len(_entries(await browser.get("/meal-plan?week=2026-W50"))) == 1
        # A week that is not one: a page that says so.
        bad_week = await browser.get("/meal-plan?week=2025-W53")
        assert bad_week.status_code == 422


async def test_this_week_is_the_default_and_pages_need_a_login(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        for path in ("/meal-plan", "/shopping-list"):
            response = await browser.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == f"/login?next={path}"
        await sign_up_and_log_in(browser, "cook@example.com")
        page = await browser.get("/meal-plan")
        monday: date = monday_of(today())
        assert f'id="day-{monday.isoformat()}"' in page.text
        assert f"Meal plan {week_name(monday)}" in page.text
        assert 'href="/meal-plan"' in page.text and 'href="/shopping-list"' in page.text


def _lines(page: httpx.Response) -> dict[str, list[str]]:
    aisles: dict[str, list[str]] = {}
    for aisle, body in re.findall(
        r'<h2 id="aisle-(\w+)">.*?</h2>(.*?)</section>', page.text, flags=re.S
    ):
        aisles[aisle] = [
            ("[x] " if "checked" in cls else "") + text
            for cls, text in re.findall(
                r'<li class="shopping-line([^"]*)".*?<span class="line-text">([^<]+)</span>',
                body,
                flags=re.S,
            )
        ]
    return aisles


async def test_shopping_list_from_the_plan_ticked_off_by_forms(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        dal = await _add(browser, DAL)
        soup = await _add(browser, SOUP)
        token = csrf_token(await browser.get("/meal-plan?week=2026-W50"))
        for recipe, day, servings in ((dal, "2026-12-07", "4"), (soup, "2026-12-08", "4")):
            response = await browser.post(
                "/meal-plan/entries",
                data={
                    "csrftoken": token,
                    "recipe_id": str(recipe),
                    "day": day,
                    "meal": "dinner",
                    "servings": servings,
                },
            )
            assert response.status_code == 303
        # The plan page's button: this week's list.
        week = await browser.get("/meal-plan?week=2026-W50")
        made = await browser.post(
            "/shopping-list/from-plan",
            data={"csrftoken": csrf_token(week), "start": "2026-12-07", "end": "2026-12-13"},
        )
        assert made.headers["location"] == "/shopping-list?made=1"
        page = await browser.get(made.headers["location"])
        assert "Your list is made from the plan." in page.text
        assert _lines(page) == {
            "produce": ["7 cloves garlic", "2 onions"],
            "pantry": ["900 g red lentils"],
            "spices": ["1 tsp salt"],
        }

        garlic = re.search(r'id="line-(\d+)"[^>]*>(?:(?!</li>).)*7 cloves garlic', page.text, re.S)
        assert garlic
        line_id = re.findall(r'id="line-(\d+)"', garlic.group(0))[-1]
        ticked = await browser.post(
            f"/shopping-list/lines/{line_id}",
            data={"csrftoken": csrf_token(page), "checked": "true"},
        )
        assert ticked.headers["location"] == f"/shopping-list#line-{line_id}"
        page = await browser.get("/shopping-list")
        assert _lines(page)["produce"] == ["[x] 7 cloves garlic", "2 onions"]
        assert '<span class="count">3 to buy</span>' in page.text

        typed = await browser.post(
            "/shopping-list/lines", data={"csrftoken": csrf_token(page), "text": "Paper towels"}
        )
        assert typed.status_code == 303
        empty = await browser.post(
            "/shopping-list/lines", data={"csrftoken": csrf_token(page), "text": "  "}
        )
        assert empty.status_code == 422
        assert field_errors(empty) == {"text": "Type what to buy"}
        page = await browser.get("/shopping-list")
        assert _lines(page)["other"] == ["Paper towels"]

        backwards = await browser.post(
            "/shopping-list/from-plan",
            data={"csrftoken": csrf_token(page), "start": "2026-12-13", "end": "2026-12-07"},
        )
        assert backwards.status_code == 422
        assert "end comes before start" in backwards.text
        assert 'value="2026-12-13"' in backwards.text  # the dates typed stay

        cleared = await browser.post(
            "/shopping-list/clear", data={"csrftoken": csrf_token(page), "only": "checked"}
        )
        assert cleared.status_code == 303
        page = await browser.get("/shopping-list")
        assert "7 cloves garlic" not in page.text and "Paper towels" in page.text


async def test_a_recipe_page_puts_its_ingredients_on_the_list(app: FastAPI) -> None:
    async with browser_for(app) as browser:
        await sign_up_and_log_in(browser, "cook@example.com")
        dal = await _add(browser, DAL)
        recipe_page = await browser.get(f"/recipes/{dal}?servings=6")
        assert '<input type="hidden" name="servings" value="6">' in recipe_page.text
        added = await browser.post(
            "/shopping-list/from-recipe",
            data={"csrftoken": csrf_token(recipe_page), "recipe_id": str(dal), "servings": "6"},
        )
        assert added.headers["location"] == "/shopping-list?added=1"
        page = await browser.get("/shopping-list?added=1")
        assert _lines(page) == {
            "produce": ["6 cloves garlic", "3 onions"],
            "pantry": ["600 g red lentils"],
            "spices": ["salt"],
        }
