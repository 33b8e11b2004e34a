"""The ``recipe-api`` command."""

from __future__ import annotations

import argparse
import getpass
import logging
import logging.config
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from pydantic import TypeAdapter, ValidationError

from recipe_api.settings import Settings, get_settings

if TYPE_CHECKING:
    from recipe_api.db.engine import Database

log = logging.getLogger("recipe_api")


class CommandError(Exception):
    """A failure the user can fix: printed as one paragraph, exit status 1."""


def _fail(message: str) -> NoReturn:
    sys.exit(f"recipe-api: {message}")


def _database_error(settings: Settings, exc: BaseException) -> str:
    """One paragraph that says which database, what went wrong and what to check."""
    from sqlalchemy import make_url

    url = make_url(settings.database_url).render_as_string(hide_password=True)
    reason = getattr(exc, "orig", None) or exc
    # Drivers put hints on further lines and tabs; one paragraph reads better.
    summary = re.sub(r"\s+", " ", str(reason)).strip() or type(reason).__name__
    if summary[-1] not in ".?!":
        summary += "."
    return (
        f"cannot use the database at {url}: {summary} Check that DATABASE_URL names a "
        "running server (or a writable SQLite path), that its user and password are right, "
        "and that this host can reach it; DB_CONNECT_TIMEOUT says how long to wait. "
        "`recipe-api serve --no-migrate` starts without it and answers 503 on "
        "/health/ready until it is there."
    )


def _with_database(settings: Settings, action: Callable[[], None]) -> None:
    """Run a command that needs the database; a database it cannot use is a clear exit 1."""
    from recipe_api.db.engine import is_unavailable

    try:
        action()
    except Exception as exc:
        if is_unavailable(exc):
            _fail(_database_error(settings, exc))
        from alembic.util import CommandError as MigrationError

        if isinstance(exc, MigrationError):  # e.g. a revision this code does not know
            _fail(f"migration refused: {exc}")
        raise


def _configure_logging(settings: Settings) -> None:
    from recipe_api.observability import logging_config

    logging.config.dictConfig(logging_config(settings))


