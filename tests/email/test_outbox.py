"""The outbox's promises: retried until delivered, once; bounded tries; two senders; restarts."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import anyio
import httpx
import pytest

from recipe_api import cli
from recipe_api.auth import service
from recipe_api.auth.schemas import SignupIn
from recipe_api.auth.security import Passwords
from recipe_api.db.engine import Database
from recipe_api.email import repository
from recipe_api.email.messages import Message
from recipe_api.email.outbox import OutboxSender, SenderOptions
from recipe_api.email.sender import FolderTransport, SmtpTransport, build_message
from recipe_api.settings import Settings, get_settings
from tests.conftest import serving
from tests.email.smtp import Mailbox, eventually, outbox_rows, smtp_server

N_SIGNUPS = 200


async def test_smtp_down_then_up_delivers_exactly_once(
    smtp_port: int, client: httpx.AsyncClient, db: Database
) -> None:
    response = await client.post(
        "/api/v1/auth/signup", json={"email": "early@example.com", "password": "long password"}
    )
    assert response.status_code == 201
    # Nobody listens on the port yet: the sender fails, and tries again.
    (row,) = await eventually(lambda: [r for r in outbox_rows(db) if int(r["attempts"]) >= 2])
    assert row["status"] == "pending" and "Connect" in str(row["last_error"])
    with smtp_server(smtp_port) as mailbox:
        await eventually(lambda: outbox_rows(db)[0]["status"] == "sent")
        await asyncio.sleep(0.3)  # time for a duplicate, were there one
        assert len(mailbox.to("early@example.com")) == 1


def _sender(db: Database, settings: Settings, **options: object) -> OutboxSender:
    return OutboxSender(
        db,
        SmtpTransport(settings),
        sender=settings.email_from,
        options=SenderOptions(
            **{"retry_seconds": 0.01, "poll_seconds": 0.05, **options}  # type: ignore[arg-type]
        ),
    )


async def test_bounded_tries_then_failed_listed_and_retried_from_the_command(
    settings: Settings,
    smtp_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    db = Database.from_url(settings.database_url)
    try:
        message = Message("Hello", "text", "<p>html</p>")
        await db.run(
            repository.enqueue,
            kind="welcome",
            recipient="far@example.com",
            message=message,
            now=datetime.now(UTC),
        )
        sender = _sender(db, settings, max_attempts=3)
        for _ in range(20):
            await sender.run_once()
            if outbox_rows(db)[0]["status"] == "failed":
                break
            await asyncio.sleep(0.03)
        (row,) = outbox_rows(db)
        assert row["attempts"] == 3

        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
        get_settings.cache_clear()
        # The command configures logging onto this test's captured stderr: undone after it,
        # or the SMTP server's thread logs to a closed stream once the test is over.
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        try:
            cli.main(["outbox", "list"])
            listed = capsys.readouterr().out
            assert "1 failed" in listed and "far@example.com" in listed and "tries 3" in listed
            assert "last error: " in listed
            cli.main(["outbox", "retry", "--all"])
            assert "1 failed email(s) due again" in capsys.readouterr().out
        finally:
            get_settings.cache_clear()
            root.handlers[:] = handlers
            root.setLevel(level)
        assert (outbox_rows(db)[0]["status"], outbox_rows(db)[0]["attempts"]) == ("pending", 0)
        with smtp_server(smtp_port) as mailbox:
            assert await sender.run_once() == 1
            assert [m["Subject"] for m in mailbox.to("far@example.com")] == ["Hello"]
        assert outbox_rows(db)[0]["status"] == "sent"
    finally:
        await db.aclose()


async def test_a_late_acknowledgement_is_retried_with_the_same_message_id(
    settings: Settings, smtp_port: int
) -> None:
    # The server keeps each email but answers after SMTP_TIMEOUT: the client counts a
    # failure and tries again, so the cook gets copies, which must share one Message-ID
    # for their mail reader to show one email.
    late = settings.model_copy(update={"smtp_timeout": 0.3})
    db = Database.from_url(late.database_url)
    try:
        now = datetime.now(UTC)
        for recipient in ("late@example.com", "other@example.com"):
            await db.run(
                repository.enqueue,
                kind="welcome",
                recipient=recipient,
                message=Message("Hello", "text", "<p>html</p>"),
                now=now,
            )
        sender = _sender(db, late)
        with smtp_server(smtp_port, Mailbox(ack_delay=0.6)) as mailbox:
            for _ in range(40):
                await sender.run_once()
                if len(mailbox.to("late@example.com")) >= 2:
                    break
                await asyncio.sleep(0.03)
            mailbox.ack_delay = 0.0

            async def all_sent() -> bool:
                await sender.run_once()
                return {r["status"] for r in outbox_rows(db)} == {"sent"}

            await eventually(all_sent)
            copies = mailbox.to("late@example.com")
            assert len(copies) >= 3
            (message_id,) = {m["Message-ID"] for m in copies}
            (other_id,) = {m["Message-ID"] for m in mailbox.to("other@example.com")}
            assert other_id != message_id
    finally:
        await db.aclose()


async def test_two_senders_deliver_every_signups_email_exactly_once(
    settings: Settings, mailbox: Mailbox
) -> None:
    """Two workers' senders on one database, each with its own connections."""
    first, second = (Database.from_url(settings.database_url) for _ in range(2))
    passwords = Passwords(time_cost=1, memory_kib=1024, parallelism=1)
    mail = service.AccountMail(base_url="http://testserver")
    try:
        for i in range(N_SIGNUPS):
            data = SignupIn(email=f"cook{i}@example.com", password="long enough password")
            await service.signup(first, passwords, data, mail=mail)
        # Connected before they start, and a server that takes its time: the two overlap.
        await first.ping()
        await second.ping()
        mailbox.delay = 0.01
        senders = [_sender(db, settings, batch=4) for db in (first, second)]
        delivered = [0, 0]
        for index, sender in enumerate(senders):
            sender.transport = _Counting(settings, delivered, index)
        for sender in senders:
            sender.start()
        try:
            await eventually(lambda: len(mailbox.messages) >= N_SIGNUPS, within=30)
            await asyncio.sleep(0.3)
        finally:
            for sender in senders:
                await sender.stop()
        recipients = sorted(str(m["To"]) for m in mailbox.messages)
        assert recipients == sorted(f"cook{i}@example.com" for i in range(N_SIGNUPS))
        rows = outbox_rows(first)
        assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}
        # Both took part: the exactly-once above is not one sender doing everything.
        assert sum(delivered) == N_SIGNUPS and min(delivered) > 0, delivered
    finally:
        await first.aclose()
        await second.aclose()


