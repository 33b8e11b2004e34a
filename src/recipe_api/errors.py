"""The errors every domain shares; one exception handler turns each into a JSON ``detail``.

A domain's own errors live in the domain (``auth/errors.py``; the recipes'
beside their rules in ``recipes/service.py``). They carry no HTTP machinery
beyond a status code and headers, so the API and the web pages can call the
same services and shape the answer each their way.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 400
    default_headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        merged = {**(self.default_headers or {}), **(headers or {})}
        self.headers: dict[str, str] | None = merged or None

    def __reduce__(self) -> tuple[Any, ...]:
        # As it is, whatever its class's own arguments: a search process's error
        # reaches the worker pickled (db/search_process.py).
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(cls: type[AppError], args: tuple[Any, ...], state: dict[str, Any]) -> AppError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class NotFoundError(AppError):
    status_code = 404


class PermissionDeniedError(AppError):
    status_code = 403


class ConflictError(AppError):
    status_code = 409


class TooManyAttemptsError(AppError):
    """Throttled: ``retry_after`` seconds until the next attempt may be made."""

    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class ServiceBusyError(AppError):
    """The service is saturated for now (e.g. too many password hashes waiting)."""

    status_code = 503

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class QueryTimeoutError(AppError):
    """A query ran past its time limit and was stopped (a pathological search)."""

    status_code = 503
    default_headers: ClassVar[dict[str, str] | None] = {"Retry-After": "1"}

    def __init__(
        self,
        detail: str = "The query took too long and was stopped; narrow it and try again",
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail, headers=headers)
