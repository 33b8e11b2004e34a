"""``make bench-scale``: the recipe endpoints at 1k, 100k and 1M recipes, SQLite and PostgreSQL.

Each database is built once with ``recipe-api db seed --demo N`` and kept
(SQLite files under ``~/.cache/recipe-api/bench-scale``, PostgreSQL databases
``recipe_api_scale_<N>``), since building a million recipes takes minutes;
``--rebuild`` starts over. Then one ``recipe-api serve`` worker per database
is driven by ``bench/loadgen.py``:

- one client per path for ``--seconds`` (p50/p99 of single requests): search
  for a common, a rare and an absent word (and the other shapes of
  ``SEARCHES``), the website's search page with its facets, the first list
  page, a page deep in the list (by cursor), the home page, a read by id;
- the loop-blocking figure: the read's p99 while two other clients search
  without pause, beside the read while two other clients read; the two p99s
  of every round pooled give the ratio issue 21 holds to 2x (``--only loop``
  measures this alone);
- at 100,000 recipes and more, "my recipes" and "my favourites" (first page
  and a page half way by cursor) of a cook holding ``COOK_RECIPES`` of the
  recipes and as many favourites (made once in each database, see ``_cook``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, free_port, server
from loadgen import LoadResult, run_load

# BENCH_SCALE_DIR / BENCH_SCALE_PREFIX keep one checkout's databases apart from another's.
CACHE = Path(
    os.environ.get("BENCH_SCALE_DIR", Path.home() / ".cache" / "recipe-api" / "bench-scale")
)
PREFIX = os.environ.get("BENCH_SCALE_PREFIX", "recipe_api_scale_")
SEARCHES = {
    "search common": "keyword=chicken",
    "search rare": "keyword=quince",
    "search absent": "keyword=zzqxv",
    "search three words": "keyword=chicken%20garlic%20rice",
    "search typo": "keyword=chiken",
    "search words, one absent": "keyword=chicken%20zzqxv",
    "search browse tag": "tag=vegan",
    # A tag in one recipe in eight, in no label or ingredient line, though its
    # trigrams are in most ingredient lists ("vegetable", "vinegar", "oregano").
    "search tag word": "keyword=vegan",
    # Words in most recipes, but few of them ready in 10 minutes (one in thirty).
    "search common, quick": "keyword=minced&max_total_minutes=10",
    "search tag, quick": "tag=vegan&max_total_minutes=10",
}
# What the two busy clients search for in the loop-blocking figure: the
# slowest kinds, an absent word and one found only in ingredient lines.
BUSY_SEARCHES = ["keyword=qzxwv", "keyword=minced"]
# The cook of the "my recipes" rows: one recipe in a hundred is theirs, the next one
# of each hundred their favourite (10,000 of each at a million).
COOK_EMAIL = "cook10k@bench.example"
COOK_EVERY = 100
# The servers' secret, so the list's deep cursor (signed with it) is one they accept.
SECRET_KEY = "bench-scale secret key, not for any real server 0123456789"


def _cli(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "FIRST_SUPERUSER_PASSWORD": "bench password 123"}
    subprocess.run(
        [sys.executable, "-m", "recipe_api.cli", *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _sqlite_url(size: int, rebuild: bool) -> str:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"recipes_{size}.db"
    url = f"sqlite:///{path}"
    if rebuild or not path.exists():
        for old in CACHE.glob(f"recipes_{size}.db*"):
            old.unlink()
        print(f"building {path} ({size:,} recipes)...", flush=True)
        _cli(url, "db", "upgrade")
        _cli(url, "db", "seed", "--demo", str(size))
    return url


def _postgres_url(base: str, size: int, rebuild: bool) -> str:
    import psycopg

    from recipe_api.db.engine import normalize_url

    admin = normalize_url(base).set(drivername="postgresql").render_as_string(False)
    name = f"{PREFIX}{size}{os.environ.get('BENCH_SCALE_SUFFIX', '')}"
    url = normalize_url(base).set(database=name).render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists and not rebuild:
            return url
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    print(f"building {name} ({size:,} recipes)...", flush=True)
    _cli(url, "db", "upgrade")
    _cli(url, "db", "seed", "--demo", str(size))
    with psycopg.connect(normalize_url(url).set(drivername="postgresql").render_as_string(False),
                         autocommit=True) as connection:  # fmt: skip
        connection.execute("VACUUM ANALYZE recipe")
    return url


def _deep_cursor(url: str, size: int) -> str:
    """The cursor of the page 90% of the way down the list."""
    from sqlalchemy import text

    from recipe_api.db.engine import Database
    from recipe_api.recipes.models import recipe_table
    from recipe_api.recipes.service import Cursor, cursor_key

    db = Database.from_url(url)
    try:
        with db.engine.connect() as connection:
            target = max(1, size // 10)
            row = (
                connection.execute(recipe_table.select().where(recipe_table.c.id == target))
                .mappings()
                .one()
            )
            connection.execute(text("SELECT 1"))
    finally:
        db.dispose()
    cursor = Cursor(after_id=row["id"], after_created_at=row["created_at"])
    return cursor.encode(cursor_key(SECRET_KEY))


def _cook(url: str, size: int) -> tuple[int, str, str]:
    """The cook (made once: ``size // COOK_EVERY`` recipes and favourites), and two cursors.

    The cursors are of the page half way down their recipes and their favourites.
    """
    from datetime import UTC, datetime

    from sqlalchemy import text

    from recipe_api.db.engine import Database
    from recipe_api.recipes.service import Cursor, cursor_key

    db = Database.from_url(url)
    user = "user" if url.startswith("sqlite") else '"user"'
    find = text(f"SELECT id FROM {user} WHERE email = :email")
    try:
        with db.engine.begin() as connection:
            cook = connection.execute(find, {"email": COOK_EMAIL}).scalar()
            if cook is None:
                print(f"giving a cook 1 in {COOK_EVERY} recipes...", flush=True)
                connection.execute(
                    text(
                        f"INSERT INTO {user} (email, email_key, hashed_password, is_superuser)"
                        " VALUES (:email, :email, 'x', false)"
                    ),
                    {"email": COOK_EMAIL},
                )
                cook = connection.execute(find, {"email": COOK_EMAIL}).scalar_one()
                every = {"cook": cook, "every": COOK_EVERY}
                connection.execute(
                    text("UPDATE recipe SET submitter_id = :cook WHERE id % :every = 0"), every
                )
                connection.execute(
                    text(
                        "INSERT INTO favourite (user_id, recipe_id, created_at)"
                        " SELECT :cook, id, created_at FROM recipe WHERE id % :every = 1"
                    ),
                    every,
                )
        if not url.startswith("sqlite"):
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE recipe, favourite")
                )
        with db.engine.connect() as connection:
            half = {"cook": cook, "half": size // COOK_EVERY // 2}
            mine = connection.execute(
                text(
                    "SELECT id, created_at FROM recipe WHERE submitter_id = :cook"
                    " ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET :half"
                ),
                half,
            ).one()
            liked = connection.execute(
                text(
                    "SELECT recipe_id, created_at FROM favourite WHERE user_id = :cook"
                    " ORDER BY created_at DESC, recipe_id DESC LIMIT 1 OFFSET :half"
                ),
                half,
            ).one()
    finally:
        db.dispose()

    def stamp(value: object) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

    key = cursor_key(SECRET_KEY)
    return (
        int(cook),
        Cursor(after_id=mine[0], after_created_at=stamp(mine[1])).encode(key),
        Cursor(after_id=liked[0], after_created_at=stamp(liked[1])).encode(key),
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _one(port: int, path: str, seconds: float, token: str | None = None) -> LoadResult:
    request_of = None
    if token is not None:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: loadgen\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()

        def request_of() -> bytes:
            return request

    return asyncio.run(
        run_load(
            "127.0.0.1", port, path, concurrency=1, duration=seconds, warmup=0.3,
            request_of=request_of,
        )
    )  # fmt: skip


async def _read_while(
    port: int, read: str, others: list[str], seconds: float
) -> tuple[LoadResult, LoadResult]:
    """The read's figures while two other clients load ``others`` on the same worker, and theirs."""
    busy = [
        run_load("127.0.0.1", port, path, concurrency=1, duration=seconds + 0.6, warmup=0.0)
        for path in others
    ]
    reads = run_load("127.0.0.1", port, read, concurrency=1, duration=seconds, warmup=0.3)
    results = await asyncio.gather(reads, *busy)
    return results[0], _pooled(list(results[1:]))


def _paths(url: str, size: int) -> dict[str, str]:
    paths = {name: f"/api/v1/recipes/search/?{query}" for name, query in SEARCHES.items()}
    # The website's search page: the same search, plus its facets (counts per tag,
    # cuisine and category over at most 1,000 matches) and the HTML.
    paths["web search common + facets"] = "/search?q=chicken"
    paths["web search three words + facets"] = "/search?q=chicken%20garlic%20rice"
    paths["web browse tag + facets"] = "/search?tag=vegan"
    paths["list page 1"] = "/api/v1/recipes/?limit=20"
    # Half way down the recipes with the word in name and ingredients (tier 3).
    from recipe_api.recipes.search.query import SearchCursor

    deep = SearchCursor(tier=3, after=size // 2, mode="all").encode()
    paths["search deep page"] = f"/api/v1/recipes/search/?keyword=chicken&cursor={deep}"
    paths["list deep (cursor)"] = f"/api/v1/recipes/?limit=20&cursor={_deep_cursor(url, size)}"
    paths["home"] = "/"
    paths["read"] = f"/api/v1/recipes/{max(1, size // 2)}"
    if size >= 100_000:
        # The cook's own pages (with their token: see measure).
        _, mine, liked = _cook(url, size)
        paths["my recipes"] = "/api/v1/recipes/my-recipes/?limit=20"
        paths["my recipes deep (cursor)"] = f"/api/v1/recipes/my-recipes/?limit=20&cursor={mine}"
        paths["my favourites"] = "/api/v1/favourites/?limit=20"
        paths["my favourites deep (cursor)"] = f"/api/v1/favourites/?limit=20&cursor={liked}"
    return paths


def _median(runs: list[LoadResult]) -> LoadResult:
    return sorted(runs, key=lambda r: r.percentile(99))[len(runs) // 2]


def _pooled(runs: list[LoadResult]) -> LoadResult:
    """Every round's requests as one run: a p99 of all of them, not of one round."""
    pooled = LoadResult(runs[0].path, runs[0].concurrency, sum(r.seconds for r in runs))
    for run in runs:
        pooled.latencies.extend(run.latencies)
        for status, count in run.statuses.items():
            pooled.statuses[status] = pooled.statuses.get(status, 0) + count
    return pooled


@dataclass(frozen=True)
class Source:
    """What one server runs: a checkout's ``src`` (None: this one) and settings of its own."""

    src: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def _variant(text: str) -> tuple[str, Source]:
    """``LABEL`` or ``LABEL:NAME=VALUE,NAME=VALUE``: this checkout served with those settings."""
    label, _, settings = text.partition(":")
    env = {}
    for part in filter(None, settings.split(",")):
        name, sep, value = part.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"{part!r}: NAME=VALUE expected")
        env[name.strip()] = value.strip()
    return f" {label}", Source(None, env)


LOOP_ROWS = ("read, 2 clients searching", "read, 2 clients reading")


def measure(
    url: str,
    size: int,
    seconds: float,
    sources: dict[str, Source],
    rounds: int,
    only_loop: bool = False,
) -> dict[str, dict[str, list[LoadResult]]]:
    """Per source, each path's runs (``rounds`` of them).

    The sources' servers run at once and take turns path by path, ``rounds``
    times, the first to go changing from round to round. ``only_loop``: the
    loop-blocking rows alone (and no cook made: nothing is written).
    """
    paths = {"read": f"/api/v1/recipes/{max(1, size // 2)}"} if only_loop else _paths(url, size)
    token = None
    if any(name.startswith("my ") for name in paths):
        from datetime import timedelta

        from recipe_api.auth.security import Tokens

        cook, _, _ = _cook(url, size)
        token = Tokens(secret_key=SECRET_KEY, lifetime=timedelta(hours=2)).issue(cook)
    runs: dict[str, dict[str, list[LoadResult]]] = {name: {} for name in sources}
    with contextlib.ExitStack() as stack:
        ports = {}
        for name, source in sources.items():
            port = ports[name] = free_port()
            # The answer cache off: these rows measure the search and the pages themselves,
            # not a cached answer (which `make bench` measures).
            env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "ANSWER_CACHE_MB": "0",
                   "SECRET_KEY": SECRET_KEY, **source.env}  # fmt: skip
            if source.src is not None:
                env["PYTHONPATH"] = source.src
            argv = [sys.executable, "-m", "recipe_api.cli", "serve", "--no-migrate",
                    "--no-access-log", "--port", str(port)]  # fmt: skip
            stack.enter_context(server(argv, port, env, ready_path="/health/live"))
        # The loop-blocking figure, and beside it the same two clients reading
        # instead: on one event loop any other client's requests delay a read a
        # little, so that row is the floor the searching row can be held to.
        searching = [f"/api/v1/recipes/search/?{query}" for query in BUSY_SEARCHES]
        reading = [f"/api/v1/recipes/{n}" for n in (1, max(1, size // 3))]
        loop_rows = list(zip(LOOP_ROWS, (searching, reading), strict=True))
        for turn in range(rounds):
            # Who goes first changes every round: the machine's load drifts.
            order = list(ports.items())
            order = order[turn % len(order) :] + order[: turn % len(order)]
            if not only_loop:
                for path_name, path in paths.items():
                    mine = token if path_name.startswith("my ") else None
                    for name, port in order:
                        result = _one(port, path, seconds, mine)
                        runs[name].setdefault(path_name, []).append(result)
            for name, port in order:
                for label, others in loop_rows if turn % 2 == 0 else loop_rows[::-1]:
                    read, beside = asyncio.run(_read_while(port, paths["read"], others, seconds))
                    runs[name].setdefault(label, []).append(read)
                    runs[name].setdefault(f"{label}: theirs", []).append(beside)
    return runs


def _loop_ratios(table: dict[str, dict[str, list[LoadResult]]]) -> None:
    """Per column: the read's p99 beside two searching clients over beside two reading ones."""
    print("\nThe read beside two searching clients / beside two reading clients, p99:")
    print(
        "| column | beside searching | beside reading | pooled ratio | ratio per round"
        " | the two searchers' searches/s (errors) |"
    )
    print("|---|---:|---:|---:|---|---:|")
    for column, rows in table.items():
        searching, reading = (rows[label] for label in LOOP_ROWS)
        searches = _pooled(rows[f"{LOOP_ROWS[0]}: theirs"])
        failed = sum(count for status, count in searches.statuses.items() if status >= 400)
        pooled = _pooled(searching).percentile(99) / _pooled(reading).percentile(99)
        per_round = [
            s.percentile(99) / r.percentile(99) for s, r in zip(searching, reading, strict=True)
        ]
        print(
            f"| {column} | {_ms(_pooled(searching).percentile(99))} ms"
            f" ({_pooled(searching).count} reads) | {_ms(_pooled(reading).percentile(99))} ms"
            f" ({_pooled(reading).count}) | **{pooled:.2f}x** |"
            f" {', '.join(f'{ratio:.2f}' for ratio in per_round)} |"
            f" {searches.count / (searches.seconds / 2):,.0f} ({failed}) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL"))
    parser.add_argument("--backends", default="SQLite,PostgreSQL")
    parser.add_argument("--seconds", type=float, default=2.0, help="per path and size")
    parser.add_argument("--rounds", type=int, default=1, help="runs per row (the median shown)")
    parser.add_argument(
        "--baseline", help="another checkout's src/, served beside this one, for before/after"
    )
    parser.add_argument(
        "--variant",
        action="append",
        type=_variant,
        default=[],
        metavar="LABEL[:NAME=VALUE,...]",
        help="this checkout served once more with these settings (repeatable), beside the rest",
    )
    parser.add_argument(
        "--only", choices=["loop"], help="loop: only the read beside searching / reading clients"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    args = parser.parse_args()
    sizes = [int(part) for part in args.sizes.split(",")]
    known = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    asked = [part.strip().lower() for part in args.backends.split(",")]
    if unknown := [part for part in asked if part not in known]:
        parser.error(f"--backends: unknown {', '.join(unknown)} (of: SQLite, PostgreSQL)")
    backends = [known[b] for b in asked if b == "sqlite" or args.postgres]
    if not backends:
        parser.error("--backends PostgreSQL needs --postgres URL (or BENCH_POSTGRES_URL)")
    sources: dict[str, Source] = {"": Source()}
    if args.baseline:
        sources = {" before": Source(args.baseline), "": Source()}
    if args.variant:
        sources = {name: source for name, source in sources.items() if name} | dict(args.variant)
    table: dict[str, dict[str, list[LoadResult]]] = {}
    for backend in backends:
        for size in sizes:
            if backend == "SQLite":
                url = _sqlite_url(size, args.rebuild)
            else:
                url = _postgres_url(args.postgres, size, args.rebuild)
            print(f"measuring {backend} at {size:,} (load average {_load()})...", flush=True)
            results = measure(url, size, args.seconds, sources, args.rounds, args.only == "loop")
            for name, rows in results.items():
                table[f"{backend} {size:,}{name}"] = rows
            print(f"done (load average {_load()})", flush=True)
    names = list(next(iter(table.values())))
    print(f"\nOne worker, one client per row; p50 / p99 in ms (req/s); median of {args.rounds}\n")
    print(f"| request | {' | '.join(table)} |")
    print("|---|" + "---:|" * len(table))
    for name in names:
        cells = []
        for results in table.values():
            result = _median(results[name])
            cells.append(
                f"{_ms(result.median)} / {_ms(result.percentile(99))} ({result.rps:,.0f})"
                + (f" {sum(result.statuses.get(s, 0) for s in result.statuses if s >= 400)} err"
                   if any(s >= 400 for s in result.statuses) else "")
            )  # fmt: skip
        print(f"| {name} | " + " | ".join(cells) + " |")
    _loop_ratios(table)
    print(f"\nload average at the end: {_load()}")


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
