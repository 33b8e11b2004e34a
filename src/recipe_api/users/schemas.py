from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field


class UserOut(BaseModel):
    """A user as the API shows it: never the password or its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    first_name: str | None
    surname: str | None
    is_superuser: bool
    created_at: datetime
    email_verified_at: datetime | None = Field(default=None, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def email_verified(self) -> bool:
        """Whether the owner followed the link of the welcome email."""
        return self.email_verified_at is not None
