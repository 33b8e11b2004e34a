from __future__ import annotations

import pytest

from recipe_api.db.engine import Database
from recipe_api.db.seed import RECIPES, SeedReport, seed


@pytest.fixture
def seeded(db: Database) -> SeedReport:
    report = db.run_sync(seed, superuser_email="admin@recipeapi.com", hashed_password=None)
    assert report.recipes_created == len(RECIPES)
    return report
