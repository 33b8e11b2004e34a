"""The example data: a superuser and the three recipes of the original tutorial.

Idempotent: what exists (matched by email, and by recipe URL) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from recipe_api.recipes.models import recipe_table
from recipe_api.users.repository import add_user, get_user_by_email

RECIPES = [
    {
        "label": "Chicken Vesuvio",
        "source": "Serious Eats",
        "url": "http://www.seriouseats.com/recipes/2011/12/chicken-vesuvio-recipe.html",
    },
    {
        "label": "Chicken Paprikash",
        "source": "No Recipes",
        "url": "http://norecipes.com/recipe/chicken-paprikash/",
    },
    {
        "label": "Cauliflower and Tofu Curry Recipe",
        "source": "Serious Eats",
        "url": "http://www.seriouseats.com/recipes/2011/02/cauliflower-and-tofu-curry-recipe.html",
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
    known = set(
        connection.execute(select(recipe_table.c.url).where(recipe_table.c.url.in_(urls)))
        .scalars()
        .all()
    )
    new = [recipe for recipe in RECIPES if recipe["url"] not in known]
    if new:
        connection.execute(
            insert(recipe_table), [{**recipe, "submitter_id": superuser["id"]} for recipe in new]
        )
    return SeedReport(superuser_created=created, recipes_created=len(new))
