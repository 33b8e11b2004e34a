"""The recipe-api command: serve the service, and run its database and account chores."""

from __future__ import annotations

import argparse
import getpass
import logging
import logging.config
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, ParamSpec

from pydantic import TypeAdapter, ValidationError

from recipe_api.settings import Settings, get_settings

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Connection

    from recipe_api.db.engine import Database

log = logging.getLogger("recipe_api")

P = ParamSpec("P")

EPILOG = (
    "Settings come from the environment or a .env file (see the README). Exit status: "
    "0 done, 1 refused or failed (the reason in one paragraph), 2 a usage error."
)


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


def _listen_check(host: str, port: int, *, hint: str) -> None:
    """Bind the address and let it go: a taken port is reported before anything is written.

    Bound the way uvicorn binds (SO_REUSEADDR, so a port left in TIME_WAIT by the
    previous run counts as free); the address is free again for it at once.
    """
    import errno
    import socket

    address = f"{host}:{port}"
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except socket.gaierror as exc:
        raise CommandError(
            f"cannot listen on {address}: {host} is not a name this machine resolves "
            f"({exc.strerror}). Give --host an address of this machine, e.g. 127.0.0.1."
        ) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            reason = (
                f"port {port} is taken by another process (an earlier recipe-api still "
                f"running?). Stop it, or choose another port: {hint}."
            )
        elif exc.errno == errno.EACCES:
            reason = (
                f"this user may not listen on port {port} (ports below 1024 need "
                f"privileges). Choose another port: {hint}."
            )
        elif exc.errno == errno.EADDRNOTAVAIL:
            reason = f"{host} is not an address of this machine. Use e.g. 127.0.0.1 or 0.0.0.0."
        else:
            reason = f"{exc.strerror or exc}."
        raise CommandError(f"cannot listen on {address}: {reason}") from None


def _other_port(port: int) -> int:
    return port + 1 if port < 65535 else port - 1


def served_base_url(host: str, port: int) -> str:
    """The address a browser on this machine reaches ``serve --host --port`` at.

    A wildcard host listens on every interface; links name loopback then.
    """
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _follow_served_address(settings: Settings, host: str, port: int) -> Settings:
    """Email links follow ``serve --host/--port`` unless PUBLIC_BASE_URL was set.

    Set in the environment, every worker (and the app built in this process)
    reads the same value; one given in the environment or .env is kept.
    """
    if "public_base_url" in settings.model_fields_set:
        return settings
    os.environ["PUBLIC_BASE_URL"] = served_base_url(host, port)
    get_settings.cache_clear()
    return get_settings()


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
    from recipe_api.email_address import Email

    try:
        return TypeAdapter(Email).validate_python(email)
    except ValidationError:
        raise CommandError(f"{email!r} is not an email address.") from None


def _set_password(settings: Settings, email: str) -> None:
    from recipe_api.auth import service
    from recipe_api.auth.security import Passwords
    from recipe_api.db.engine import Database
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
        existing = db.run_sync(get_user_by_email, email)
        if existing is None:
            hashed = Passwords.from_settings(settings).hash(_read_password())
        created = db.run_sync(service.promote_or_create_superuser, email, hashed)
    finally:
        db.dispose()
    if created:
        print(f"Superuser {email} created.")
    elif existing is not None and existing["is_superuser"]:
        print(f"{email} was already a superuser: nothing changed.")
    else:
        print(f"{email} is now a superuser (password unchanged; see `users set-password`).")


def _seed(settings: Settings, demo: int = 0) -> None:
    import secrets

    from recipe_api.auth.security import Passwords
    from recipe_api.db.engine import Database
    from recipe_api.seed import seed
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
            ids = sorted(set(args.ids)) or None
            if ids is None and not args.all:
                raise CommandError("outbox retry: give the ids of failed emails, or --all.")
            if ids is not None and args.all:
                raise CommandError("outbox retry: give ids or --all, not both.")
            count = db.run_sync(_retry_failed, ids, datetime.now(UTC))
            if count == 0:
                print("No failed emails to retry.")
            else:
                print(f"{count} failed email(s) due again; the running service sends them.")
    finally:
        db.dispose()


