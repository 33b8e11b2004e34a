"""The answers of the ideas endpoints."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, RootModel

from recipe_api.ideas.client import Post
from recipe_api.ideas.service import SourceResult, SourceStatus


class TutorialIdeas(RootModel[dict[str, list[str]]]):
    """Per subreddit, in the configured order: ``"<score>: <title> (<url>)"`` lines."""


class IdeasFailure(BaseModel):
    detail: str = Field(description="Every source's error, in one sentence each")
    errors: dict[str, str] = Field(description="The error of each source, by subreddit")


class IdeaPost(BaseModel):
    title: str
    score: int
    url: str = Field(description="What the post links to (the post itself for text posts)")
    permalink: str = Field(description="The post's page on reddit")
    author: str
    num_comments: int
    created_utc: datetime
    thumbnail: str | None = Field(description="An image URL; null when reddit has none")

    @classmethod
    def from_post(cls, post: Post) -> IdeaPost:
        return cls(
            title=post.title,
            score=post.score,
            url=post.url,
            permalink=post.permalink,
            author=post.author,
            num_comments=post.num_comments,
            created_utc=datetime.fromtimestamp(post.created_utc, UTC),
            thumbnail=post.thumbnail,
        )


class IdeaSource(BaseModel):
    name: str
    status: SourceStatus = Field(
        description="ok: fresh or cached within the TTL; stale: reddit failed, an older copy is "
        "served; error: reddit failed and there is no copy"
    )
    error: str | None = Field(description="Why reddit failed (stale and error)")
    fetched_at: datetime | None = Field(description="When the posts came from reddit")
    from_cache: bool
    posts: list[IdeaPost]

    @classmethod
    def from_result(cls, result: SourceResult) -> IdeaSource:
        fetched_at = result.fetched_at
        return cls(
            name=result.subreddit,
            status=result.status,
            error=result.error,
            fetched_at=datetime.fromtimestamp(fetched_at, UTC) if fetched_at else None,
            from_cache=result.from_cache,
            posts=[IdeaPost.from_post(post) for post in result.posts],
        )


class IdeasOut(BaseModel):
    sources: list[IdeaSource]
