"""Ingredient lines read, scaled and converted: real lines labelled by hand, and the API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from recipe_api.recipes.ingredients import (
    FACTORS,
    adjust_line,
    convert_temperatures,
    parse,
    servings_number,
)
from tests.conftest import Account, MakeAccount

LINES = json.loads((Path(__file__).parent / "ingredient_lines.json").read_text())["lines"]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower())) - {"of"}


def test_real_lines_read_as_labelled() -> None:
    """97 lines from real recipe pages (recipe-scrapers' test data): amount, unit, food."""
    amounts = foods = 0
    for expected in LINES:
        item = parse(expected["line"])
        assert item.section == expected["section"], expected["line"]
        quantity = None if item.quantity is None else float(item.quantity)
        amounts += quantity == expected["quantity"] and item.unit == expected["unit"]
        # The food's words, one more allowed ("freshly grated parmesan cheese").
        got, wanted = _words(item.food), _words(expected["food"] or "")
        foods += expected["section"] or (wanted <= got and len(got - wanted) <= 1)
    # Measured in docs/decisions/0015: 96 and 92 of 97. A change that reads worse fails here.
    assert amounts >= 96
    assert foods >= 90


@pytest.mark.parametrize(
    ("line", "factor", "units", "expected"),
    [
        ("¼ cup olive oil", 2, None, "1/2 cup olive oil"),
        ("1/4 cup olive oil", 1, "metric", "60 ml olive oil"),
        ("1 1/2 teaspoons baking soda", 2, None, "3 tsp baking soda"),
        ("½ cup milk", 2 / 3, None, "1/3 cup milk"),
        ("250g self-raising flour", 1, "us", "8 3/4 oz self-raising flour"),
        ("1 pound ground beef", 1, "metric", "450 g ground beef"),
        ("2 (15 ounce) cans pumpkin puree", 1.5, None, "3 (15 ounce) cans pumpkin puree"),
        ("8 Roma tomatoes, sliced", 0.5, "metric", "4 Roma tomatoes, sliced"),
        ("2-3 tbsp milk", 2, None, "4-6 tbsp milk"),
        ("Freshly ground black pepper", 2, "metric", "Freshly ground black pepper"),
        ("For the sauce:", 2, "us", "For the sauce:"),
        ("1.5 l stock", 1, "us", "6 1/3 cups stock"),
        ("1 teaspoon dried oregano", 0.5, "metric", "2.5 ml dried oregano"),
        ("2 pints milk", 1.5, None, "3 pints milk"),
    ],
)
def test_lines_scale_and_convert(
    line: str, factor: float, units: str | None, expected: str
) -> None:
    assert adjust_line(line, factor, units) == expected  # type: ignore[arg-type]


def test_the_conversion_table_agrees_with_pint() -> None:
    pint = pytest.importorskip("pint")
    registry = pint.UnitRegistry()
    for unit, factor in FACTORS.items():
        quantity = registry.Quantity(1, unit)
        base = "milliliter" if quantity.check("[volume]") else "gram"
        assert quantity.to(base).magnitude == pytest.approx(factor, rel=1e-12), unit


def test_oven_temperatures_convert() -> None:
    assert convert_temperatures("Heat the oven to 350°F.", "metric") == "Heat the oven to 175°C."
    assert convert_temperatures("Preheat to 400 degrees F", "metric") == "Preheat to 205°C"
    assert (
        convert_temperatures("Heat oven to 180C/160C fan", "us") == "Heat oven to 350°F/325°F fan"
    )
    assert convert_temperatures("Bake at 175 °C", "us") == "Bake at 350°F"
    assert convert_temperatures("Cook 20 minutes at 350°F", "us") == "Cook 20 minutes at 350°F"


@pytest.mark.parametrize(
    ("written", "number"),
    [("4", 4), ("Serves 4", 4), ("4-6 servings", 4), ("12 items", 12), ("", None), ("some", None)],
)
def test_servings_number(written: str, number: int | None) -> None:
    assert servings_number(written) == number


@pytest.fixture
async def cook(seeded: Account, make_account: MakeAccount) -> Account:
    return await make_account("cook@example.com")


@pytest.mark.usefixtures("seeded")
async def test_api_scales_and_converts(client: httpx.AsyncClient, cook: Account) -> None:
    recipe = {
        "label": "Pizza",
        "servings": "Serves 4",
        "ingredients": ["For the dough:", "2 cups flour", "1 tsp salt", "Basil, to taste"],
        "instructions": ["Heat the oven to 450°F.", "Bake."],
    }
    created = (await client.post("/api/v1/recipes/", json=recipe, headers=cook.headers)).json()
    path = f"/api/v1/recipes/{created['id']}"
    plain = await client.get(path)
    body = (await client.get(path, params={"servings": 8, "units": "metric"})).json()
    assert body["servings"] == "8"
    assert body["ingredients"] == [
        "For the dough:",
        "950 ml flour",
        "10 ml salt",
        "Basil, to taste",
    ]
    assert body["instructions"] == ["Heat the oven to 230°C.", "Bake."]
    # Nothing stored changed, and the plain answer is the same bytes as before.
    again = await client.get(path)
    assert again.content == plain.content and again.json()["ingredients"] == recipe["ingredients"]
    halved = (await client.get(path, params={"servings": 2})).json()
    assert halved["ingredients"][1:3] == ["1 cup flour", "1/2 tsp salt"]


@pytest.mark.usefixtures("seeded")
async def test_api_leaves_what_cannot_scale(client: httpx.AsyncClient, cook: Account) -> None:
    recipe = {"label": "Soup", "servings": "a pot", "ingredients": ["1 cup water"]}
    created = (await client.post("/api/v1/recipes/", json=recipe, headers=cook.headers)).json()
    path = f"/api/v1/recipes/{created['id']}"
    # No number to scale from: not scaled, and `servings` says so by staying as written.
    unscaled = (await client.get(path, params={"servings": 2})).json()
    assert unscaled["servings"] == "a pot" and unscaled["ingredients"] == ["1 cup water"]
    converted = await client.get(path, params={"units": "metric"})
    assert converted.json()["ingredients"] == ["240 ml water"]
    for bad in ({"units": "imperial"}, {"servings": 0}, {"servings": "x"}):
        assert (await client.get(path, params=bad)).status_code == 422
