"""The errors only accounts, logins and emailed links raise."""

from __future__ import annotations

from typing import ClassVar

from recipe_api.errors import AppError


class InvalidCredentialsError(AppError):
    """A login that did not match an account (wrong password, unknown email alike)."""

    status_code = 401
    default_headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}

    def __init__(self, detail: str = "Incorrect email or password") -> None:
        super().__init__(detail)


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
