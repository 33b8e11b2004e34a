"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from recipe_api.db.engine import DatabaseDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "A dependency cannot be reached"}})
async def ready(request: Request, db: DatabaseDep) -> JSONResponse:
    checks: dict[str, str] = {}
    problems: list[str] = []
    try:
        await db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("Readiness: database unreachable: %s", exc)
        checks["database"] = "unreachable"
        problems.append(f"database unreachable ({type(exc).__name__})")
    redis = request.app.state.redis
    if redis is not None:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            log.warning("Readiness: redis unreachable: %s", exc)
            checks["redis"] = "unreachable"
            problems.append(f"redis unreachable ({type(exc).__name__})")
    if problems:
        return JSONResponse({"detail": "; ".join(problems), "checks": checks}, status_code=503)
    return JSONResponse({"status": "ok", "checks": checks})
