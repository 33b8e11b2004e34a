"""Ingredient lines read into amounts, scaled and converted; temperatures in steps converted.

The line as the cook wrote it stays the source of truth: nothing here is
stored. A line is read when a reader asks for other servings or units (a few
µs a line, docs/decisions/0015), and a line this cannot read is shown as
written. Units come from a fixed table, never from the text: no junk units.
Conversions use the units' exact definitions, checked against ``pint``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Units = Literal["metric", "us"]

_VULGAR = {
    "½": "1/2",
    "⅓": "1/3",
    "⅔": "2/3",
    "¼": "1/4",
    "¾": "3/4",
    "⅛": "1/8",
    "⅜": "3/8",
    "⅝": "5/8",
    "⅞": "7/8",
    "⅕": "1/5",
    "⅙": "1/6",
}
# Every spelling met in real lines, to pint's unit name. Counted units (a clove, a can)
# scale but never convert.
_UNITS = {
    "cup": "cup",
    "cups": "cup",
    "c": "cup",
    "tablespoon": "tablespoon",
    "tablespoons": "tablespoon",
    "tbsp": "tablespoon",
    "tbs": "tablespoon",
    "tbsps": "tablespoon",
    "teaspoon": "teaspoon",
    "teaspoons": "teaspoon",
    "tsp": "teaspoon",
    "tsps": "teaspoon",
    "ounce": "ounce",
    "ounces": "ounce",
    "oz": "ounce",
    "pound": "pound",
    "pounds": "pound",
    "lb": "pound",
    "lbs": "pound",
    "gram": "gram",
    "grams": "gram",
    "g": "gram",
    "kilogram": "kilogram",
    "kilograms": "kilogram",
    "kg": "kilogram",
    "milliliter": "milliliter",
    "milliliters": "milliliter",
    "millilitre": "milliliter",
    "millilitres": "milliliter",
    "ml": "milliliter",
    "liter": "liter",
    "liters": "liter",
    "litre": "liter",
    "litres": "liter",
    "l": "liter",
    "pint": "pint",
    "pints": "pint",
    "quart": "quart",
    "quarts": "quart",
    "clove": "clove",
    "cloves": "clove",
    "can": "can",
    "cans": "can",
    "rib": "rib",
    "ribs": "rib",
    "sheet": "sheet",
    "sheets": "sheet",
    "container": "container",
    "containers": "container",
    "stick": "stick",
    "sticks": "stick",
    "pinch": "pinch",
    "pinches": "pinch",
    "slice": "slice",
    "slices": "slice",
    "bunch": "bunch",
    "bunches": "bunch",
    "pot": "pot",
}
_SIZES = {"small", "medium", "large", "extra-large", "heaping", "level", "scant"}
_NUMBER = r"\d+(?:[.,]\d+)?(?:\s+\d+/\d+|/\d+)?"
_AMOUNT = re.compile(rf"^\s*(?P<low>{_NUMBER})(?:\s*(?:-|\u2013|to)\s*(?P<high>{_NUMBER}))?\s*")
# "1 (28 ounce) can", "1½ (5 g) teaspoons": the aside between amount and unit.
_ASIDE = re.compile(r"^\([^)]*\)\s*")
_WORD = re.compile(r"^(?P<word>[A-Za-z][A-Za-z-]*)\.?(?=[\s,(]|$)\s*")
_TEMPERATURE = re.compile(
    r"(?P<value>\d{2,3})\s*(?:°|º|˚|degrees?)?\s*(?P<scale>[FC])\b", re.IGNORECASE
)
_SERVINGS = re.compile(r"\d+")


@dataclass(frozen=True)
class Ingredient:
    """One line, read: ``quantity`` is None for a line without an amount (or a section)."""

    line: str
    quantity: Fraction | None = None
    high: Fraction | None = None
    unit: str | None = None
    food: str = ""
    note: str = ""
    section: bool = False
    rest: str = ""  # the line after the amount and unit, as written
    after_amount: str = ""  # the line after the amount, as written


def _number(text: str) -> Fraction:
    text = text.replace(",", ".")
    return sum((Fraction(part) for part in text.split()), Fraction(0))


def _plain(line: str) -> str:
    for glyph, fraction in _VULGAR.items():
        # "1½" is one and a half; "½" alone a half.
        line = re.sub(rf"(\d)\s*{glyph}", rf"\1 {fraction}", line)
        line = line.replace(glyph, fraction)
    return line


def is_section(line: str) -> bool:
    """A heading among the lines ("For the sauce:"), not something to buy."""
    text = line.strip()
    return text.endswith(":") and not text[:1].isdigit()


def parse(line: str) -> Ingredient:
    text = _plain(line.strip())
    if is_section(text):
        return Ingredient(line=line, section=True)
    match = _AMOUNT.match(text)
    if match is None:
        food, _, note = text.partition(",")
        return Ingredient(line=line, food=food.strip().lower(), note=note.strip(), rest=text)
    quantity = _number(match["low"])
    high = _number(match["high"]) if match["high"] else None
    after_amount = text[match.end() :]
    aside = _ASIDE.match(after_amount)
    rest = after = after_amount[aside.end() :] if aside else after_amount
    unit = None
    word = _WORD.match(rest)
    while word and word["word"].lower() in _SIZES:
        after = after[word.end() :]
        word = _WORD.match(after)
    if word and word["word"].lower() in _UNITS:
        unit = _UNITS[word["word"].lower()]
        rest = after[word.end() :]
        aside = _ASIDE.match(rest)  # "1 cup (135 g) raw cashews"
        rest = rest[aside.end() :] if aside else rest
    words = after if unit is None else rest
    if words.lower().startswith("of "):
        words = words[3:]
    name = re.split(r"\s*[,(]", words, maxsplit=1)[0]
    note = words[len(name) :].strip(" ,")
    return Ingredient(
        line=line,
        quantity=quantity,
        high=high,
        unit=unit,
        food=name.strip().lower(),
        note=note,
        rest=rest,
        after_amount=after_amount,
    )


def servings_number(servings: str) -> int | None:
    """The first number of a yield as written ("Serves 4", "4-6 servings"), if any."""
    match = _SERVINGS.search(servings)
    if match is None:
        return None
    number = int(match[0])
    return number if 0 < number <= 10_000 else None


# Each unit in millilitres or grams: the US customary and metric definitions (exact).
# pint agrees to the last digit (tests/recipes/test_ingredients.py); it is not loaded
# here because it costs a worker 7 MB and half a second (docs/decisions/0015).
_ML = {
    "teaspoon": 4.92892159375,
    "tablespoon": 14.78676478125,
    "cup": 236.5882365,
    "pint": 473.176473,
    "quart": 946.352946,
    "milliliter": 1.0,
    "liter": 1000.0,
}
_G = {"ounce": 28.349523125, "pound": 453.59237, "gram": 1.0, "kilogram": 1000.0}
FACTORS = {**_ML, **_G}


# Fractions a cook measures with: halves, thirds and quarters; eighths for teaspoons.
_NICE = [Fraction(n, d) for d in (2, 3, 4) for n in range(1, d)]
_FINE = [*_NICE, *(Fraction(n, 8) for n in (1, 3, 5, 7))]


def _fraction_text(value: float, fine: bool = False) -> str:
    whole = int(value)
    part = value - whole
    choices = [] if value >= 10 else _FINE if fine else _NICE
    best = min([Fraction(0), *choices, Fraction(1)], key=lambda f: abs(float(f) - part))
    if best == 1:
        whole, best = whole + 1, Fraction(0)
    if whole == 0 and best == 0:
        best = Fraction(1, 8)
    if best == 0:
        return str(whole)
    return f"{best}" if whole == 0 else f"{whole} {best}"


def _metric_text(value: float) -> str:
    if value >= 100:
        return str(round(value / 10) * 10)
    if value >= 20:
        return str(round(value / 5) * 5)
    if value >= 10:
        return str(round(value))
    # Half a millilitre or gram is as fine as a kitchen measures.
    return f"{max(round(value * 2) / 2, 0.5):g}"


_SHORT = {
    "cup": ("cup", "cups"),
    "tablespoon": ("tbsp", "tbsp"),
    "teaspoon": ("tsp", "tsp"),
    "ounce": ("oz", "oz"),
    "pound": ("lb", "lb"),
    "gram": ("g", "g"),
    "kilogram": ("kg", "kg"),
    "milliliter": ("ml", "ml"),
    "liter": ("l", "l"),
    "pint": ("pint", "pints"),
    "quart": ("quart", "quarts"),
}


def _convert(amount: float, unit: str, units: Units | None) -> tuple[float, str]:
    """The amount in the reader's units, in the unit a cook would use for it."""
    if units is None or unit not in FACTORS:
        return amount, unit
    volume = unit in _ML
    base = amount * FACTORS[unit]  # millilitres or grams
    if units == "metric":
        if volume:
            return (base / 1000, "liter") if base >= 1000 else (base, "milliliter")
        return (base / 1000, "kilogram") if base >= 1000 else (base, "gram")
    if volume:
        tsp = base / _ML["teaspoon"]
        if tsp >= 12:  # a quarter cup and more
            return tsp / 48, "cup"
        return (tsp / 3, "tablespoon") if tsp >= 3 else (tsp, "teaspoon")
    ounces = base / _G["ounce"]
    return (ounces / 16, "pound") if ounces >= 16 else (ounces, "ounce")


