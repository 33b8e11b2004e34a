"""Every domain's housekeeping, for the one scheduler (``db/prune.py``) to run.

A domain with rows to prune adds its ``tasks.py`` and is listed here.
"""

from __future__ import annotations

from datetime import timedelta

from recipe_api.auth import tasks as auth
from recipe_api.db.prune import PruneTask
from recipe_api.email import tasks as email
from recipe_api.recipes.imports import tasks as imports


def prune_tasks(
    *, sent_email_days: float = 7, import_job_days: float = 30
) -> tuple[PruneTask, ...]:
    return (
        *auth.PRUNE_TASKS,
        *email.prune_tasks(timedelta(days=sent_email_days)),
        *imports.prune_tasks(timedelta(days=import_job_days)),
    )
