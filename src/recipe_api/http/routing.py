"""One mechanism for the hottest routes: declared as usual, added to the app's own router.

FastAPI (0.165) keeps an included router as a nested router: a request is
matched at each level twice (``matches``, then ``handle``), which cost the
recipe read about 50 µs of CPU through ``/api/v1`` and ``/recipes``, more
than the read itself on SQLite (decision 0024). :func:`include_flat` adds a
router's routes to another router directly, as FastAPI's own
``include_router`` did before it nested: the routes are declared exactly as
every other route (decorators, dependencies, ``response_model``); only where
they are added differs. Any router can be included this way.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute


def include_flat(target: APIRouter, router: APIRouter, prefix: str = "") -> None:
    """Adds each of ``router``'s routes to ``target`` itself, under ``prefix``.

    The routes keep everything they were declared with (their router's prefix,
    tags and responses are already merged into each route).
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"only API routes can be included flat, not {route!r}")
        target.add_api_route(
            prefix + route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
        )
