"""A real SMTP server for tests: aiosmtpd on a free port, keeping what it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Connection, select

from recipe_api.db.engine import Database
from recipe_api.email.models import email_outbox_table

LINK = re.compile(r"https?://\S+")


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    # Seconds each message takes to accept, like a real server's round trips.
    delay: float = 0.0
    # Seconds between keeping a message and saying so: a server that stores the
    # email but acknowledges after the client gave up.
    ack_delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        if self.ack_delay:
            await asyncio.sleep(self.ack_delay)
        return "250 Message accepted for delivery"

    def to(self, recipient: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == recipient]


@contextmanager
def smtp_server(port: int, mailbox: Mailbox | None = None) -> Iterator[Mailbox]:
    box = mailbox or Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def link_in(message: EmailMessage) -> str:
    found = LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(0)


def token_in(message: EmailMessage) -> str:
    return link_in(message).split("token=", 1)[1]


async def eventually(check: Callable[[], Any], within: float = 10.0) -> Any:
    """Polls ``check`` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s")
        await asyncio.sleep(0.05)


def outbox_rows(db: Database) -> list[dict[str, Any]]:
    """Every row of the outbox, oldest first."""

    def rows(connection: Connection) -> list[dict[str, Any]]:
        statement = select(email_outbox_table).order_by(email_outbox_table.c.id)
        return [dict(row) for row in connection.execute(statement).mappings()]

    return db.run_sync(rows)
