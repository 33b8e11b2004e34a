"""The app's state, typed: what the lifespan opens, and the accessors routes read it through.

``create_app``'s lifespan builds one ``AppState`` and installs it with
``install_state``. Dependencies then ask ``request_state(request).db`` rather
than ``request.app.state.db``: a typo is a type error, not a 500.

``app.state`` stays Starlette's ``State``, sharing its storage with the
``AppState``: ``app.state.db`` and ``app_state(app).db`` are one attribute,
so a test that swaps ``app.state.passwords`` swaps what routes get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.datastructures import State

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from starlette.applications import Starlette
    from starlette.requests import Request

    from recipe_api.auth.security import Passwords, Tokens
    from recipe_api.auth.service import AccountMail
    from recipe_api.auth.throttle import LoginThrottle, ResetThrottle, SignupThrottle
    from recipe_api.db.engine import Database
    from recipe_api.db.prune import Pruner
    from recipe_api.email.outbox import OutboxSender
    from recipe_api.ideas.service import IdeasService
    from recipe_api.media.images import PhotoLimits
    from recipe_api.recipes.cache import VersionedCache
    from recipe_api.recipes.importer import Importer
    from recipe_api.recipes.imports.runner import ImportRunner
    from recipe_api.settings import Settings


@dataclass
class AppState:
    settings: Settings
    db: Database
    # Answers built from many recipes (home page, search), by recipes version.
    recipe_answers: VersionedCache
    # What a photo may be (bytes, pixels, how many a cook keeps).
    photo_limits: PhotoLimits
    redis: aioredis.Redis | None
    tokens: Tokens
    # The key list cursors are signed with, made once from the tokens' secret.
    cursor_key: bytes
    passwords: Passwords
    login_throttle: LoginThrottle
    signup_throttle: SignupThrottle
    reset_throttle: ResetThrottle
    account_mail: AccountMail
    outbox_sender: OutboxSender
    pruner: Pruner
    ideas: IdeasService
    importer: Importer
    import_runner: ImportRunner


class _TypedState(State):
    """Starlette's ``State`` over an ``AppState``'s own attributes."""

    def __init__(self, typed: AppState) -> None:
        super().__init__(vars(typed))
        object.__setattr__(self, "typed", typed)


def install_state(app: Starlette, state: AppState) -> None:
    app.state = _TypedState(state)


def app_state(app: Starlette) -> AppState:
    state = app.state
    if not isinstance(state, _TypedState):
        raise RuntimeError("The app's state is set by its lifespan, which has not started")
    typed: AppState = object.__getattribute__(state, "typed")
    return typed


def request_state(request: Request) -> AppState:
    return app_state(request.app)
