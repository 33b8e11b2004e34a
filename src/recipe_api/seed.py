"""The example data: a superuser and the three recipes of the original tutorial.

Idempotent: what exists (matched by email, and by recipe URL) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from recipe_api.recipes.models import recipe_table
from recipe_api.users.repository import add_user, get_user_by_email

RECIPES: list[dict[str, Any]] = [
    {
        "label": "Chicken Vesuvio",
        "source": "Serious Eats",
        "url": "http://www.seriouseats.com/recipes/2011/12/chicken-vesuvio-recipe.html",
        "description": "Chicago's roast chicken with potato wedges, garlic, white wine and peas.",
        "ingredients": [
            "1 whole chicken (about 4 pounds), cut into 8 pieces",
            "Kosher salt and freshly ground black pepper",
            "1/4 cup olive oil",
            "2 large russet potatoes, cut into wedges",
            "8 cloves garlic, peeled and smashed",
            "1 teaspoon dried oregano",
            "1 cup dry white wine",
            "1 cup chicken stock",
            "1 cup frozen peas, thawed",
            "2 tablespoons chopped fresh parsley",
        ],
        "instructions": [
            "Heat the oven to 425°F. Season the chicken all over with salt and pepper.",
            "Brown the chicken in the oil in a large oven-safe skillet, skin side down, "
            "about 6 minutes; set aside.",
            "Brown the potato wedges in the same pan, then add the garlic and oregano "
            "and cook until fragrant, 1 minute.",
            "Add the wine and stock, scrape up the browned bits, return the chicken skin "
            "side up and roast until cooked through, about 25 minutes.",
            "Stir in the peas, scatter with parsley and serve from the pan.",
        ],
        "tags": ["chicken", "italian-american", "one pan"],
        "servings": "4",
        "prep_minutes": 20,
        "cook_minutes": 45,
        "total_minutes": 65,
        "cuisine": "Italian-American",
        "category": "Main course",
    },
    {
        "label": "Chicken Paprikash",
        "source": "No Recipes",
        "url": "http://norecipes.com/recipe/chicken-paprikash/",
        "description": "Hungarian chicken braised in a sweet paprika and sour cream sauce.",
        "ingredients": [
            "6 chicken thighs, bone in",
            "Salt and pepper",
            "1 tablespoon butter",
            "1 large onion, finely chopped",
            "2 tablespoons sweet Hungarian paprika",
            "1 red bell pepper, sliced",
            "1 tomato, chopped",
            "1 cup chicken stock",
            "1/2 cup sour cream",
            "1 tablespoon flour",
        ],
        "instructions": [
            "Season the chicken and brown it in the butter, skin side down; set aside.",
            "Soften the onion in the fat, about 8 minutes, then stir in the paprika off the heat.",
            "Add the pepper, tomato and stock, return the chicken, cover and simmer "
            "for 30 minutes.",
            "Whisk the sour cream with the flour, stir it into the sauce and simmer until "
            "it thickens. Serve with noodles or dumplings.",
        ],
        "tags": ["chicken", "hungarian", "braise"],
        "servings": "4 to 6",
        "prep_minutes": 15,
        "cook_minutes": 50,
        "total_minutes": 65,
        "cuisine": "Hungarian",
        "category": "Main course",
    },
    {
        "label": "Cauliflower and Tofu Curry Recipe",
        "source": "Serious Eats",
        "url": "http://www.seriouseats.com/recipes/2011/02/cauliflower-and-tofu-curry-recipe.html",
        "description": "A weeknight vegetarian curry of roasted cauliflower and crisp tofu.",
        "ingredients": [
            "1 head cauliflower, cut into florets",
            "14 ounces firm tofu, pressed and cubed",
            "3 tablespoons vegetable oil",
            "1 onion, diced",
            "3 cloves garlic, minced",
            "1 tablespoon grated ginger",
            "2 tablespoons curry powder",
            "1 can (14 ounces) coconut milk",
            "1 cup canned crushed tomatoes",
            "Fresh cilantro and steamed rice, to serve",
        ],
        "instructions": [
            "Roast the cauliflower with 1 tablespoon of the oil at 450°F until browned, "
            "about 20 minutes.",
            "Fry the tofu in the remaining oil until crisp on all sides; set aside.",
            "Cook the onion, garlic and ginger until soft, then stir in the curry powder.",
            "Add the coconut milk and tomatoes and simmer for 10 minutes.",
            "Fold in the cauliflower and tofu, warm through, and serve over rice with cilantro.",
        ],
        "tags": ["vegetarian", "curry", "indian"],
        "servings": "4",
        "prep_minutes": 15,
        "cook_minutes": 35,
        "total_minutes": 50,
        "cuisine": "Indian",
        "category": "Main course",
    },
]


@dataclass
class SeedReport:
    superuser_created: bool
    recipes_created: int


def seed(
    connection: Connection, *, superuser_email: str, hashed_password: str | None
) -> SeedReport:
    superuser = get_user_by_email(connection, superuser_email)
    created = superuser is None
    if superuser is None:
        superuser = add_user(
            connection,
            email=superuser_email,
            first_name="Admin",
            surname="Recipe API",
            is_superuser=True,
            hashed_password=hashed_password,
        )
    urls = [recipe["url"] for recipe in RECIPES]
    known = dict(
        connection.execute(
            select(recipe_table.c.url, recipe_table.c.ingredients).where(
                recipe_table.c.url.in_(urls)
            )
        ).all()
    )
    new = [recipe for recipe in RECIPES if recipe["url"] not in known]
    if new:
        connection.execute(
            insert(recipe_table), [{**recipe, "submitter_id": superuser["id"]} for recipe in new]
        )
    # Seeded before recipes had details: they gain their ingredients and steps.
    for recipe in RECIPES:
        if recipe["url"] in known and not known[recipe["url"]]:
            details = {k: v for k, v in recipe.items() if k not in {"label", "source", "url"}}
            # A new revision, as every write to a recipe: a form opened before is not saved over it.
            changed = {**details, "revision": recipe_table.c.revision + 1}
            connection.execute(
                update(recipe_table).where(recipe_table.c.url == recipe["url"]).values(**changed)
            )
    return SeedReport(superuser_created=created, recipes_created=len(new))
