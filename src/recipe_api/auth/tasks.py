"""The auth domain's housekeeping, run by ``db/prune.py``'s scheduler.

Web sessions past their expiry (a log-out deletes its own at once; these are
the ones nobody logged out of), and emailed account tokens past their expiry
(a used one is deleted when used).
"""

from __future__ import annotations

from recipe_api.auth import session_repository, token_repository
from recipe_api.db.prune import PruneTask

PRUNE_TASKS = (
    PruneTask("expired_sessions", "expired session(s)", session_repository.delete_expired_batch),
    PruneTask("expired_tokens", "expired account token(s)", token_repository.delete_expired_batch),
)
