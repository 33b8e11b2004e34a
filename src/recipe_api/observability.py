"""Watching the service: Prometheus metrics, request ids, structured logs.

- Metrics come from the official ``prometheus_client``. ``recipe-api serve``
  with ``METRICS_ENABLED`` gives every start a fresh ``PROMETHEUS_MULTIPROC_DIR``
  (before any worker imports this module), so ``GET /metrics`` from any worker
  sums the counters of all of them.
- Request ids: a sane ``X-Request-ID`` is kept, anything else is replaced by
  a generated one, and the answer echoes it (:func:`request_id_of`, called by
  the edge middleware). The id goes into ``asgi-correlation-id``'s context
  variable, which its logging filter puts on every log line.
- :class:`RequestRecorder` counts, times and logs every answer; the edge
  middleware (``middleware.EdgeMiddleware``) calls it once per request.
- Logs: :func:`logging_config` is the ``dictConfig`` every worker applies
  (uvicorn's ``log_config``): JSON lines (``python-json-logger``) in
  production, readable text in development, the request id on each line.

The choices and their measurements: docs/decisions/0006-observability.md
(and 0008 for the request id's and metrics' place in the edge middleware).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asgi_correlation_id.context import correlation_id
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from pythonjsonlogger.core import RESERVED_ATTRS
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import Scope

    from recipe_api.settings import Settings

access_log = logging.getLogger("recipe_api.access")
log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_NAME = REQUEST_ID_HEADER.lower().encode()
# What a client's request id may be: short, and nothing a log or a header could trip on.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "recipe_api_http_requests",
    "Answered requests, by route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "recipe_api_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)
UPSTREAM_CALLS = Counter(
    "recipe_api_ideas_upstream_requests",
    "Listing requests to reddit, by subreddit (configured ones; 'other' for the rest) and outcome",
    ["subreddit", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "recipe_api_ideas_upstream_request_duration_seconds",
    "Time a listing request to reddit took, whatever its outcome",
    ["subreddit"],
    buckets=_LATENCY_BUCKETS,
)
CACHE_LOOKUPS = Counter(
    "recipe_api_ideas_cache_lookups",
    "Ideas cache: hit (fresh copy), miss (asked reddit), stale (older copy served on failure)",
    ["result"],
)
LOGIN_THROTTLED = Counter(
    "recipe_api_login_throttled", "Logins refused with 429 by the failure throttle"
)
EMAILS = Counter(
    "recipe_api_emails",
    "Outbox deliveries: sent, retry (a try failed, due again), failed (gave up), dropped",
    ["outcome"],
)
DB_POOL_IN_USE = Gauge(
    "recipe_api_db_pool_connections_in_use",
    "Database connections checked out of the pools, summed over live workers",
    multiprocess_mode="livesum",
)


# --- Hooks the domain code calls in one line ----------------------------------------------


_upstream_children: dict[tuple[str, str], tuple[Any, Any]] = {}


def upstream_call(subreddit: str, outcome: str, seconds: float) -> None:
    children = _upstream_children.get((subreddit, outcome))
    if children is None:
        children = UPSTREAM_CALLS.labels(subreddit, outcome), UPSTREAM_LATENCY.labels(subreddit)
        _upstream_children[subreddit, outcome] = children
    children[0].inc()
    children[1].observe(seconds)


def cache_lookups(*, hits: int = 0, misses: int = 0, stale: int = 0) -> None:
    for result, count in (("hit", hits), ("miss", misses), ("stale", stale)):
        if count:
            CACHE_LOOKUPS.labels(result).inc(count)


def email_outcome(outcome: str) -> None:
    """Call where the outbox sender settles a try: sent, retry, failed or dropped."""
    EMAILS.labels(outcome).inc()


def login_throttled() -> None:
    """Call where a login is refused with 429."""
    LOGIN_THROTTLED.inc()


# --- Requests -----------------------------------------------------------------------------


class RequestRecorder:
    """Counts and times every answer by route template, and writes the access log line.

    Called once per request by the edge middleware (``middleware.EdgeMiddleware``),
    after the answer. The route is the template (``/api/v1/recipes/{recipe_id}``),
    never the path, so the number of series stays bounded; a request no route
    matched is ``unmatched``, and one whose client left before any answer is a 499.
    """

    def __init__(self, *, metrics: bool = True) -> None:
        self.metrics = metrics
        self._templates: dict[int, str] = {}  # by id(route): routes live as long as the app
        # The labelled children, looked up once: .labels() takes a lock and builds a key.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _template(self, route: Any, path: str) -> str:
        """The route's full template: a route of an included router knows only its own part."""
        template = self._templates.get(id(route))
        if template is None:
            # path_format: the template without a convertor ({recipe_id}, not
            # {recipe_id:recipe_ref}), as OpenAPI writes it.
            own = getattr(route, "path_format", route.path)
            template = own
            regex = getattr(route, "path_regex", None)
            if regex is not None and not regex.fullmatch(path):
                # The prefix is what precedes the part of the path the route matched.
                for i in range(1, len(path)):
                    if path[i] == "/" and regex.fullmatch(path[i:]):
                        template = path[:i] + own
                        break
            self._templates[id(route)] = template
        return template

    def record(self, scope: Scope, status: int, elapsed: float) -> None:
        matched = scope.get("route")
        path = scope["path"]
        route = self._template(matched, path) if matched is not None else "unmatched"
        method = scope["method"]
        if method not in _METHODS:
            method = "other"  # clients may send any token: keep the label values bounded
        if self.metrics:
            key = (method, route, status)
            children = self._children.get(key)
            if children is None:
                labels = (method, route, str(status))
                children = HTTP_REQUESTS.labels(*labels), HTTP_LATENCY.labels(*labels)
                self._children[key] = children
            children[0].inc()
            children[1].observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %d %.1f ms",
                method,
                path,
                status,
                elapsed * 1000,
                extra={
                    "method": method,
                    "path": path,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                },
            )


