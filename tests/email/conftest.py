"""The app with a real SMTP server behind it: settings point at aiosmtpd on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from recipe_api.settings import Settings
from tests.conftest import free_port
from tests.email.smtp import Mailbox, smtp_server


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, smtp_port: int) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_starttls": False,
            "smtp_timeout": 2.0,
            "public_base_url": "http://testserver",
            "outbox_poll_seconds": 0.1,
            "outbox_retry_seconds": 0.1,
            "outbox_max_attempts": 50,
            "outbox_sender": True,
        }
    )


@pytest.fixture
def mailbox(smtp_port: int) -> Iterator[Mailbox]:
    with smtp_server(smtp_port) as box:
        yield box
