"""One mechanism for the hottest routes: declared as usual, added to the app's own router.

FastAPI (0.165) keeps an included router as a nested router: a request is
matched at each level twice (``matches``, then ``handle``), which cost the
recipe read about 50 µs of CPU through ``/api/v1`` and ``/recipes``, more
than the read itself on SQLite (decision 0024). :func:`include_flat` adds a
router's routes to another router directly, as FastAPI's own
``include_router`` did before it nested: the routes are declared exactly as
every other route (decorators, dependencies, ``response_model``); only where
they are added differs. Any router can be included this way; each route
keeps its class.

:class:`QuickRoute` is the route class of those hottest routes. Once the
database answers in one prepared round trip, FastAPI's own handling of a
request (``solve_dependencies``, the query parameters' validation, its exit
stacks and telemetry hooks) was most of the CPU between the driver's round
trips (decision 0031). For an endpoint FastAPI would only hand its path
parameters, its optional query parameters and the ``Request``, and that
returns a ``Response`` itself, a request without a query string whose path
parameters validate is served by calling the endpoint directly: the path
parameters validated by FastAPI's own fields, the query parameters at their
defaults, the response sent as FastAPI would send it (no serialisation: the
endpoint made the bytes), the app's exception handlers applied as Starlette
applies them. Anything else (a query string, a path parameter that does not
validate, an endpoint with dependencies, headers, cookies, a body,
``BackgroundTasks``) goes to FastAPI's handler, so every error answer (the
422 of a bad id above all) is FastAPI's own.

What it gives up, knowingly:

- it relies on FastAPI internals (``APIRoute.dependant``, ``ModelField``'s
  ``validate`` and ``default``) and on Starlette's
  ``wrap_app_handling_exceptions``, which are not public API: a FastAPI
  upgrade must run ``tests/recipes/test_quick_route.py``, which compares the
  quick path's answers with FastAPI's byte for byte;
- a quick request skips what FastAPI records inside its handler: the
  OpenTelemetry ``TelemetryData`` and ``fastapi.dependencies`` span of
  ``fastapi.telemetry``, the ``fastapi_inner_astack`` and
  ``fastapi_function_astack`` of the scope. Our middleware (request id,
  metrics, the access log) is ASGI middleware around the router and sees
  every request as before; the route is still matched by the router, so
  ``scope["route"]`` (the metrics' route label) is set as for any route.

:class:`QuickRoute` extends :class:`QueryRoute`: a request with a query string
to a route whose parameters are all in the query string (the search) has them
checked in one pydantic call and, when they are valid, the endpoint called
with them; any it refuses goes to FastAPI's handler (decision 0032).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from copy import deepcopy
from typing import Any, get_type_hints

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.telemetry import get_telemetry_data
from pydantic import BaseModel, ValidationError, create_model
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send


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
    if dependant.path_params or dependant.request_param_name is None or not _called_plainly(route):
        return None
    fields: dict[str, Any] = {}
    for field in dependant.query_params:
        info = field.field_info
        if field.alias != field.name or info.validation_alias is not None:
            return None
        fields[field.name] = (info.annotation, info)
    return create_model(f"{route.name}_query", **fields)


_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset)


class _QuickPlan:
    """How to call one endpoint without FastAPI's handler, worked out once per route."""

    __slots__ = ("defaults", "endpoint", "mutable_defaults", "path_fields", "request_name")

    def __init__(self, dependant: Dependant, endpoint: Callable[..., Any]) -> None:
        self.endpoint: Callable[..., Coroutine[Any, Any, Response]] = endpoint
        self.request_name = dependant.request_param_name
        self.path_fields = [
            (field.name, field.alias, field, ("path", field.alias))
            for field in dependant.path_params
        ]
        self.defaults: dict[str, Any] = {}
        self.mutable_defaults: dict[str, Any] = {}
        for field in dependant.query_params:
            kept = self.defaults if isinstance(field.default, _IMMUTABLE) else self.mutable_defaults
            kept[field.name] = field.default

    @classmethod
    def of(cls, route: APIRoute) -> _QuickPlan | None:
        """The plan, or None when the endpoint needs FastAPI's handler for every request."""
        dependant = route.dependant
        query_params_have_plain_defaults = all(
            not field.field_info.is_required()
            and not field.field_info.validate_default
            and field.field_info.default_factory is None
            for field in dependant.query_params
        )
        if not (_called_plainly(route) and query_params_have_plain_defaults):
            return None
        return cls(dependant, route.endpoint)

    def arguments(self, scope: Scope, request: Request) -> dict[str, Any] | None:
        """The endpoint's keyword arguments, or None when a path parameter does not validate."""
        values = dict(self.defaults)
        for name, value in self.mutable_defaults.items():
            values[name] = deepcopy(value)
        received = scope["path_params"]
        for name, alias, field, loc in self.path_fields:
            value, errors = field.validate(received[alias], values, loc=loc)
            if errors:
                return None
            values[name] = value
        if self.request_name is not None:
            values[self.request_name] = request
        return values


def _called_plainly(route: APIRoute) -> bool:
    """Whether the endpoint can be called with its path and query values and the ``Request``.

    Nothing FastAPI builds for it per request (dependencies, headers, cookies,
    a body, ``BackgroundTasks``, a ``Response`` to fill in), a coroutine, and
    declared to make its own response (nothing to serialise): what both
    :class:`QueryRoute` and :class:`QuickRoute` call directly.
    """
    dependant = route.dependant
    built_per_request = (
        dependant.dependencies
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
    )
    return (
        not built_per_request
        and inspect.iscoroutinefunction(route.endpoint)
        and _returns_a_response(route.endpoint)
    )


def _returns_a_response(endpoint: Callable[..., Any]) -> bool:
    """Whether the endpoint is declared to make its own response (nothing to serialise)."""
    returned = get_type_hints(endpoint).get("return")
    return isinstance(returned, type) and issubclass(returned, Response)


class QuickRoute(QueryRoute):
    """An ``APIRoute`` that serves a plain request by calling its endpoint directly.

    See the module's docstring for when, and what it gives up. The route is
    otherwise FastAPI's own: the same OpenAPI, the same matching, and FastAPI's
    handler (``fastapi_app``) for every request the quick path does not take.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.fastapi_app: ASGIApp = self.app
        self.quick_plan = _QuickPlan.of(self)
        if self.quick_plan is not None:
            self.app = self._serve

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        plan = self.quick_plan
        assert plan is not None
        if scope["query_string"]:
            await self.fastapi_app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        values = plan.arguments(scope, request)
        if values is None:
            await self.fastapi_app(scope, receive, send)
            return
        endpoint = plan.endpoint

        async def respond(scope: Scope, receive: Receive, send: Send) -> None:
            response = await endpoint(**values)
            if not isinstance(response, Response):
                raise TypeError(f"{endpoint.__qualname__} answered {response!r}, not a Response")
            await response(scope, receive, send)

        await wrap_app_handling_exceptions(respond, request)(scope, receive, send)


def include_flat(target: APIRouter, router: APIRouter, prefix: str = "") -> None:
    """Adds each of ``router``'s routes to ``target`` itself, under ``prefix``.

    The routes keep everything they were declared with (their router's prefix,
    tags and responses are already merged into each route), and their class.
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
