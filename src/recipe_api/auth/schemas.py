from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from recipe_api.schemas import ShortText, Text
from recipe_api.users.emails import Email

# The one definition of an acceptable password, for signup and login alike.
# Argon2 takes any length; the cap keeps one request from costing seconds.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
Password = Annotated[
    Text, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]


class SignupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email = Field(examples=["cook@example.com"])
    password: Password = Field(examples=["correct horse battery staple"])
    first_name: ShortText | None = None
    surname: ShortText | None = None


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"


class VerifyEmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[Text, StringConstraints(min_length=1, max_length=64)]


class PasswordResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email = Field(examples=["cook@example.com"])


class PasswordResetConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    new_password: Password


class ChangePasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Any length: a wrong current password is a 400, not a hint about the rules.
    current_password: Annotated[Text, StringConstraints(max_length=1024)]
    new_password: Password


class Accepted(BaseModel):
    detail: str
