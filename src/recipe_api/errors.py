"""Domain errors; one exception handler turns each into a JSON ``detail`` answer.

They carry no HTTP machinery beyond a status code and headers, so the API and
the web pages can call the same services and shape the answer each their way.
"""

from __future__ import annotations

from typing import ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 400
    default_headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        merged = {**(self.default_headers or {}), **(headers or {})}
        self.headers: dict[str, str] | None = merged or None


class NotFoundError(AppError):
    status_code = 404


class PermissionDeniedError(AppError):
    status_code = 403


class ConflictError(AppError):
    status_code = 409


class InvalidReferenceError(AppError):
    """A body names something that does not exist (an unknown submitter)."""

    status_code = 422


class InvalidCredentialsError(AppError):
    """A login that did not match an account (wrong password, unknown email alike)."""

    status_code = 401
    default_headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}

    def __init__(self, detail: str = "Incorrect email or password") -> None:
        super().__init__(detail)


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


class InvalidTokenError(AppError):
    """An emailed link's token that is unknown, used, expired or for another purpose."""

    status_code = 400

    def __init__(self, detail: str = "This link is invalid or has expired") -> None:
        super().__init__(detail)


class WrongPasswordError(AppError):
    """The current password given to change it does not match."""

    status_code = 400

    def __init__(self, detail: str = "The current password is wrong") -> None:
        super().__init__(detail)


class QueryTimeoutError(AppError):
    """A query ran past its time limit and was stopped (a pathological search)."""

    status_code = 503
    default_headers: ClassVar[dict[str, str] | None] = {"Retry-After": "1"}
