"""A recipe idea saved as a recipe: what an idea card posts, and the recipe made of it.

Nothing in the card is trusted beyond what a cook could have typed into the
add-recipe form: the recipe schema validates it like any other recipe.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from recipe_api.recipes.schemas import RecipeCreate, RecipeUrl
from recipe_api.schemas import Text

MAX_LABEL = 256
# reddit's own rule for a subreddit's name.
_SUBREDDIT = r"^[A-Za-z0-9_]{2,21}$"


def shorten(title: str, limit: int = MAX_LABEL) -> str:
    """A title that fits a recipe's name: cut at a word boundary, with an ellipsis."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1].rsplit(" ", 1)[0] or title[: limit - 1]
    return cut.rstrip(" ,;:-") + "…"


class IdeaCard(BaseModel):
    """What an idea card's form posts (the recipe's own rules are RecipeCreate's)."""

    title: Annotated[Text, StringConstraints(max_length=1000)]
    url: Annotated[Text, StringConstraints(strip_whitespace=True, max_length=4096)]
    permalink: RecipeUrl | None
    subreddit: Annotated[str, StringConstraints(strip_whitespace=True, pattern=_SUBREDDIT)]
    image_url: Annotated[Text, StringConstraints(strip_whitespace=True, max_length=4096)]

    @classmethod
    def from_form(cls, values: dict[str, str]) -> IdeaCard:
        return cls.model_validate({**values, "permalink": values["permalink"].strip() or None})


def recipe_from_idea(card: IdeaCard) -> RecipeCreate:
    """The recipe an idea card posted: its title, link, subreddit and picture.

    The name is the post's title (shortened to fit; the whole title then goes
    in the description), the web address what the post links to, the source
    ``r/<subreddit>``, and the photo the post's thumbnail. The post's page on
    reddit, where a recipe's text often is (in the post or its comments), is
    named in the description when the post links elsewhere. It starts private.
    """
    title = " ".join(card.title.split())
    label = shorten(title)
    url = card.url or None
    notes = [title] if label != title else []
    if card.permalink is not None and str(card.permalink) != url:
        notes.append(f"Discussion on reddit: {card.permalink}")
    return RecipeCreate.model_validate(
        {
            "label": label,
            "url": url,
            "source": f"r/{card.subreddit}",
            "image_url": card.image_url or None,
            "description": "\n\n".join(notes),
            # Kept to the cook until they have made it a recipe and share it.
            "private": True,
        }
    )
