"""What the API says about a recipe's photo."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PhotoSize(BaseModel):
    width: int
    height: int
    url: str = Field(description="Same-origin path; the content hash in it never changes")


class PhotoOut(BaseModel):
    """A recipe's photo: one WebP per width, for an ``<img srcset>``.

    A recipe without a photo has one with no ``url`` and no ``sizes``.
    """

    recipe_id: int
    url: str | None = Field(description="The largest size; null: the recipe has no photo")
    width: int | None = None
    height: int | None = None
    srcset: str = Field(default="", description="Ready for an <img srcset> attribute")
    sizes: list[PhotoSize] = []
