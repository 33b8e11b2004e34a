from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class UserOut(BaseModel):
    """A user as the API shows it: never the password or its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    first_name: str | None
    surname: str | None
    is_superuser: bool
    created_at: datetime