def request_id_of(scope: Scope) -> str:
    """The request's id: the client's ``X-Request-ID`` when sane, else a new one.

    It is set for the request's log records (asgi-correlation-id's context
    variable, which its logging filter reads) and, when replaced, in the
    request's own headers, so the app sees the id the answer will carry.
    """
    sent: bytes | None = None
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_NAME:
            sent = value
            break
    if sent:
        chosen = sent.decode("latin-1")
        if _SANE_REQUEST_ID.fullmatch(chosen) is None:
            chosen = os.urandom(16).hex()
            log.warning("Replaced a request id that failed validation with %s", chosen)
    else:
        chosen = os.urandom(16).hex()
    if sent is None or chosen != sent.decode("latin-1"):
        scope["headers"] = [
            *(item for item in scope["headers"] if item[0] != _REQUEST_ID_NAME),
            (_REQUEST_ID_NAME, chosen.encode()),
        ]
    correlation_id.set(chosen)
    return chosen


def metrics_answer(_request: Request) -> Response:
    """The Prometheus text format; with several workers, the sum of every worker's files."""
    registry: CollectorRegistry = REGISTRY
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI, settings: Settings) -> RequestRecorder:
    """``/metrics`` when enabled; the recorder the edge middleware calls for every answer."""
    if settings.metrics_enabled:
        app.add_route("/metrics", metrics_answer, include_in_schema=False)
        _count_pool_connections()
    return RequestRecorder(metrics=settings.metrics_enabled)


_pool_events_installed = False


def _count_pool_connections() -> None:
    """Every pool of this process moves the in-use gauge (once, however many apps)."""
    global _pool_events_installed
    if _pool_events_installed:
        return
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    event.listen(Pool, "checkout", lambda *_: DB_POOL_IN_USE.inc())
    event.listen(Pool, "checkin", lambda *_: DB_POOL_IN_USE.dec())
    _pool_events_installed = True


# --- Workers ------------------------------------------------------------------------------


def worker_started() -> None:
    """Drop the live gauges of workers that died without saying so (killed, crashed)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        if not _alive(pid):
            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def worker_stopping() -> None:
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- Logs ---------------------------------------------------------------------------------


def logging_config(settings: Settings, *, access_log: bool = True) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of every process: ``recipe-api`` and each worker."""
    json_lines = (settings.log_format or _default_format(settings)) == "json"
    formatter: dict[str, Any]
    if json_lines:
        formatter = {
            "()": "pythonjsonlogger.orjson.OrjsonFormatter",
            "fmt": ["levelname", "name", "message", "correlation_id", "process"],
            "rename_fields": {
                "levelname": "level",
                "name": "logger",
                "correlation_id": "request_id",
                "process": "pid",
            },
            "timestamp": True,
            # uvicorn's lines carry a copy of the message with terminal colours.
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
        }
    else:
        formatter = {
            "format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"
        }
    quiet = {"level": "WARNING"}
    # The access log follows LOG_LEVEL, but DEBUG adds nothing to it.
    access_level = settings.log_level if settings.log_level != "DEBUG" else "INFO"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "asgi_correlation_id.CorrelationIdFilter", "default_value": "-"}
        },
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": settings.log_level, "handlers": ["default"]},
        "loggers": {
            # uvicorn's own lines go through the same handler; its access log is
            # replaced by ours, which knows the route template and the request id.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            "recipe_api.access": {"level": access_level if access_log else "WARNING"},
            "alembic.runtime.plugins": quiet,
        },
    }


def _default_format(settings: Settings) -> str:
    return "json" if settings.environment == "production" else "text"