def _amount_text(amount: float, unit: str | None, fine: bool | None = None) -> str:
    if unit in {"gram", "kilogram", "milliliter", "liter"}:
        number = _metric_text(amount)
    else:
        number = _fraction_text(amount, fine=unit == "teaspoon" if fine is None else fine)
    if unit is None:
        return number
    short = _SHORT.get(unit)
    if short is None:
        return f"{number} {unit}"
    return f"{number} {short[0] if amount <= 1 else short[1]}"


def amount_text(amount: float, unit: str, units: Units) -> str:
    """An amount in ``units``, in the unit a cook would buy or measure it ("1 1/8 cups", "700 g").

    Eighths throughout, not only for teaspoons: a shopping list that rounds
    1 cup + 2 tbsp to "1 cup" leaves the cook short.
    """
    value, new_unit = _convert(amount, unit, units)
    if new_unit in ("kilogram", "liter") and value < 10:
        # 1.1 kg, not "1 kg": the half-unit rounding of a recipe's amounts is too coarse here.
        return f"{round(value, 1):g} {_SHORT[new_unit][0]}"
    return _amount_text(value, new_unit, fine=True)


def number_text(value: float) -> str:
    """A count as a cook says it: "2", "1 1/2", "1/8"."""
    return _fraction_text(value, fine=True)