class _Counting(SmtpTransport):
    def __init__(self, settings: Settings, counts: list[int], index: int) -> None:
        super().__init__(settings)
        self.counts, self.index = counts, index

    async def send(self, message: EmailMessage) -> None:
        await super().send(message)
        self.counts[self.index] += 1


def _serve_env(settings: Settings, workdir: Path, smtp_port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY_FILE": str(workdir / "secret_key"),
        "FIRST_SUPERUSER_PASSWORD": "admin password for tests",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_PARALLELISM": "1",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        "SMTP_TIMEOUT": "1",
        # A worker killed mid-try holds its claim this long.
        "OUTBOX_LEASE_SECONDS": "2",
        "OUTBOX_POLL_SECONDS": "0.1",
        "OUTBOX_RETRY_SECONDS": "0.2",
    }
    for name in ("REDIS_URL", "ENVIRONMENT", "SECRET_KEY"):
        env.pop(name, None)
    return env


async def test_a_worker_killed_after_the_signup_delivers_after_the_restart(
    settings: Settings, smtp_port: int, tmp_path: Path
) -> None:
    env = _serve_env(settings, tmp_path, smtp_port)
    db = Database.from_url(settings.database_url)
    try:
        with serving([], env, tmp_path) as first:
            async with httpx.AsyncClient(base_url=first.url) as http:
                response = await http.post(
                    "/api/v1/auth/signup",
                    json={"email": "kept@example.com", "password": "long enough password"},
                )
            assert response.status_code == 201
            # No SMTP server yet: the email is still owed when the worker dies.
            await eventually(lambda: int(outbox_rows(db)[0]["attempts"]) >= 1)
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait(10)
        assert outbox_rows(db)[0]["status"] == "pending"
        with smtp_server(smtp_port) as mailbox, serving(["--no-migrate"], env, tmp_path):
            (message,) = await eventually(lambda: mailbox.to("kept@example.com"), within=15)
            assert "verify-email?token=" in str(message.get_body(("plain",)))
            await asyncio.sleep(0.3)
            assert len(mailbox.to("kept@example.com")) == 1
        assert outbox_rows(db)[0]["status"] == "sent"
    finally:
        await db.aclose()


def test_backoff_doubles_and_is_capped() -> None:
    from recipe_api.email.outbox import backoff

    assert timedelta(seconds=8) <= backoff(1, 10) <= timedelta(seconds=12)
    assert timedelta(seconds=16) <= backoff(2, 10) <= timedelta(seconds=24)
    assert backoff(40, 10) <= timedelta(hours=1, minutes=12)


async def test_the_folder_transport_leaves_whole_emails_only(tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    message = EmailMessage()
    message["To"] = "cook@example.com"
    message["Subject"] = "Reset your password"
    message["Message-ID"] = "<abc123@recipeapi.local>"
    message.set_content("Follow http://127.0.0.1:8001/reset-password?token=t0k3n")

    await FolderTransport(folder).send(message)

    written = sorted(path.name for path in folder.iterdir())
    assert len(written) == 1 and written[0].endswith("-abc123.eml")
    saved = message_from_bytes((folder / written[0]).read_bytes(), policy=default)
    assert saved["Subject"] == message["Subject"]
    assert saved.get_content() == message.get_content()


async def test_the_folder_transport_writes_links_one_can_copy(tmp_path: Path) -> None:
    """8bit, not quoted-printable: no '=3D' and no soft line break inside a long link."""
    link = "http://127.0.0.1:8001/verify-email?token=" + "eyJhbGciOiJIUzI1NiJ9." * 8
    message = build_message(
        Message("Welcome", f"Confirm: {link}\n", f'<p><a href="{link}">Confirm</a> ça</p>'),
        sender="Recipe Box <noreply@example.com>",
        recipient="cook@example.com",
        email_id=1,
        created_at=datetime(2026, 12, 6, tzinfo=UTC),
        domain="example.com",
    )
    await FolderTransport(tmp_path).send(message)
    [path] = [found async for found in anyio.Path(tmp_path).iterdir()]
    text = (await path.read_bytes()).decode()
    assert text.count(link) == 2 and "quoted-printable" not in text and "ça" in text
