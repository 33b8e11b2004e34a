"""Recipe ideas as a page: the same fan-out as ``/api/v1/ideas``, every source's state shown."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from recipe_api.ideas.dependencies import IdeasDep
from recipe_api.ideas.schemas import IdeaSource
from recipe_api.web.sessions import WebUser
from recipe_api.web.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/ideas", response_class=HTMLResponse)
async def ideas_page(request: Request, ideas: IdeasDep, user: WebUser) -> HTMLResponse:
    started = time.perf_counter()
    results = await ideas.top_posts()
    elapsed = time.perf_counter() - started
    sources = [IdeaSource.from_result(result) for result in results]
    now = time.time()
    return page(
        request,
        "ideas.html",
        sources=sources,
        ages={s.name: now - s.fetched_at.timestamp() for s in sources if s.fetched_at},
        elapsed_ms=elapsed * 1000,
        all_failed=all(source.status == "error" for source in sources),
    )