def adjust_line(line: str, factor: float, units: Units | None) -> str:
    """The line for other servings or units; as written when it has no amount to change."""
    item = parse(line)
    if item.quantity is None or (factor == 1 and (units is None or item.unit is None)):
        return line
    unit = item.unit
    if unit is None or unit not in FACTORS:
        # A count, or a unit we do not convert: only the number changes, the words stay.
        number = _fraction_text(float(item.quantity) * factor)
        if item.high is not None:
            number += f"-{_fraction_text(float(item.high) * factor)}"
        return f"{number} {item.after_amount}".rstrip()
    low, new_unit = _convert(float(item.quantity) * factor, unit, units)
    text = _amount_text(low, new_unit)
    if item.high is not None:
        # In the low amount's unit: "2-3 tbsp" a third is "2-3 tsp", not "2 tsp-1 tbsp".
        high = low * float(item.high / item.quantity) if item.quantity else low
        number, _, words = text.partition(" ")
        text = f"{number}-{_amount_text(high, new_unit).partition(' ')[0]} {words}"
    return f"{text} {item.rest}".rstrip()


def _round_temperature(value: float, scale: str) -> int:
    step = 5 if scale == "C" or value < 250 else 25
    return int(round(value / step) * step)


def convert_temperatures(step: str, units: Units) -> str:
    """350°F in a step becomes 175°C for metric readers, and back for US ones."""

    def replace(match: re.Match[str]) -> str:
        value, scale = int(match["value"]), match["scale"].upper()
        if units == "metric" and scale == "F":
            return f"{_round_temperature((value - 32) * 5 / 9, 'C')}°C"
        if units == "us" and scale == "C":
            return f"{_round_temperature(value * 9 / 5 + 32, 'F')}°F"
        return match[0]

    return _TEMPERATURE.sub(replace, step)
