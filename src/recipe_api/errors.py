"""Domain errors; one exception handler turns each into a JSON ``detail`` answer."""

from __future__ import annotations

from typing import ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 400
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(AppError):
    status_code = 404


class PermissionDeniedError(AppError):
    status_code = 403


class ConflictError(AppError):
    status_code = 409


class InvalidReferenceError(AppError):
    """A body names something that does not exist (an unknown submitter)."""

    status_code = 422
