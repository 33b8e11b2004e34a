"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

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
    probes: dict[str, Callable[[], Awaitable[object]]] = {"database": db.ping}
    if request.app.state.redis is not None:
        probes["redis"] = request.app.state.redis.ping
    checks: dict[str, str] = {}
    problems: list[str] = []
    for name, probe in probes.items():
        try:
            await probe()
            checks[name] = "ok"
        except Exception as exc:
            # The reason names the dependency, never its address or credentials.
            log.warning("Readiness: %s unreachable: %s", name, exc)
            checks[name] = "unreachable"
            problems.append(f"{name} unreachable ({type(exc).__name__})")
    if problems:
        return JSONResponse({"detail": "; ".join(problems), "checks": checks}, status_code=503)
    return JSONResponse({"status": "ok", "checks": checks})
