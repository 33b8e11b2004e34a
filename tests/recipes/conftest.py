from __future__ import annotations

import pytest

from tests.conftest import Account


@pytest.fixture
def seeded(superuser: Account) -> Account:
    """The tutorial's three recipes, submitted by the logged-in superuser."""
    return superuser
