"""What the API says about a recipe's photo."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PhotoSize(BaseModel):
    width: int
    height: int
    url: str = Field(description="Same-origin path; the content hash in it never changes")


class PhotoOut(BaseModel):
    """A recipe's photo: one WebP per width, for an ``<img srcset>``."""

    recipe_id: int
    url: str = Field(description="The largest size")
    width: int
    height: int
    srcset: str = Field(description="Ready for an <img srcset> attribute")
    sizes: list[PhotoSize]