def _retry_failed(connection: Connection, ids: list[int] | None, now: datetime) -> int:
    """All the given ids, or none: an id that is not a failed email retries nothing."""
    from recipe_api.email import repository

    if ids is not None:
        missing = sorted(set(ids) - repository.failed_ids(connection, ids))
        if missing:
            listed = ", ".join(map(str, missing))
            raise CommandError(
                f"no failed email has the id {listed}; nothing was retried. "
                "`recipe-api outbox list` shows the failed ones."
            )
    return repository.retry_failed(connection, ids, now)


def _prune(settings: Settings) -> None:
    from recipe_api.db.engine import Database
    from recipe_api.db.prune import PruneOptions, prune_sync
    from recipe_api.email import repository
    from recipe_api.email.models import FAILED
    from recipe_api.tasks import prune_tasks

    db = Database.from_settings(settings)
    try:
        tasks = prune_tasks(
            sent_email_days=settings.prune_sent_email_days,
            import_job_days=settings.import_job_keep_days,
        )
        report = prune_sync(db, tasks, PruneOptions.from_settings(settings))
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
    print(
        f"Deleted {report.import_jobs} import job(s) finished more than "
        f"{settings.import_job_keep_days:g} day(s) ago."
    )


def _seed_demo(db: Database, superuser_email: str, count: int) -> None:
    import time

    from recipe_api.recipes.demo import insert_demo_recipes
    from recipe_api.users.repository import get_user_by_email

    started = time.perf_counter()
    superuser = db.run_sync(get_user_by_email, superuser_email)
    assert superuser is not None
    db.run_sync(insert_demo_recipes, count, submitter_id=superuser["id"])
    print(f"Seed: {count:,} demo recipes added in {time.perf_counter() - started:.1f} s.")


