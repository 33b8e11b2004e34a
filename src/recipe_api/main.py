"""The app factory. The lifespan owns every shared resource and closes it on shutdown."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from recipe_api import __version__, health, observability
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
from recipe_api.http import api_index
from recipe_api.http.errors import add_json_error_handlers
from recipe_api.http.methods import HttpMethodsMiddleware
from recipe_api.http.middleware import BodyLimitMiddleware, EdgeMiddleware, GZipWhenAccepted
from recipe_api.http.routing import include_flat
from recipe_api.ideas.router import router as ideas_router
from recipe_api.ideas.service import open_ideas
from recipe_api.mealplan.router import router as meal_plan_router
from recipe_api.media.router import files as photo_files
from recipe_api.media.router import router as photos_router
from recipe_api.media.service import limits_from_settings
from recipe_api.recipes.cache import VersionedCache
from recipe_api.recipes.importer import open_importer
from recipe_api.recipes.imports.router import router as imports_router
from recipe_api.recipes.imports.runner import ImportRunner, RunnerOptions
from recipe_api.recipes.imports.service import close_encoders
from recipe_api.recipes.router import hot_router as recipes_hot_router
from recipe_api.recipes.router import router as recipes_router
from recipe_api.recipes.service import cursor_key
from recipe_api.settings import Settings, get_settings
from recipe_api.shopping.router import router as shopping_router
from recipe_api.state import AppState, install_state
from recipe_api.tasks import prune_tasks

# The posts that may carry a whole page's HTML (an import from the cook's browser).
IMPORT_PAGE_PATHS = (
    "/api/v1/recipes/import",
    "/my-recipes/import",
    "/my-recipes/import/page",
    "/my-recipes/import/page/read",
)
# The posts that carry another app's export.
IMPORT_UPLOAD_PATHS = ("/api/v1/recipes/imports/", "/my-recipes/import/archive")
# The posts that may carry a photo: the API's upload and the website's recipe forms.
PHOTO_PATHS = re.compile(r"/api/v1/recipes/[^/]+/photo|/my-recipes/new|/recipes/[^/]+/edit")

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


def create_app(settings: Settings | None = None, *, website: bool = True) -> FastAPI:
    """The app: the API, and unless ``website=False`` the website beside it.

    Without the website nothing of ``recipe_api.web`` is imported: the API
    answers its errors as JSON (``http/errors.py``).
    """
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
            login_throttle, signup_throttle, reset_throttle = _throttles(settings, redis)
            account_mail, outbox_sender = _open_outbox(settings, db)
            if settings.outbox_sender:
                outbox_sender.start()
                stack.push_async_callback(outbox_sender.stop)
            pruner = Pruner(
                db,
                prune_tasks(
                    sent_email_days=settings.prune_sent_email_days,
                    import_job_days=settings.import_job_keep_days,
                ),
                PruneOptions.from_settings(settings),
            )
            if settings.prune_in_workers:
                pruner.start()
                stack.push_async_callback(pruner.stop)
            import_runner = ImportRunner(db, RunnerOptions.from_settings(settings))
            # The photo encoders' process (started by an import's first photo) ends
            # with the app, after the runner that feeds it.
            stack.callback(close_encoders)
            if settings.import_jobs_in_workers:
                import_runner.start()
                stack.push_async_callback(import_runner.stop)
            ideas = await stack.enter_async_context(open_ideas(settings, redis))
            importer = await stack.enter_async_context(
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
            if db.searches is not None:
                # Not by the first search; db.aclose ends it.
                db.searches.start_soon("recipe_api.recipes.search.service")
            install_state(
                app,
                AppState(
                    settings=settings,
                    db=db,
                    recipe_answers=VersionedCache(settings.answer_cache_mb * 1024 * 1024),
                    photo_limits=limits_from_settings(settings),
                    redis=redis,
                    tokens=tokens,
                    cursor_key=cursor_key(tokens.secret_key),
                    passwords=Passwords.from_settings(settings),
                    login_throttle=login_throttle,
                    signup_throttle=signup_throttle,
                    reset_throttle=reset_throttle,
                    account_mail=account_mail,
                    outbox_sender=outbox_sender,
                    pruner=pruner,
                    ideas=ideas,
                    importer=importer,
                    import_runner=import_runner,
                ),
            )
            log.info("Recipe API ready on %s", db.backend)
            # What the app holds for its life (modules, routes, compiled statements)
            # is left out of the collector's full passes: one ran 274 ms with an
            # import under way, holding the GIL and so the event loop (decision 0027).
            gc.freeze()
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

    # Routes are matched in order: the hottest go first, flat on the app's own router
    # (see routing.py). No path of one router matches another's (/recipes/ideas/... has
    # a slash that {recipe_id} cannot).
    include_flat(app.router, recipes_hot_router, "/api/v1")
    if website:
        from recipe_api.web.pages import hot_router as pages_hot_router

        include_flat(app.router, pages_hot_router)
    api_v1 = APIRouter(prefix="/api/v1")
    api_v1.include_router(imports_router)
    api_v1.include_router(recipes_router)
    api_v1.include_router(photos_router)
    api_v1.include_router(auth_router)
    api_v1.include_router(favourites_router)
    api_v1.include_router(meal_plan_router)
    api_v1.include_router(shopping_router)
    api_v1.include_router(api_index.router)
    app.include_router(api_v1)
    # Also where the tutorial serves it (from its part 12 on): its clients look there.
    app.add_route("/api/v1/openapi.json", _openapi_document, ["GET"], include_in_schema=False)
    app.include_router(ideas_router)
    app.include_router(health.router)
    # JSON ``detail`` for every error (DatabaseUnavailableError, an AppError 503, included);
    # the website replaces these with its own, which answer a browser with a page.
    add_json_error_handlers(app)
    app.include_router(photo_files)
    html_error_page: bytes | None = None
    if website:
        from recipe_api.web.errors import server_error_page
        from recipe_api.web.site import add_website

        add_website(app)
        html_error_page = server_error_page()

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
    if website:
        from recipe_api.web.site import add_csrf

        add_csrf(app, settings, secret=tokens.secret_key)
    # A pasted page may be IMPORT_MAX_BYTES of HTML, which JSON or a form encodes
    # in up to three times as many bytes ("<" is %3C); the HTML itself is then
    # held to IMPORT_MAX_BYTES.
    page_body = max(settings.max_body_bytes, 3 * settings.import_max_bytes + 64 * 1024)
    # An export upload: the file and the multipart form around it.
    upload_body = max(
        settings.max_body_bytes, settings.import_upload_max_mb * 1024 * 1024 + 64 * 1024
    )
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger={
            **dict.fromkeys(IMPORT_PAGE_PATHS, page_body),
            **dict.fromkeys(IMPORT_UPLOAD_PATHS, upload_body),
        },
        # A photo of PHOTO_MAX_MB with the form's fields and multipart framing around it.
        larger_matching=[
            (PHOTO_PATHS, max(settings.max_body_bytes, (settings.photo_max_mb << 20) + (256 << 10)))
        ],
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
        html_error_page=html_error_page,
        hsts=settings.environment == "production",
    )
    return app


def create_api(settings: Settings | None = None) -> FastAPI:
    """The API without the website: ``uvicorn --factory recipe_api.main:create_api``."""
    return create_app(settings, website=False)
