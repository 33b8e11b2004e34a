"""The answers of the ideas endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, RootModel

from recipe_api.ideas.service import SourceStatus


class TutorialIdeas(RootModel[dict[str, list[str]]]):
    """Per subreddit, in the configured order: ``"<score>: <title> (<url>)"`` lines."""


class IdeasFailure(BaseModel):
    detail: str = Field(description="Every source's error, in one sentence each")
    errors: dict[str, str] = Field(description="The error of each source, by subreddit")


class IdeaPost(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from the client's Post

    title: str
    score: int
    url: str = Field(description="What the post links to (the post itself for text posts)")
    permalink: str = Field(description="The post's page on reddit")
    author: str
    num_comments: int
    created_utc: datetime
    thumbnail: str | None = Field(description="An image URL; null when reddit has none")


class IdeaSource(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from the service's SourceResult

    name: str
    status: SourceStatus = Field(
        description="ok: fresh or cached within the TTL; stale: reddit failed, an older copy is "
        "served; error: reddit failed and there is no copy"
    )
    error: str | None = Field(description="Why reddit failed (stale and error)")
    fetched_at: datetime | None = Field(description="When the posts came from reddit")
    from_cache: bool
    posts: list[IdeaPost]


class IdeasOut(BaseModel):
    sources: list[IdeaSource]
