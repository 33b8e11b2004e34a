from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ImportProblem(BaseModel):
    recipe: str = Field(description="The recipe's name, or the file's when it had none")
    reason: str
    skipped: bool = Field(description="False: imported, without what the reason names")


class ImportJobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str = Field(description="queued, running or done")
    format: str = Field(description="mealie, tandoor, paprika, json-ld or recipe-box")
    filename: str
    total: int = Field(description="Recipes read from the upload, to be imported")
    position: int = Field(description="How many of them are done (imported or skipped)")
    imported: int
    skipped: int = Field(description="Duplicates and recipes that could not be read")
    problems: list[ImportProblem]
    created_at: datetime
    finished_at: datetime | None