def _apart(action: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> None:
    """Run ``action`` in a forked child and exit as it exited, if it failed.

    For what ``serve`` does before serving (migrations, the seed): with one
    worker, the serving process is this one, and what the migrations import
    (Alembic and every migration, about 9 MB) would stay in it for its life.
    A failure reads as it would here: ``sys.exit("recipe-api: ...")`` in the
    child prints its message and exits 1, a traceback is printed as usual.
    """
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not Linux
        action(*args, **kwargs)
        return
    child = multiprocessing.get_context("fork").Process(target=action, args=args, kwargs=kwargs)
    child.start()
    child.join()
    if child.exitcode:
        sys.exit(child.exitcode if child.exitcode > 0 else 1)


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from recipe_api.auth.security import load_secret_key
    from recipe_api.observability import logging_config

    other = _other_port(args.port)
    _listen_check(
        args.host, args.port, hint=f"make run PORT={other}, or recipe-api serve --port {other}"
    )
    if args.migrate:

        def migrate_and_seed() -> None:
            _upgrade(settings)
            _seed(settings)

        _apart(_with_database, settings, migrate_and_seed)
    # Before the workers start, so they all read the same development key.
    load_secret_key(settings)
    uvicorn.run(
        "recipe_api.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=settings.web_concurrency if args.workers is None else args.workers,
        reload=args.reload,
        # The templates are read once per process (web/templating.py): a change restarts it.
        reload_includes=["*.html"] if args.reload else None,
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


def _whole(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number in range, else a usage error (exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"{minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            raise argparse.ArgumentTypeError(f"{value} is out of range ({bounds})")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{value:g} is out of range (0 to 3600)")
    return value


PORT = _whole(1, 65535)


def _command(
    group: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str
) -> argparse.ArgumentParser:
    """A subcommand whose own --help starts with the line the list shows."""
    return group.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recipe-api", description=__doc__, epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = _command(commands, "serve", "migrate, seed and serve the API")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port",
        type=PORT,
        default=8001,
        help="port to listen on (default 8001); email links follow host and port unless "
        "PUBLIC_BASE_URL is set",
    )
    serve.add_argument(
        "--workers",
        type=_whole(1, 64),
        metavar="N",
        help="worker processes (default: WEB_CONCURRENCY, else 1)",
    )
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    serve.add_argument(
        "--no-migrate",
        dest="migrate",
        action="store_false",
        help="skip the migrations and the seed on start",
    )
    serve.add_argument(
        "--no-access-log", dest="access_log", action="store_false", help="log no line per request"
    )
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For from --forwarded-allow-ips (behind a reverse proxy); "
        "default: PROXY_HEADERS",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="comma-separated proxy addresses (default: FORWARDED_ALLOW_IPS, else 127.0.0.1)",
    )
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
        type=_whole(1024),
        default=16 * 1024,
        metavar="BYTES",
        help="with --http h11: the largest request head accepted (default 16384)",
    )
    serve.add_argument(
        "--timeout-keep-alive",
        type=_whole(1),
        default=5,
        metavar="SECONDS",
        help="seconds an idle keep-alive connection is kept open (default 5)",
    )
    serve.add_argument(
        "--limit-concurrency",
        type=_whole(1),
        default=None,
        metavar="N",
        help="connections plus requests in flight per worker past which new ones get 503",
    )

    db = _command(commands, "db", "database migrations and seed data")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    up = _command(db_commands, "upgrade", "apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    down = _command(
        db_commands,
        "downgrade",
        "revert migrations (default: one step); asks first, or needs --yes",
    )
    down.add_argument("revision", nargs="?", default="-1")
    down.add_argument(
        "--yes", action="store_true", help="do not ask (needed when not on a terminal)"
    )
    seed = _command(db_commands, "seed", "add the superuser and example recipes if missing")
    seed.add_argument(
        "--demo",
        type=_whole(0),
        default=0,
        metavar="N",
        help="also add N generated recipes (ingredients, steps, tags), e.g. 1000000",
    )
    _command(
        db_commands,
        "prune",
        "delete expired sessions and tokens and old sent emails now (each worker also "
        "does every PRUNE_INTERVAL_SECONDS)",
    )

    users = _command(commands, "users", "account administration")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    for name, help_text in (
        ("set-password", "set a user's password (from a prompt, or stdin when piped)"),
        ("create-superuser", "make a user a superuser, creating it (with a password) if new"),
    ):
        user_command = _command(user_commands, name, help_text)
        user_command.add_argument("email")

    outbox = _command(commands, "outbox", "the emails the service sends")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    listing = _command(outbox_commands, "list", "counts by status, then the newest emails")
    listing.add_argument(
        "--status",
        choices=["all", "pending", "sent", "failed", "dropped"],
        default="failed",
        help="which emails to list (default: failed)",
    )
    listing.add_argument(
        "--limit",
        type=_whole(1),
        default=50,
        metavar="N",
        help="how many emails to list (default 50)",
    )
    retry = _command(outbox_commands, "retry", "make failed emails due again")
    retry.add_argument("ids", nargs="*", type=_whole(1), help="ids shown by outbox list")
    retry.add_argument("--all", action="store_true", help="every failed email")

    backup = _command(
        commands, "backup", "write every table (and stored file) to one archive, while serving"
    )
    backup.add_argument("archive", type=Path, help="the file to write (replaced when done)")
    restore = _command(
        commands, "restore", "load a backup into an empty database (SQLite or PostgreSQL)"
    )
    restore.add_argument("archive", type=Path, help="a file that recipe-api backup wrote")
    restore.add_argument(
        "--replace",
        action="store_true",
        help="delete what the database holds first (in the same transaction)",
    )

    fake = _command(commands, "fake-reddit", "serve a reddit emulator for demos and tests")
    fake.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    fake.add_argument("--port", type=PORT, default=9009, help="default 9009")
    fake.add_argument(
        "--latency", type=_seconds, default=0.2, help="seconds per listing answer (default 0.2)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        messages = "; ".join(str(error["msg"]) for error in exc.errors())
        sys.exit(f"recipe-api: invalid settings: {messages}")
    try:
        _run(settings, args)
    except CommandError as exc:
        _fail(str(exc))


def _run(settings: Settings, args: argparse.Namespace) -> None:
    if args.command == "serve":
        settings = _follow_served_address(settings, args.host, args.port)
        with _metrics_dir(settings):
            _configure_logging(settings)
            _serve(settings, args)
        return
    if args.command == "fake-reddit":
        from recipe_api.ideas.emulator import serve_fake_reddit

        other = _other_port(args.port)
        _listen_check(args.host, args.port, hint=f"recipe-api fake-reddit --port {other}")
        serve_fake_reddit(args.host, args.port, args.latency)
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
    elif args.command in ("backup", "restore"):
        from recipe_api.db.backup import run_command

        _with_database(settings, lambda: run_command(settings, args))
    elif args.command == "users":
        if args.users_command == "set-password":
            _with_database(settings, lambda: _set_password(settings, args.email))
        else:
            _with_database(settings, lambda: _create_superuser(settings, args.email))


if __name__ == "__main__":
    main(sys.argv[1:])
