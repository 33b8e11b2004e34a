"""The merge rules on the issue's examples and on real recipes' ingredient lines.

The lines come from tests/recipes/ingredient_lines.json and
tests/recipes/corpus/recipes.json (recipe-scrapers' test data: real pages).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recipe_api.shopping.lines import (
    AISLES,
    Need,
    default_aisle,
    food_key,
    line_text,
    merge,
    needs,
)

RECIPES_DIR = Path(__file__).parent.parent / "recipes"
LINES = json.loads((RECIPES_DIR / "ingredient_lines.json").read_text())["lines"]
CORPUS = {
    recipe["label"]: recipe
    for recipe in json.loads((RECIPES_DIR / "corpus" / "recipes.json").read_text())["recipes"]
}


def shopping(lines: list[str], factor: float = 1.0) -> list[str]:
    merged = merge(need for line in lines for need in needs(line, factor))
    return [line_text(n.name, n.measure, n.quantity, n.units) for n in merged]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["2 cloves garlic", "3 cloves garlic, minced"], ["5 cloves garlic"]),
        (["200 g flour", "0.5 kg flour"], ["700 g flour"]),
        (["1 cup milk", "2 tbsp milk"], ["1 1/8 cups milk"]),
        (["1 cup plus 2 tablespoons sugar"], ["1 1/8 cups sugar"]),
        (["600 g flour", "0.5 kg flour"], ["1.1 kg flour"]),
        (["1/2 cup milk", "100 ml milk"], ["220 ml milk"]),  # metric wins when mixed
        (["1 lb ground beef", "8 oz ground beef"], ["1 1/2 lb ground beef"]),
        (["2 onions, chopped", "1 large onion"], ["3 onions"]),
        (["1 egg"], ["1 egg"]),
        (["2-3 tomatoes"], ["3 tomatoes"]),  # the top of a range: enough to cook it
    ],
)
def test_the_issue_examples_and_their_kin(lines: list[str], expected: list[str]) -> None:
    assert shopping(lines) == expected


def test_a_mass_and_a_volume_of_one_food_stay_apart() -> None:
    # No densities: a cup of butter is not a number of grams without one.
    assert shopping(["40g butter", "3 tablespoons butter"]) == ["40 g butter", "3 tbsp butter"]


def test_a_food_without_an_amount_goes_when_an_amount_of_it_is_there() -> None:
    assert shopping(["Salt", "1 tsp salt", "salt"]) == ["1 tsp salt"]
    assert shopping(["Salt", "salt"]) == ["salt"]


def test_headings_ask_for_nothing_and_scaling_multiplies() -> None:
    assert needs("For the sauce:") == []
    assert shopping(["2 cloves garlic", "1 cup rice"], factor=1.5) == [
        "3 cloves garlic",
        "1 1/2 cups rice",
    ]


def test_real_lines_name_the_hand_labelled_food() -> None:
    """92 real lines, their food labelled by hand: the merge key agrees on 89 or more.

    The three others: "Chocolate Buttercream Frosting Recipe", "150g pot fat-free
    natural yogurt" (the parser reads "pot" as the food) and "Fresh chopped parsley or
    small sage leaves" (labelled "parsley leaf", read "parsley").
    """
    agreed = total = 0
    for line in LINES:
        if line["section"]:
            continue
        total += 1
        found = needs(line["line"])
        agreed += bool(found) and found[0].food == food_key(line["food"])
    assert total == 92
    assert agreed >= 89


def test_garlic_from_three_real_recipes_is_one_line() -> None:
    """ "3 cloves garlic, smashed", "3 garlic cloves", "3 cloves garlic": nine cloves."""
    labels = ["Broccoli Soup with Coconut Milk", "Ghana Jollof Rice"]
    labels.append("Garlic Butter Shrimp (Fast & Easy Dinner!)")
    lines = [line for label in labels for line in CORPUS[label]["ingredients"]]
    found = shopping(lines)
    assert "9 cloves garlic" in found
    assert sum("garlic" in text and "powder" not in text for text in found) == 1


def test_real_recipes_merge_salt_onions_and_oil() -> None:
    labels = ["Ghana Jollof Rice", "Vegetarian Spinach Pumpkin Lasagna", "Mantu (Beef Dumplings)"]
    lines = [line for label in labels for line in CORPUS[label]["ingredients"]]
    found = shopping(lines)
    # "1 teaspoon (6g) salt" + "1/2 teaspoon salt" + "½ tsp. Salt".
    assert "2 tsp salt" in found
    # "1 medium onion" + "1 medium Onion (finely chopped)"; "2 cups of Onions" is a volume.
    assert "2 onions" in found
    assert "2 cups onions" in found
    # "1/2 cup (120ml) cooking oil" + "30 ml. Cooking Oil": metric, since one was.
    assert "150 ml cooking oil" in found
    # Every line of these recipes is on the list once, or merged into one.
    assert len(found) == len(set(found))


def test_every_real_food_has_an_aisle_most_not_other() -> None:
    foods = {
        need.food
        for recipe in CORPUS.values()
        for line in recipe["ingredients"]
        for need in needs(line)
    }
    aisles = {food: default_aisle(food) for food in foods}
    assert set(aisles.values()) <= set(AISLES)
    assert sum(aisle == "other" for aisle in aisles.values()) <= len(aisles) // 10
    assert aisles["garlic"] == "produce"
    assert aisles["garlic powder"] == "spices"
    assert aisles["butter"] == "dairy"
    assert aisles["beef mince"] == "meat"
    assert aisles["peanut oil"] == "pantry"
    assert aisles["chicken stock"] == "pantry"
    assert aisles["tortilla"] == "bakery"


@pytest.mark.parametrize(
    ("food", "aisle"),
    [
        ("frozen peas", "frozen"),
        ("red bell pepper", "produce"),
        ("black pepper", "spices"),
        ("dried oregano", "spices"),
        ("fresh basil", "produce"),
        ("sour cream", "dairy"),
        ("baking powder", "pantry"),
        ("paper towels", "other"),
        ("bread rolls", "bakery"),
    ],
)
def test_default_aisles(food: str, aisle: str) -> None:
    assert default_aisle(food_key(food)) == aisle


def test_the_food_key_drops_how_it_is_cut_and_reads_one_form() -> None:
    assert food_key("Freshly Ground Black Pepper") == "black pepper"
    assert food_key("ground beef") == "ground beef"
    assert food_key("Tomatoes") == "tomato"
    assert food_key("fresh cilantro or parsley") == "cilantro"
    assert food_key("vegetable or sunflower oil") == "vegetable oil"
    assert food_key("bay leaves") == "bay leaf"
    assert needs("3 garlic cloves") == [Need("garlic", "clove", 3.0)]
    assert needs("2 heads of broccoli") == [Need("broccoli", "head", 2.0)]
