"""Every setting of the service, read from the environment and an optional ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from recipe_api.email_address import mailbox_address

DEFAULT_SQLITE_URL = "sqlite:///./recipe_api.db"
MIN_SECRET_KEY_LENGTH = 32
WEAK_SECRETS = {"changethis", "secret", "changeme", "password", "admin"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Unset: JSON lines in production, text in development (see observability.py).
    log_format: Literal["text", "json"] | None = None
    metrics_enabled: bool = False
    database_url: str = DEFAULT_SQLITE_URL
    db_pool_size: int = Field(default=10, ge=1, le=100)
    # Every wait on the database is bounded, so a sick database answers 503, not a hang.
    db_connect_timeout: float = Field(default=5.0, gt=0, le=60, description="seconds")
    db_statement_timeout_ms: int = Field(default=5000, ge=100, le=600_000)
    db_pool_timeout: float = Field(default=5.0, gt=0, le=60, description="seconds")
    redis_url: str | None = None
    search_timeout_ms: int = Field(
        default=1000, ge=10, le=60_000, description="a longer search is stopped: 503"
    )
    search_concurrency: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="searches run at once per worker, the rest queue (default: cores - 1)",
    )
    search_thread_niceness: int = Field(
        default=10,
        ge=0,
        le=19,
        description=(
            "how much lower searches run than reads (SQLite: their threads; PostgreSQL:"
            " their connections' backends, with the prioritize extension); 0: as high"
        ),
    )
    search_process: bool = Field(
        default=True,
        description=(
            "searches run in a child process of each worker (their own GIL: a read never"
            " waits for a search's Python); false: in threads of the worker, ~40 MB less"
        ),
    )
    answer_cache_mb: int = Field(
        default=8,
        ge=0,
        le=4096,
        description="per worker: answers kept per recipes version (search, read, pages); 0: off",
    )
    # Recipe import from a URL (see recipes/importer.py).
    import_allow_networks: Annotated[list[str], NoDecode] = Field(
        default=[], description="private networks imports may reach: tests and demos only"
    )
    import_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    import_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    import_parse_seconds: float = Field(
        default=5.0, gt=0, le=60, description="per page, in a child process killed past it"
    )
    import_parse_memory_mb: int = Field(
        default=256, ge=32, le=8192, description="address space a page's child may add"
    )
    import_max_concurrent: int = Field(default=2, ge=1, le=64, description="per worker")
    import_max_per_cook: int = Field(default=10, ge=1, description="per window")
    import_window_seconds: int = Field(default=600, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="larger bodies: 413")
    # Imports of another app's export (see recipes/imports/).
    import_upload_max_mb: int = Field(
        default=50, ge=1, le=2048, description="largest export upload (413 past it)"
    )
    import_max_entries: int = Field(
        default=20_000, ge=1, description="files an uploaded archive may hold, nested ones too"
    )
    import_max_unpacked_mb: int = Field(
        default=300, ge=1, le=16_384, description="what an uploaded archive may unpack to"
    )
    import_max_recipes: int = Field(default=5000, ge=1, description="recipes per upload")
    import_jobs_in_workers: bool = Field(default=True, description="each worker runs import jobs")
    import_job_poll_seconds: float = Field(default=2.0, gt=0, le=300)
    import_job_lease_seconds: float = Field(
        default=60.0, gt=0, description="a stopped worker's job is taken up after this"
    )
    import_job_batch: int = Field(default=25, ge=1, le=500, description="recipes per transaction")
    # Recipe photos (see the media package and docs/decisions/0019-photos.md).
    photo_max_mb: int = Field(default=10, ge=1, le=100, description="one photo's file, larger: 413")
    photo_max_pixels: int = Field(
        default=40_000_000, ge=10_000, le=100_000_000, description="width x height, more: 422"
    )
    photo_max_per_cook: int = Field(default=500, ge=1, description="photos one cook may keep")

    # Defaults for `recipe-api serve` (its flags win), under uvicorn's own variable
    # names so a container sets them from the environment.
    web_concurrency: int = Field(default=1, ge=1, le=64, description="worker processes")
    proxy_headers: bool = False
    forwarded_allow_ips: str = "127.0.0.1"

    # Accounts (see the auth package).
    secret_key: str | None = None
    secret_key_file: Path = Path.home() / ".config" / "recipe-api" / "secret_key"
    access_token_minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)
    first_superuser_email: str = "admin@recipeapi.com"
    first_superuser_password: str | None = None
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    login_max_failures: int = Field(default=5, ge=1, description="per email, per window")
    login_max_failures_per_client: int = Field(default=20, ge=1, description="per address")
    login_window_seconds: int = Field(default=900, ge=1)
    signup_max_per_client: int = Field(default=20, ge=1, description="per address, per window")
    signup_window_seconds: int = Field(default=3600, ge=1)
    hash_concurrency: int | None = Field(
        default=None, ge=1, description="Argon2 hashes at once per worker; unset: the cores"
    )
    hash_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    session_days: int = Field(default=14, ge=1, le=365, description="website log-in lifetime")

    # Email (see the email package). Without SMTP_HOST, emails are written to
    # EMAIL_OUTBOX_DIR and their links logged: everything works offline.
    # Unset, `recipe-api serve` sets it from its --host and --port (cli.py), so the
    # links follow `make run PORT=...`; the default is for everything else.
    public_base_url: str = Field(
        default="http://127.0.0.1:8001", description="where the links in emails point"
    )
    email_from: str = "Recipe API <no-reply@recipeapi.com>"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: bool = Field(default=False, description="TLS from the first byte (port 465)")
    smtp_starttls: bool = Field(default=True, description="upgrade with STARTTLS if offered")
    smtp_timeout: float = Field(default=10.0, gt=0, le=120)
    email_outbox_dir: Path = Path("outbox")
    outbox_poll_seconds: float = Field(default=2.0, gt=0, le=300)
    outbox_retry_seconds: float = Field(default=10.0, gt=0, description="first back-off")
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    outbox_lease_seconds: float = Field(default=120.0, gt=0, description="a claim's lifetime")
    outbox_sender: bool = Field(default=True, description="run the sender in each worker")
    verify_token_hours: int = Field(default=48, ge=1, le=24 * 30)
    reset_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    reset_max_per_email: int = Field(default=3, ge=1, description="per email, per window")
    reset_max_per_client: int = Field(default=20, ge=1, description="per address, per window")
    reset_window_seconds: int = Field(default=3600, ge=1)

    # Housekeeping (see db/prune.py): expired sessions and tokens, old sent emails.
    prune_in_workers: bool = Field(default=True, description="each worker prunes periodically")
    prune_interval_seconds: float = Field(default=3600.0, gt=0, le=7 * 24 * 3600)
    prune_sent_email_days: float = Field(
        default=7.0, ge=0, le=3650, description="how long sent emails stay listed"
    )
    import_job_keep_days: float = Field(
        default=30.0, ge=0, le=3650, description="how long finished import jobs stay readable"
    )
    prune_batch_size: int = Field(default=500, ge=1, le=5000, description="rows per delete")

    # Origins a separate frontend is served from; empty: no CORS headers at all.
    cors_origins: Annotated[list[str], NoDecode] = []

    # Recipe ideas from reddit (see the ideas package).
    reddit_base_url: str = "https://www.reddit.com"
    reddit_oauth_url: str = "https://oauth.reddit.com"
    reddit_client_id: str | None = None
    reddit_client_secret: str | None = None
    reddit_user_agent: str = "python:recipe-api:0.1.0 (by /u/recipe-api)"
    ideas_subreddits: Annotated[list[str], NoDecode] = [
        "recipes",
        "easyrecipes",
        "TopSecretRecipes",
    ]
    ideas_limit: int = Field(default=5, ge=1, le=25)
    ideas_deadline: float = Field(default=3.0, gt=0, le=60)
    ideas_cache_ttl: float = Field(default=300.0, ge=0)
    ideas_include_stickied: bool = False
    ideas_include_over_18: bool = False

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems: list[str] = []
        key = self.secret_key or ""
        if len(key) < MIN_SECRET_KEY_LENGTH or key.lower() in WEAK_SECRETS:
            problems.append(
                f"SECRET_KEY must be set to a random string of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters (e.g. `python -c 'import secrets; "
                f"print(secrets.token_urlsafe(48))'`)"
            )
        password = self.first_superuser_password or ""
        if len(password) < 12 or password.lower() in WEAK_SECRETS:
            problems.append("FIRST_SUPERUSER_PASSWORD must be set (at least 12 characters)")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @field_validator("first_superuser_email")
    @classmethod
    def _normalize_superuser_email(cls, value: str) -> str:
        return mailbox_address(value)

    @field_validator("import_allow_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            import ipaddress

            for network in value:
                ipaddress.ip_network(network, strict=False)  # a ValueError is a clear message
        return value

    @field_validator("ideas_subreddits", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
