from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from recipe_api.schemas import NoNul, ShortText

# Argon2 takes any length; the cap keeps one request from costing seconds.
Password = Annotated[str, StringConstraints(min_length=8, max_length=256), NoNul]


class SignupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=320, examples=["cook@example.com"])
    password: Password = Field(examples=["correct horse battery staple"])
    first_name: ShortText | None = None
    surname: ShortText | None = None


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
