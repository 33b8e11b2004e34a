"""What a list of ingredient lines asks to buy: foods, amounts merged, aisles.

Every line is read by the recipe parser (``recipes/ingredients.py``); nothing
here reads amounts or units itself. On top of it:

* a food's key, so "2 garlic cloves" and "3 cloves garlic, minced" are one
  food (descriptors such as "minced" or "fresh" dropped, the last word singular,
  a counted unit written after the food moved to the unit);
* amounts in base units, by measure: mass in grams, volume in millilitres,
  each counted unit (clove, can) and plain counts on their own. Amounts of one
  food and one measure add up; a mass and a volume of one food stay two lines
  (no densities: a cup of flour is not a weight);
* the aisle of a food, from a default table, unless the cook chose another.

See docs/decisions/0022-meal-plan-and-shopping-list.md for the rules and
what they give on real recipes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from recipe_api.recipes import ingredients


def _words(text: str) -> list[str]:
    return text.split()


AISLES = ("produce", "dairy", "meat", "bakery", "pantry", "spices", "frozen", "other")

# A word of the food that names the aisle; the last such word wins ("chicken stock"
# is stock: pantry; "garlic powder" is powder: spices). "frozen" anywhere wins.
_AISLE_WORDS: dict[str, list[str]] = {
    "produce": _words(
        "apple avocado banana basil berry broccoli cabbage carrot cauliflower "
        "celery chard chive cilantro coriander corn cucumber dill eggplant fennel garlic "
        "ginger grape greens herb jalapeno kale leek lemon lettuce lime mango mint "
        "mushroom onion orange parsley peach pear potato pumpkin radish rosemary sage "
        "jalapeño habanero scallion shallot spinach squash strawberry thyme tomato "
        "zucchini chile chili arugula beet blueberry raspberry cherry asparagus okra yam"
    ),
    "dairy": _words(
        "butter buttermilk cheddar cheese cream egg feta milk mozzarella parmesan ricotta "
        "yogurt yoghurt mascarpone gruyere brie ghee kefir half-and-half creme"
    ),
    "meat": _words(
        "bacon beef chicken chorizo duck fish ham lamb pork prosciutto salmon sausage "
        "shrimp steak tuna turkey veal anchovy cod prawn thigh breast mince"
    ),
    "bakery": _words(
        "bagel baguette bread bun brioche ciabatta croissant pita roll tortilla crust"
    ),
    "pantry": _words(
        "almond bean broth chickpea chocolate cocoa coconut couscous cornstarch cracker "
        "flour honey jam ketchup lentil mayonnaise molasses mustard noodle nut oat oil "
        "olive pasta peanut quinoa rice sauce spaghetti stock sugar syrup tahini vinegar water "
        "wine yeast cashew walnut pecan raisin extract paste puree lasagna macaroni penne "
        "breadcrumb panko gelatin soda"
    ),
    "spices": _words(
        "allspice bay cardamom cayenne cinnamon clove cumin curry nutmeg oregano paprika "
        "pepper peppercorn salt seasoning spice turmeric vanilla powder saffron za'atar "
        "garam masala flake"
    ),
    "frozen": _words("frozen ice-cream sorbet"),
}
_WORD_AISLE = {word: aisle for aisle, words in _AISLE_WORDS.items() for word in words}
# Two words that mean something else than their last one.
_PHRASES = {
    "bell pepper": "produce",
    "red pepper": "produce",
    "green pepper": "produce",
    "baking powder": "pantry",
    "baking soda": "pantry",
    "cocoa powder": "pantry",
    "ice cream": "frozen",
    "sour cream": "dairy",
    "coconut milk": "pantry",
    "almond milk": "dairy",
    "fish sauce": "pantry",
    "soy sauce": "pantry",
    "tomato paste": "pantry",
    "bay leaf": "spices",
    "habanero pepper": "produce",
    "jalapeño pepper": "produce",
    "egg noodle": "pantry",
    "lemon juice": "produce",
    "lime juice": "produce",
    "garlic powder": "spices",
    "onion powder": "spices",
    "chili powder": "spices",
    "chili flake": "spices",
    "pepper flake": "spices",
}

# Words about how a food is cut, cooked or sized: not what to buy.
_DESCRIPTORS = set(
    _words(
        "about beaten crumbled extra smashed very boiling chopped coarsely cold cooked "
        "crushed cubed diced drained "
        "extra-large extra-virgin finely firmly fresh freshly good-quality grated halved "
        "heaping hot large level lightly loosely lukewarm medium melted minced optional "
        "packed peeled pitted quartered raw rinsed ripe room-temperature roughly scant "
        "seeded shredded sifted sliced small softened thinly trimmed uncooked virgin warm "
        "whole-milk"
    )
)
_MEATS = {"beef", "pork", "turkey", "chicken", "lamb", "veal"}
# Plurals that are not a singular plus "s".
_KEEP_S = {"hummus", "couscous", "asparagus", "molasses", "swiss", "grits", "lentils-red", "oats"}
_COUNTED = {unit for unit in ingredients._UNITS.values() if unit not in ingredients.FACTORS}
# Containers a line names before "of": "2 heads of broccoli", "3 handfuls of spinach".
_CONTAINERS = {
    "head": "head",
    "heads": "head",
    "handful": "handful",
    "handfuls": "handful",
    "sprig": "sprig",
    "sprigs": "sprig",
    "piece": "piece",
    "pieces": "piece",
    "package": "package",
    "packages": "package",
    "jar": "jar",
    "jars": "jar",
    "bag": "bag",
    "bags": "bag",
    "box": "box",
    "boxes": "box",
}
_US_UNITS = {"cup", "tablespoon", "teaspoon", "pint", "quart", "ounce", "pound"}
_WORD = re.compile(r"[^\W\d_][\w'-]*")


def singular(word: str) -> str:
    if word in _KEEP_S or len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ves") and word[:-3] in {"lea", "loa", "hal", "cal"}:
        return word[:-3] + "f"
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("oes", "ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")) or (word.endswith("o") and word != "avocado"):
        return word + "es" if not word.endswith("s") else word
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def food_name(food: str) -> str:
    """The food a line is about, as written: "Freshly Ground Peppercorns" -> "peppercorns"."""
    text = food.lower().replace("\u2019", "'")
    text = re.split(r" (?:for|with) |\(", text)[0].strip()
    first, _, other = text.partition(" or ")
    # "vegetable or sunflower oil" is an oil; "cilantro or parsley" is cilantro.
    other_words = other.split()
    text = (
        f"{first} {other_words[-1]}" if len(first.split()) == 1 and len(other_words) > 1 else first
    )
    words = _WORD.findall(text)
    kept: list[str] = []
    for index, word in enumerate(words):
        if word in _DESCRIPTORS:
            continue
        following = words[index + 1] if index + 1 < len(words) else ""
        if word == "ground" and following not in _MEATS:
            continue
        kept.append(word)
    return " ".join(kept)


def food_key(food: str) -> str:
    """The food in one spelling, to merge by: "Freshly Ground Peppercorns" -> "peppercorn"."""
    words = food_name(food).split()
    if words:
        words[-1] = singular(words[-1])
    return " ".join(words)


def default_aisle(key: str) -> str:
    words = key.split()
    if "frozen" in words:
        return "frozen"
    for end in range(len(words), 0, -1):
        if end >= 2:
            phrase = f"{words[end - 2]} {words[end - 1]}"
            if phrase in _PHRASES:
                return _PHRASES[phrase]
        aisle = _WORD_AISLE.get(words[end - 1])
        if aisle is not None:
            # Dried herbs are in the spice rack.
            return "spices" if aisle == "produce" and "dried" in words else aisle
    return "other"


@dataclass(frozen=True)
class Need:
    """An amount of one food to buy, in one measure.

    ``measure``: "mass" (``quantity`` in grams), "volume" (millilitres), a counted
    unit ("clove"), "" (a plain count), or None (no amount: "salt to taste").
    ``units``: "metric" or "us" for a mass or a volume, as its recipe wrote it.
    """

    food: str
    measure: str | None
    quantity: float | None
    units: ingredients.Units | None = None
    # As the first line of it wrote it ("red lentils"); the key is "red lentil".
    name: str = field(default="", compare=False)

    @property
    def merge_key(self) -> tuple[str, str | None]:
        return (self.food, self.measure)


def _measured(item: ingredients.Ingredient, factor: float) -> tuple[str, Need] | None:
    """The food and its amount for one parsed line with an amount, scaled."""
    amount = item.high if item.high is not None else item.quantity
    assert amount is not None
    quantity = float(amount) * factor
    food = item.food
    unit = item.unit
    head, of, rest = food.partition(" of ")
    if unit is None and of and head in _CONTAINERS:
        unit, food = _CONTAINERS[head], rest
    key, name = food_key(food), food_name(food)
    if unit is None and key:
        # "3 garlic cloves": the counted unit after the food.
        *front, last = key.split()
        if last in _COUNTED and front:
            unit, key = last, " ".join(front)
            name = key
    if not key:
        return None
    if unit in ingredients.FACTORS:
        units: ingredients.Units = "us" if unit in _US_UNITS else "metric"
        measure = "volume" if unit in ingredients._ML else "mass"
        return key, Need(key, measure, quantity * ingredients.FACTORS[unit], units, name)
    return key, Need(key, unit or "", quantity, name=name)


def needs(line: str, factor: float = 1.0) -> list[Need]:
    """What one ingredient line asks to buy, its amount times ``factor``; [] for a heading."""
    item = ingredients.parse(line)
    if item.section:
        return []
    if item.quantity is None:
        key = food_key(item.food)
        return [Need(key, None, None, name=food_name(item.food))] if key else []
    found = _measured(item, factor)
    if found is None:
        return []
    key, need = found
    # "1 cup plus 2 tablespoons sugar": the second amount is of the same food.
    plus = re.match(r"^(?:plus|\+|and)\s+(\d.*)$", item.food)
    if plus:
        more = ingredients.parse(plus[1])
        if more.quantity is not None:
            again = _measured(more, factor)
            if again is not None:
                food = again[0]
                return [replace(need, food=food, name=again[1].name), again[1]]
    return [need]


def merge(items: Iterable[Need]) -> list[Need]:
    """One need per food and measure, amounts added, in the order foods first appear.

    A food without an amount is left out when the same food has one elsewhere.
    Metric wins when a mass or volume was written both ways.
    """
    merged: dict[tuple[str, str | None], Need] = {}
    for item in items:
        previous = merged.get(item.merge_key)
        if previous is None:
            merged[item.merge_key] = item
        elif previous.quantity is not None and item.quantity is not None:
            units = "metric" if "metric" in (previous.units, item.units) else previous.units
            merged[item.merge_key] = replace(
                previous, quantity=previous.quantity + item.quantity, units=units
            )
    measured = {food for food, measure in merged if measure is not None}
    return [
        need
        for (food, measure), need in merged.items()
        if measure is not None or food not in measured
    ]


def aisle_for(food: str, chosen: Mapping[str, str]) -> str:
    """The cook's aisle for the food if they chose one, else the default."""
    return chosen.get(food) or default_aisle(food)


def line_text(name: str, measure: str | None, quantity: float | None, units: str | None) -> str:
    """A list line as a cook reads it: "5 cloves garlic", "700 g flour", "3 onions", "salt"."""
    if measure is None or quantity is None:
        return name
    if measure in ("mass", "volume"):
        base = "gram" if measure == "mass" else "milliliter"
        shown: ingredients.Units = "us" if units == "us" else "metric"
        return f"{ingredients.amount_text(quantity, base, shown)} {name}"
    number = ingredients.number_text(quantity)
    if measure == "":
        words = name.split()
        if words:
            one = singular(words[-1])
            words[-1] = plural(one) if quantity > 1 else one
        return f"{number} {' '.join(words)}"
    unit = plural(measure) if quantity > 1 else measure
    return f"{number} {unit} {name}"
