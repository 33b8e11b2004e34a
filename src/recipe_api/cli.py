"""The ``recipe-api`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from recipe_api.settings import Settings, get_settings

log = logging.getLogger("recipe_api")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # httpx logs every upstream call at INFO: hundreds of lines a second under load.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _upgrade(settings: Settings, revision: str = "head") -> None:
    from recipe_api.db import migrate

    migrate.upgrade(settings.database_url, revision)


def _seed(settings: Settings) -> None:
    import secrets

    from recipe_api.auth.security import Passwords
    from recipe_api.db.engine import Database
    from recipe_api.db.seed import seed
    from recipe_api.users.repository import get_user_by_email

    email = settings.first_superuser_email
    db = Database.from_url(settings.database_url)
    try:
        password = settings.first_superuser_password
        generated = False
        if password is None and db.run_sync(get_user_by_email, email) is None:
            password, generated = secrets.token_urlsafe(12), True
        hashed = Passwords.from_settings(settings).hash(password) if password else None
        report = db.run_sync(seed, superuser_email=email, hashed_password=hashed)
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


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from recipe_api.auth.security import load_secret_key

    if args.migrate:
        _upgrade(settings)
        _seed(settings)
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
        access_log=args.access_log,
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
    down = db_commands.add_parser("downgrade", help="revert migrations (default: one step)")
    down.add_argument("revision", nargs="?", default="-1")
    db_commands.add_parser("seed", help="add the superuser and example recipes if missing")

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
    _configure_logging(settings)
    if args.command == "serve":
        _serve(settings, args)
    elif args.command == "db":
        from recipe_api.db import migrate

        if args.db_command == "upgrade":
            migrate.upgrade(settings.database_url, args.revision)
        elif args.db_command == "downgrade":
            migrate.downgrade(settings.database_url, args.revision)
        else:
            _seed(settings)
    elif args.command == "outbox":
        _outbox(settings, args)
    elif args.command == "fake-reddit":
        from recipe_api.ideas.emulator import serve_fake_reddit

        serve_fake_reddit(args.host, args.port, args.latency)


if __name__ == "__main__":
    main(sys.argv[1:])
