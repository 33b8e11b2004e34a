"""The app factory. The lifespan owns every shared resource and closes it on shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from recipe_api import __version__, health, index, observability
from recipe_api.auth.router import router as auth_router
from recipe_api.auth.security import Passwords, Tokens, load_secret_key
from recipe_api.auth.service import PASSWORD_RESET, AccountMail, password_reset_composer
from recipe_api.auth.throttle import (
    Limit,
    LoginThrottle,
    ResetThrottle,
    SignupThrottle,
    attempt_counter,
)
from recipe_api.db.engine import Database
from recipe_api.db.prune import PruneOptions, Pruner
from recipe_api.email.outbox import OutboxSender, SenderOptions, message_domain
from recipe_api.email.sender import transport_from_settings
from recipe_api.favourites.router import router as favourites_router
from recipe_api.ideas.router import router as ideas_router
from recipe_api.ideas.service import open_ideas
from recipe_api.mealplan.router import router as meal_plan_router
from recipe_api.methods import HttpMethodsMiddleware
from recipe_api.middleware import BodyLimitMiddleware, EdgeMiddleware, GZipWhenAccepted
from recipe_api.recipes.cache import VersionedCache
from recipe_api.recipes.importer import open_importer
from recipe_api.recipes.router import add_hot_reads
from recipe_api.recipes.router import router as recipes_router
from recipe_api.settings import Settings, get_settings
from recipe_api.shopping.router import router as shopping_router
from recipe_api.web.errors import server_error_page
from recipe_api.web.site import add_csrf, add_website

# The posts that may carry a whole page's HTML (an import from the cook's browser).
IMPORT_PAGE_PATHS = (
    "/api/v1/recipes/import",
    "/my-recipes/import",
    "/my-recipes/import/page",
    "/my-recipes/import/page/read",
)

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)


def _throttles(
    settings: Settings, redis: aioredis.Redis | None
) -> tuple[LoginThrottle, SignupThrottle, ResetThrottle]:
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
    reset_window = settings.reset_window_seconds
    reset = ResetThrottle(
        counter,
        per_email=Limit(settings.reset_max_per_email, reset_window),
        per_client=Limit(settings.reset_max_per_client, reset_window),
    )
    return login, signup, reset


def _open_outbox(settings: Settings, db: Database) -> tuple[AccountMail, OutboxSender]:
    """The account emails' settings and this worker's sender, which they nudge."""
    mail = AccountMail(
        base_url=settings.public_base_url,
        verify_lifetime=timedelta(hours=settings.verify_token_hours),
        reset_lifetime=timedelta(minutes=settings.reset_token_minutes),
    )
    sender = OutboxSender(
        db,
        transport_from_settings(settings),
        sender=settings.email_from,
        options=SenderOptions.from_settings(settings),
        composers={PASSWORD_RESET: password_reset_composer(mail)},
        domain=message_domain(settings.public_base_url),
    )
    return replace(mail, notify=sender.wake), sender


async def _openapi_document(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


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
            # Answers built from many recipes (home page, search), by recipes version.
            app.state.recipe_answers = VersionedCache(settings.answer_cache_mb * 1024 * 1024)
            app.state.redis = redis
            app.state.tokens = tokens
            app.state.passwords = Passwords.from_settings(settings)
            (
                app.state.login_throttle,
                app.state.signup_throttle,
                app.state.reset_throttle,
            ) = _throttles(settings, redis)
            app.state.account_mail, app.state.outbox_sender = _open_outbox(settings, db)
            if settings.outbox_sender:
                app.state.outbox_sender.start()
                stack.push_async_callback(app.state.outbox_sender.stop)
            app.state.pruner = Pruner(db, PruneOptions.from_settings(settings))
            if settings.prune_in_workers:
                app.state.pruner.start()
                stack.push_async_callback(app.state.pruner.stop)
            app.state.ideas = await stack.enter_async_context(open_ideas(settings, redis))
            app.state.importer = await stack.enter_async_context(
                open_importer(
                    allow_networks=settings.import_allow_networks,
                    max_bytes=settings.import_max_bytes,
                    time_limit=settings.import_timeout_seconds,
                    user_agent=f"recipe-api/{__version__} (recipe import)",
                    parse_seconds=settings.import_parse_seconds,
                    parse_memory_mb=settings.import_parse_memory_mb,
                    max_concurrent=settings.import_max_concurrent,
                    counter=attempt_counter(redis, prefix="recipe-api:attempts"),
                    per_cook=Limit(settings.import_max_per_cook, settings.import_window_seconds),
                )
            )
            log.info("Recipe API ready on %s", db.backend)
            yield

    app = FastAPI(
        title="Recipe API",
        version=__version__,
        description="Cooking recipes, their submitters, and recipe ideas from reddit.",
        lifespan=lifespan,
        # Served by the website from installed assets (see web/docs.py), not a CDN.
        docs_url=None,
        redoc_url=None,
    )

    # Routes are matched in order: the hottest go first. No path of one router
    # matches another's (/recipes/ideas/... has a slash that {recipe_id} cannot).
    add_hot_reads(app.router, "/api/v1")
    api_v1 = APIRouter(prefix="/api/v1")
    api_v1.include_router(recipes_router)
    api_v1.include_router(auth_router)
    api_v1.include_router(favourites_router)
    api_v1.include_router(meal_plan_router)
    api_v1.include_router(shopping_router)
    api_v1.include_router(index.router)
    app.include_router(api_v1)
    # Also where the tutorial serves it (from its part 12 on): its clients look there.
    app.add_route("/api/v1/openapi.json", _openapi_document, ["GET"], include_in_schema=False)
    app.include_router(ideas_router)
    app.include_router(health.router)
    # The website's handlers answer errors for both faces: an HTML page for a browser,
    # JSON ``detail`` for the rest (DatabaseUnavailableError, an AppError 503, included).
    add_website(app)

    # Middleware, outermost first (the last added is the outermost):
    #   EdgeMiddleware             request id, X-Process-Time, security headers, metrics and
    #                              the access log on every answer; what escapes becomes a 500
    #   CORSMiddleware             when configured: preflights answered before OPTIONS below
    #   HttpMethodsMiddleware      HEAD as GET, OPTIONS 204, a full Allow on every 405
    #   BodyLimitMiddleware        413 before any body is read...
    #   CsrfMiddleware             ...since the CSRF check reads a whole form body (web/site.py)
    #   GZipWhenAccepted           innermost: compresses what the app answered
    # Level 5: nearly level 9's ratio on JSON at a fraction of its CPU.
    app.add_middleware(GZipWhenAccepted, minimum_size=1000, compresslevel=5)
    add_csrf(app, settings, secret=tokens.secret_key)
    # A pasted page may be IMPORT_MAX_BYTES of HTML, which JSON or a form encodes
    # in up to three times as many bytes ("<" is %3C); the HTML itself is then
    # held to IMPORT_MAX_BYTES.
    page_body = max(settings.max_body_bytes, 3 * settings.import_max_bytes + 64 * 1024)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger=dict.fromkeys(IMPORT_PAGE_PATHS, page_body),
    )
    app.add_middleware(HttpMethodsMiddleware, routes=app.router.routes)
    if settings.cors_origins:
        # For a separate frontend: bearer tokens in a header, so no credentials.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["X-Process-Time", "Retry-After", "ETag"],
        )
    recorder = observability.install(app, settings)
    app.add_middleware(
        EdgeMiddleware,
        recorder=recorder,
        html_error_page=server_error_page(),
        hsts=settings.environment == "production",
    )
    return app
