"""Domain errors; one exception handler turns each into a JSON ``detail`` answer."""

from __future__ import annotations

from typing import ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 400

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


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
    """A wrong email or password; both answer alike."""

    status_code = 401

    def __init__(self, detail: str = "Incorrect email or password") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class TooManyAttemptsError(AppError):
    """Too many failed logins; ``retry_after`` seconds until the next try."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed logins; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after