@contextmanager
def _metrics_dir(settings: Settings) -> Iterator[None]:
    """A fresh multiprocess directory for this start's workers, removed at exit.

    Set before anything imports ``prometheus_client``: it picks its storage at import.
    """
    if not settings.metrics_enabled:
        yield
        return
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        # The operator's own directory: emptied, as the previous run's counts are stale.
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield
        return
    directory = tempfile.mkdtemp(prefix="recipe-api-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _upgrade(settings: Settings, revision: str = "head") -> None:
    from recipe_api.db import migrate

    migrate.upgrade(settings.database_url, revision)


def _downgrade(settings: Settings, revision: str) -> None:
    from recipe_api.db import migrate

    migrate.downgrade(settings.database_url, revision)


def _confirm_downgrade(settings: Settings, revision: str, *, assume_yes: bool) -> None:
    """A downgrade drops tables and their rows: ask on a terminal, else require --yes."""
    if assume_yes:
        return
    from sqlalchemy import make_url

    url = make_url(settings.database_url).render_as_string(hide_password=True)
    target = "the empty schema" if revision == "base" else f"revision {revision}"
    if not sys.stdin.isatty():
        _fail(
            f"refusing to downgrade {url} to {target} without --yes: a downgrade drops "
            "tables and every row in them."
        )
    answer = input(
        f"Downgrade {url} to {target}? Dropped tables lose every row. Type 'yes' to go on: "
    )
    if answer.strip().lower() != "yes":
        _fail("downgrade cancelled.")


def _read_password() -> str:
    """From a prompt typed twice on a terminal; otherwise the first line of stdin."""
    from recipe_api.auth.schemas import Password

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise CommandError("the two passwords differ.")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        return TypeAdapter(Password).validate_python(password)
    except ValidationError as exc:
        raise CommandError(f"password refused: {exc.errors()[0]['msg']}.") from None


def _valid_email(email: str) -> str:
    """The address as signup stores it (the domain normalised, look-alikes refused)."""
    from recipe_api.users.emails import Email

    try:
        return TypeAdapter(Email).validate_python(email)
    except ValidationError:
        raise CommandError(f"{email!r} is not an email address.") from None


def _set_password(settings: Settings, email: str) -> None:
    from recipe_api.auth.security import Passwords
    from recipe_api.db.engine import Database
    from recipe_api.users import service
    from recipe_api.users.repository import get_user_by_email

    email = _valid_email(email)
    db = Database.from_settings(settings)
    try:
        if db.run_sync(get_user_by_email, email) is None:
            raise CommandError(f"no user has the email {email}.")
        hashed = Passwords.from_settings(settings).hash(_read_password())
        if not db.run_sync(service.set_password, email, hashed):
            raise CommandError(f"no user has the email {email}.")
    finally:
        db.dispose()
    print(f"Password of {email} changed.")


def _create_superuser(settings: Settings, email: str) -> None:
    from recipe_api.auth.security import Passwords
    from recipe_api.db.engine import Database
    from recipe_api.users import service
    from recipe_api.users.repository import get_user_by_email

    email = _valid_email(email)
    db = Database.from_settings(settings)
    try:
        hashed = None
        if db.run_sync(get_user_by_email, email) is None:
            hashed = Passwords.from_settings(settings).hash(_read_password())
        created = db.run_sync(service.promote_or_create_superuser, email, hashed)
    finally:
        db.dispose()
    if created:
        print(f"Superuser {email} created.")
    else:
        print(f"{email} is now a superuser (password unchanged; see `users set-password`).")


def _seed(settings: Settings, demo: int = 0) -> None:
    import secrets

    from recipe_api.auth.security import Passwords
    from recipe_api.db.engine import Database
    from recipe_api.db.seed import seed
    from recipe_api.users.repository import get_user_by_email

    email = settings.first_superuser_email
    db = Database.from_settings(settings)
    try:
        password = settings.first_superuser_password
        generated = False
        if password is None and db.run_sync(get_user_by_email, email) is None:
            password, generated = secrets.token_urlsafe(12), True
        hashed = Passwords.from_settings(settings).hash(password) if password else None
        report = db.run_sync(seed, superuser_email=email, hashed_password=hashed)
        if demo:
            _seed_demo(db, email, demo)
    finally:
        db.dispose()
    print(
        f"Seed: superuser {email} {'created' if report.superuser_created else 'already present'}, "
        f"{report.recipes_created} recipe(s) added."
    )
    if report.superuser_created and generated:
        # Shown once: it is stored only as a hash.
        print(f"Seed: generated password for {email}: {password}")


def _outbox(settings: Settings, args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from recipe_api.db.engine import Database
    from recipe_api.email import repository

    db = Database.from_url(settings.database_url)
    try:
        if args.outbox_command == "list":
            counts = db.run_sync(repository.count_by_status)
            print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "empty")
            status = None if args.status == "all" else args.status
            for row in db.run_sync(repository.list_emails, status=status, limit=args.limit):
                print(
                    f"{row['id']:>6}  {row['status']:<8} tries {row['attempts']:<3} "
                    f"{row['kind']:<15} {row['recipient']}  "
                    f"{row['created_at']:%Y-%m-%d %H:%M:%S}"
                    + (f"  last error: {row['last_error']}" if row["last_error"] else "")
                )
        else:
            ids = args.ids or None
            if ids is None and not args.all:
                sys.exit("recipe-api outbox retry: give the ids of failed emails, or --all")
            count = db.run_sync(repository.retry_failed, ids, datetime.now(UTC))
            print(f"{count} failed email(s) due again; the running service sends them.")
    finally:
        db.dispose()


def _prune(settings: Settings) -> None:
    from recipe_api.db.engine import Database
    from recipe_api.db.prune import PruneOptions, prune_sync
    from recipe_api.email import repository
    from recipe_api.email.models import FAILED

    db = Database.from_settings(settings)
    try:
        report = prune_sync(db, PruneOptions.from_settings(settings))
        failed = db.run_sync(repository.count_by_status).get(FAILED, 0)
    finally:
        db.dispose()
    days = f"{settings.prune_sent_email_days:g}"
    print(f"Deleted {report.expired_sessions} expired session(s).")
    print(f"Deleted {report.expired_tokens} expired account token(s).")
    print(
        f"Deleted {report.sent_emails} email(s) sent and {report.dropped_emails} dropped "
        f"more than {days} day(s) ago."
    )
    print(f"Kept {failed} failed email(s): see `recipe-api outbox list`, then `outbox retry`.")


def _seed_demo(db: Database, superuser_email: str, count: int) -> None:
    import time

    from recipe_api.recipes.demo import insert_demo_recipes
    from recipe_api.users.repository import get_user_by_email

    started = time.perf_counter()
    superuser = db.run_sync(get_user_by_email, superuser_email)
    assert superuser is not None
    db.run_sync(insert_demo_recipes, count, submitter_id=superuser["id"])
    print(f"Seed: {count:,} demo recipes added in {time.perf_counter() - started:.1f} s.")


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from recipe_api.auth.security import load_secret_key
    from recipe_api.observability import logging_config

    if args.migrate:

        def migrate_and_seed() -> None:
            _upgrade(settings)
            _seed(settings)

        _with_database(settings, migrate_and_seed)
    # Before the workers start, so they all read the same development key.
    load_secret_key(settings)
    uvicorn.run(
        "recipe_api.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=settings.web_concurrency if args.workers is None else args.workers,
        reload=args.reload,
        log_level=settings.log_level.lower(),
        # Each worker applies it: the same format everywhere, our access log instead of uvicorn's.
        log_config=logging_config(settings, access_log=args.access_log),
        access_log=False,
        proxy_headers=args.proxy_headers or settings.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips or settings.forwarded_allow_ips,
        http=args.http,
        h11_max_incomplete_event_size=args.max_header_bytes,
        timeout_keep_alive=args.timeout_keep_alive,
        limit_concurrency=args.limit_concurrency,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recipe-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, seed and serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--workers", type=int, help="default: WEB_CONCURRENCY, else 1")
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    serve.add_argument(
        "--no-migrate",
        dest="migrate",
        action="store_false",
        help="skip the migrations and the seed on start",
    )
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For from --forwarded-allow-ips (behind a reverse proxy); "
        "default: PROXY_HEADERS",
    )
    serve.add_argument("--forwarded-allow-ips", help="default: FORWARDED_ALLOW_IPS, else 127.0.0.1")
    # uvicorn's httptools parser is the fastest but bounds neither the size of a
    # request's headers nor the time taken to send them; h11 refuses headers
    # over --max-header-bytes with a 400. See the README's production section.
    serve.add_argument(
        "--http",
        choices=["httptools", "h11"],
        default="httptools",
        help="HTTP parser: httptools (fastest) or h11 (bounds header size)",
    )
    serve.add_argument(
        "--max-header-bytes",
        type=int,
        default=16 * 1024,
        help="with --http h11: the largest request head accepted (default 16384)",
    )
    serve.add_argument(
        "--timeout-keep-alive",
        type=int,
        default=5,
        help="seconds an idle keep-alive connection is kept open (default 5)",
    )
    serve.add_argument(
        "--limit-concurrency",
        type=int,
        default=None,
        help="connections plus requests in flight per worker past which new ones get 503",
    )

    db = commands.add_parser("db", help="database migrations and seed data")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    up = db_commands.add_parser("upgrade", help="apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    down = db_commands.add_parser(
        "downgrade", help="revert migrations (default: one step); asks first, or needs --yes"
    )
    down.add_argument("revision", nargs="?", default="-1")
    down.add_argument(
        "--yes", action="store_true", help="do not ask (needed when not on a terminal)"
    )
    seed = db_commands.add_parser("seed", help="add the superuser and example recipes if missing")
    seed.add_argument(
        "--demo",
        type=int,
        default=0,
        metavar="N",
        help="also add N generated recipes (ingredients, steps, tags), e.g. 1000000",
    )
    db_commands.add_parser(
        "prune",
        help="delete expired sessions and tokens and old sent emails now (each worker also "
        "does every PRUNE_INTERVAL_SECONDS)",
    )

    users = commands.add_parser("users", help="account administration")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    for name, help_text in (
        ("set-password", "set a user's password (from a prompt, or stdin when piped)"),
        ("create-superuser", "make a user a superuser, creating it (with a password) if new"),
    ):
        user_command = user_commands.add_parser(name, help=help_text)
        user_command.add_argument("email")

    outbox = commands.add_parser("outbox", help="the emails the service sends")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    listing = outbox_commands.add_parser("list", help="counts by status, then the newest emails")
    listing.add_argument(
        "--status",
        choices=["all", "pending", "sent", "failed", "dropped"],
        default="failed",
        help="which emails to list (default: failed)",
    )
    listing.add_argument("--limit", type=int, default=50)
    retry = outbox_commands.add_parser("retry", help="make failed emails due again")
    retry.add_argument("ids", nargs="*", type=int, help="ids from `outbox list`")
    retry.add_argument("--all", action="store_true", help="every failed email")

    fake = commands.add_parser("fake-reddit", help="serve a reddit emulator for demos and tests")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=9009)
    fake.add_argument("--latency", type=float, default=0.2, help="seconds per listing answer")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        messages = "; ".join(str(error["msg"]) for error in exc.errors())
        sys.exit(f"recipe-api: invalid settings: {messages}")
    if args.command == "serve":
        with _metrics_dir(settings):
            _configure_logging(settings)
            _serve(settings, args)
        return
    _configure_logging(settings)
    if args.command == "db":
        if args.db_command == "upgrade":
            _with_database(settings, lambda: _upgrade(settings, args.revision))
        elif args.db_command == "downgrade":
            _confirm_downgrade(settings, args.revision, assume_yes=args.yes)
            _with_database(settings, lambda: _downgrade(settings, args.revision))
        elif args.db_command == "prune":
            _with_database(settings, lambda: _prune(settings))
        else:
            _with_database(settings, lambda: _seed(settings, args.demo))
    elif args.command == "outbox":
        _with_database(settings, lambda: _outbox(settings, args))
    elif args.command == "users":
        try:
            if args.users_command == "set-password":
                _with_database(settings, lambda: _set_password(settings, args.email))
            else:
                _with_database(settings, lambda: _create_superuser(settings, args.email))
        except CommandError as exc:
            _fail(str(exc))
    elif args.command == "fake-reddit":
        from recipe_api.ideas.emulator import serve_fake_reddit

        serve_fake_reddit(args.host, args.port, args.latency)


if __name__ == "__main__":
    main(sys.argv[1:])
