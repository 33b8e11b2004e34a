"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from recipe_api.db.dependencies import DatabaseDep
from recipe_api.db.engine import Database
from recipe_api.db.migrate import database_revision, script_head
from recipe_api.state import request_state

log = logging.getLogger(__name__)

router = APIRouter(prefix="/health", tags=["health"])


class Live(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    checks: dict[str, str]


class NotReady(BaseModel):
    detail: str
    checks: dict[str, str]


class NotMigratedError(Exception):
    pass


@router.get("/live", response_model=Live)
async def live() -> dict[str, str]:
    return {"status": "ok"}


async def _database_at_head(db: Database) -> None:
    """Reachable and migrated to the head of this code's migrations."""
    try:
        revision = await db.read(database_revision)
    except Exception:
        # Tell "not there" from "never migrated": ping only on this rare path.
        await db.ping()
        raise NotMigratedError("no migration applied") from None
    head = script_head()
    if revision != head:
        raise NotMigratedError(f"at revision {revision or 'base'}, this code needs {head}")


@router.get(
    "/ready",
    response_model=Ready,
    responses={503: {"model": NotReady, "description": "A dependency is unreachable or unready"}},
)
async def ready(request: Request, db: DatabaseDep) -> JSONResponse:
    async def database() -> None:
        await _database_at_head(db)

    probes: dict[str, Callable[[], Awaitable[object]]] = {"database": database}
    redis = request_state(request).redis
    if redis is not None:
        probes["redis"] = redis.ping
    checks: dict[str, str] = {}
    problems: list[str] = []
    for name, probe in probes.items():
        try:
            await probe()
            checks[name] = "ok"
        except NotMigratedError as exc:
            checks[name] = "not migrated"
            problems.append(f"{name} not migrated ({exc}): run `recipe-api db upgrade`")
        except Exception as exc:
            # The reason names the dependency, never its address or credentials.
            log.warning("Readiness: %s unreachable: %s", name, exc)
            checks[name] = "unreachable"
            problems.append(f"{name} unreachable ({type(exc).__name__})")
    if problems:
        return JSONResponse({"detail": "; ".join(problems), "checks": checks}, status_code=503)
    return JSONResponse({"status": "ok", "checks": checks})
