"""The app factory. The lifespan owns every shared resource and closes it on shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from recipe_api import __version__, health, index, observability
from recipe_api.auth.router import router as auth_router
from recipe_api.auth.security import Passwords, Tokens, load_secret_key
from recipe_api.auth.throttle import Limit, LoginThrottle, SignupThrottle, attempt_counter
from recipe_api.db.engine import Database
from recipe_api.errors import AppError
from recipe_api.ideas.router import router as ideas_router
from recipe_api.ideas.service import open_ideas
from recipe_api.methods import HttpMethodsMiddleware
from recipe_api.middleware import BodyLimitMiddleware, GZipWhenAccepted, ProcessTimeMiddleware
from recipe_api.recipes.router import router as recipes_router
from recipe_api.settings import Settings, get_settings
from recipe_api.validation import validation_error_handler
from recipe_api.web.router import STATIC_DIR
from recipe_api.web.router import router as web_router

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)


async def _app_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _throttles(
    settings: Settings, redis: aioredis.Redis | None
) -> tuple[LoginThrottle, SignupThrottle]:
    counter = attempt_counter(redis, prefix="recipe-api:attempts")
    window = settings.login_window_seconds
    login = LoginThrottle(
        counter,
        per_email=Limit(settings.login_max_failures, window),
        per_client=Limit(settings.login_max_failures_per_client, window),
    )
    signup = SignupThrottle(
        counter,
        per_client=Limit(settings.signup_max_per_client, settings.signup_window_seconds),
    )
    return login, signup


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    tokens = Tokens(secret_key=load_secret_key(settings), lifetime=lifetime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            observability.worker_started()
            stack.callback(observability.worker_stopping)
            db = Database.from_settings(settings)
            stack.push_async_callback(db.aclose)
            redis: aioredis.Redis | None = None
            if settings.redis_url:
                # Imported only when used: Redis costs a worker ~6 MB.
                from redis.asyncio import from_url

                redis = from_url(settings.redis_url)
                stack.push_async_callback(redis.aclose)
            app.state.settings = settings
            app.state.db = db
            app.state.redis = redis
            app.state.tokens = tokens
            app.state.passwords = Passwords.from_settings(settings)
            app.state.login_throttle, app.state.signup_throttle = _throttles(settings, redis)
            app.state.ideas = await stack.enter_async_context(open_ideas(settings, redis))
            log.info("Recipe API ready on %s", db.backend)
            yield

    app = FastAPI(
        title="Recipe API",
        version=__version__,
        description="Cooking recipes, their submitters, and recipe ideas from reddit.",
        lifespan=lifespan,
    )
    # Database.run raises DatabaseUnavailableError (an AppError, 503) for a lost database.
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    # Level 5: nearly level 9's ratio on JSON at a fraction of its CPU.
    app.add_middleware(GZipWhenAccepted, minimum_size=1000, compresslevel=5)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(HttpMethodsMiddleware, openapi=app.openapi)
    # Added after those, so outside them: the 413 answers carry X-Process-Time too
    # (and, from observability, a request id, a log line and a count).
    app.add_middleware(ProcessTimeMiddleware)
    observability.install(app, settings)

    # Routes are matched in order: the hottest go first. No path of one router
    # matches another's (/recipes/ideas/... has a slash that {recipe_id} cannot).
    api_v1 = APIRouter(prefix="/api/v1")
    api_v1.include_router(recipes_router)
    api_v1.include_router(auth_router)
    api_v1.include_router(index.router)
    app.include_router(api_v1)
    app.include_router(ideas_router)
    app.include_router(health.router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
