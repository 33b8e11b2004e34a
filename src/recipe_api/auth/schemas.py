from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from recipe_api.email_address import Email
from recipe_api.schemas import ShortText, Text

# The one definition of an acceptable password, for signup and login alike.
# Argon2 takes any length; the cap keeps one request from costing seconds.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
Password = Annotated[
    Text, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]


def split_full_name(full_name: str) -> tuple[str | None, str | None]:
    """``"Ada King Lovelace"`` -> ``("Ada", "King Lovelace")``: the first word, then the rest.

    Wherever the two are shown together (joined by a space) they read as the
    name was typed, runs of spaces aside, whichever word a surname starts at.
    """
    words = full_name.split()
    if not words:
        return None, None
    return words[0], " ".join(words[1:]) or None


class SignupIn(BaseModel):
    """An account: our fields, and the sign-up body of the tutorial's clients.

    The tutorial's frontend sends ``{email, password, full_name, is_active}``;
    its API ignores fields it does not know, and so does this one (a client
    written for it keeps working), except the one field that would grant a
    privilege there: ``is_superuser`` is refused unless false.
    """

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "additionalProperties": True,
            "description": "Fields other than these are ignored, as the tutorial's API does; "
            "is_superuser may only be false (an operator makes superusers).",
        },
    )

    email: Email = Field(examples=["cook@example.com"])
    password: Password = Field(examples=["correct horse battery staple"])
    first_name: ShortText | None = None
    surname: ShortText | None = None
    full_name: ShortText | None = Field(
        default=None,
        description="The tutorial's field: used when neither first_name nor surname is given, "
        "split at its first run of spaces: the first word is first_name, the rest surname.",
        examples=["Ada Lovelace"],
    )
    is_active: bool = Field(
        default=True,
        description="The tutorial's field: every account is active from sign-up, "
        "so only true is accepted.",
        json_schema_extra={"const": True},
    )
    is_superuser: bool = Field(
        default=False,
        description="The tutorial's field: only false; sign-up never makes a superuser.",
        json_schema_extra={"const": False},
    )

    @field_validator("is_active")
    @classmethod
    def _active(cls, value: bool) -> bool:
        if not value:
            raise ValueError("every account is active from sign-up; send true or leave it out")
        return value

    @field_validator("is_superuser")
    @classmethod
    def _no_privilege(cls, value: bool) -> bool:
        if value:
            raise ValueError(
                "sign-up cannot make a superuser; an operator does "
                "(recipe-api users create-superuser)"
            )
        return value

    @model_validator(mode="after")
    def _full_name(self) -> SignupIn:
        if self.full_name and self.first_name is None and self.surname is None:
            self.first_name, self.surname = split_full_name(self.full_name)
        return self


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
