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

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.routing import APIRoute
from fastapi.telemetry import get_telemetry_data
from pydantic import BaseModel, ValidationError, create_model
from starlette.requests import Request
from starlette.responses import Response


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
            route_class_override=type(route),
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


class QueryRoute(APIRoute):
    """A route whose parameters are all in the query string: checked in one call when valid.

    FastAPI checks a request's parameters one at a time, each with a walk of
    its annotation (is it a sequence? a model?), inside a handler that also
    reads the body and solves the dependencies: about 50 µs of CPU for the
    search's six parameters at each request, as much as its three statements
    (decision 0032). Here the route's own parameters, as FastAPI read them
    from the declaration (annotation, default and constraints), become one
    pydantic model, validated in one call. A query string it accepts calls
    the endpoint with the values FastAPI would have passed; one it refuses
    goes through FastAPI's handler, which answers its own 422. The OpenAPI
    document is FastAPI's, from the same declaration.

    Only for a route with nothing but query parameters (and the ``Request``)
    and an endpoint that returns a ``Response``; any other route is served
    by FastAPI's handler, as by ``APIRoute``.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        parameters = _query_model(self)
        if parameters is None:
            return handler
        endpoint = self.endpoint
        request_name = self.dependant.request_param_name
        assert request_name is not None
        validate = parameters.__pydantic_validator__.validate_python

        async def checked_once(request: Request) -> Response:
            try:
                values = validate(dict(request.query_params)).__dict__
            except ValidationError:
                return await handler(request)  # FastAPI's own 422
            if get_telemetry_data() is not None:  # pragma: no cover - not used here
                return await handler(request)
            response: Response = await endpoint(**values, **{request_name: request})
            return response

        return checked_once


def _query_model(route: APIRoute) -> type[BaseModel] | None:
    """The route's query parameters as one model; None when the route has anything else."""
    dependant = route.dependant
    others = (
        dependant.path_params,
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
        dependant.dependencies,
    )
    if any(others) or dependant.request_param_name is None:
        return None
    answers = get_typed_return_annotation(route.endpoint)
    if not inspect.iscoroutinefunction(route.endpoint) or not (
        isinstance(answers, type) and issubclass(answers, Response)
    ):
        return None
    fields: dict[str, Any] = {}
    for field in dependant.query_params:
        info = field.field_info
        if field.alias != field.name or info.validation_alias is not None:
            return None
        fields[field.name] = (info.annotation, info)
    return create_model(f"{route.name}_query", **fields)
