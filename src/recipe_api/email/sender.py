"""Delivering one email: by SMTP (aiosmtplib), or into a folder when no SMTP server is set."""

from __future__ import annotations

import copy
import logging
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib
from anyio import to_thread

from recipe_api.email.messages import Message
from recipe_api.settings import Settings

log = logging.getLogger(__name__)
_LINK = re.compile(r"https?://\S+")


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Delivers ``message`` or raises."""


def message_id(email_id: int, created_at: datetime, domain: str) -> str:
    """The email's one Message-ID, made again the same from its row on every retry.

    ``make_msgid`` adds the time and a random number, so a retry after a server
    that kept the email but acknowledged too late went out as a second email.
    The row's creation time (to the microsecond) beside its id keeps two
    databases, or one rebuilt, from giving two emails the same id.
    """
    stamp = created_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    return f"<outbox-{email_id}.{stamp}@{domain}>"


def build_message(
    message: Message,
    *,
    sender: str,
    recipient: str,
    email_id: int,
    created_at: datetime,
    domain: str,
) -> EmailMessage:
    """A multipart/alternative email; its Message-ID is the row's, the same on every retry."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message_id(email_id, created_at, domain)
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user,
            password=s.smtp_password,
            use_tls=s.smtp_tls,
            # Required when set: an opportunistic upgrade can be stripped by the network.
            start_tls=s.smtp_starttls and not s.smtp_tls,
            timeout=s.smtp_timeout,
        )


class FolderTransport:
    """Writes each email as an ``.eml`` file and logs its link: development without SMTP."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"

        def write() -> None:
            # Written aside, then renamed: whoever reads the folder sees whole emails only.
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".eml.part")
            partial.write_bytes(_readable(message).as_bytes())
            partial.replace(path)

        await to_thread.run_sync(write)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        link = _LINK.search(text)
        log.info(
            "Email to %s (%s) written to %s%s",
            message["To"],
            message["Subject"],
            path,
            f"; link: {link.group(0)}" if link else "",
        )


def _readable(message: EmailMessage) -> EmailMessage:
    """The email with its text parts 8bit, as written: a link copied from the file works.

    SMTP keeps quoted-printable (it wraps long lines safely on the wire); in a
    file a reader opens, ``=3D`` and soft line breaks cut every link.
    """
    readable = copy.deepcopy(message)
    for part in readable.walk():
        if part.get_content_maintype() == "text":
            part.set_content(part.get_content(), subtype=part.get_content_subtype(), cte="8bit")
            if part is not readable:
                del part["MIME-Version"]  # set_content adds it to each part; the top has it
    return readable


def transport_from_settings(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FolderTransport(settings.email_outbox_dir)
