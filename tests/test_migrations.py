"""The migrations take an empty database to head and back, on every backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from recipe_api.db import migrate
from recipe_api.db.base import metadata
from recipe_api.db.engine import Database, create_db_engine, normalize_url
from recipe_api.recipes.models import SEARCH_COLUMNS, SEARCH_INDEXES, SEARCH_TABLES
from recipe_api.recipes.search.query import SearchQuery
from recipe_api.recipes.search.service import _search as search_recipes
from tests.conftest import skip_or_fail


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        skip_or_fail("TEST_DATABASE_URL is not set, so the PostgreSQL runs are skipped")
    assert base is not None
    admin_dsn = normalize_url(base).set(drivername="postgresql").render_as_string(False)
    name = f"recipe_api_migrate_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL at TEST_DATABASE_URL does not answer: {exc}")
    yield normalize_url(base).set(database=name).render_as_string(False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _indexes(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        inspector = inspect(engine)
        return {
            str(index["name"])
            for table in ("recipe", "web_session", "account_token", "user", "recipe_word")
            if inspector.has_table(table)
            for index in inspector.get_indexes(table)
            if index["name"]
        }
    finally:
        engine.dispose()


def _declared_or_not_search(name: str | None, type_: str, _parents: object) -> bool:
    # The search index lives outside the metadata: an FTS5 table and its
    # shadow tables on SQLite, trigram expression indexes on PostgreSQL.
    if type_ == "table" and name is not None:
        return not any(name.startswith(table) for table in SEARCH_TABLES)
    if type_ == "column":
        return name not in SEARCH_COLUMNS
    return not (type_ == "index" and name in SEARCH_INDEXES)


def test_upgrade_to_head_and_back(empty_database: str) -> None:
    head = ScriptDirectory.from_config(migrate.alembic_config(empty_database)).get_current_head()
    migrate.upgrade(empty_database)
    assert {"user", "recipe", "web_session", "alembic_version"} <= _tables(empty_database)
    assert migrate.current_revision(empty_database) == head

    # The migrated schema is exactly what the code declares.
    engine = create_db_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_name": _declared_or_not_search}
            )
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []

    migrate.downgrade(empty_database, "base")
    assert _tables(empty_database) <= {"alembic_version"}
    assert migrate.current_revision(empty_database) is None
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == head


def test_script_head_agrees_with_alembic() -> None:
    """/health/ready reads the head from the files without alembic; alembic must agree."""
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert migrate.script_head() == scripts.get_current_head()


def _insert_users(url: str, emails: list[str]) -> None:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            for email in emails:
                connection.execute(
                    text('INSERT INTO "user" (email) VALUES (:email)'), {"email": email}
                )
    finally:
        engine.dispose()


def _emails(url: str) -> list[str]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text('SELECT email FROM "user" ORDER BY id')).scalars())
    finally:
        engine.dispose()


def test_0002_normalizes_existing_emails(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0001")
    # What revision 0001 let in: lower-cased, but not NFKC nor case-folded.
    _insert_users(
        empty_database,
        ["\uff43\uff4f\uff4f\uff4b@example.com", "ann@example.com", "stra\u00dfe@example.com"],
    )
    migrate.upgrade(empty_database, "0002")
    assert _emails(empty_database) == [
        "cook@example.com",
        "ann@example.com",
        "strasse@example.com",
    ]
    assert migrate.current_revision(empty_database) == "0002"


def test_0002_refuses_emails_that_collide(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0001")
    before = ["cook@example.com", "\uff43\uff4f\uff4f\uff4b@example.com", "ann@example.com"]
    _insert_users(empty_database, before)
    with pytest.raises(RuntimeError, match=r"cook@example.com: id 1 \(cook@example.com\), id 2"):
        migrate.upgrade(empty_database, "0002")
    # Nothing changed, nothing lost: the operator resolves the pair and upgrades again.
    assert _emails(empty_database) == before
    assert migrate.current_revision(empty_database) == "0001"


def test_0011_keeps_emails_and_keys_them_and_goes_back(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0009")
    # What 0002 stored: case-folded and NFKC already.
    _insert_users(empty_database, ["cook@example.com", "strasse@example.com"])
    migrate.upgrade(empty_database, "0011")
    rows = _run(empty_database, 'SELECT email, email_key FROM "user" ORDER BY id')
    assert rows == [("cook@example.com",) * 2, ("strasse@example.com",) * 2]
    # What 0011 lets in: the address as typed beside its key.
    _run(
        empty_database,
        'INSERT INTO "user" (email, email_key) VALUES (:email, :key)',
        {"email": "Ann@example.com", "key": "ann@example.com"},
    )
    with pytest.raises(Exception, match=r"(?i)unique"):
        _run(
            empty_database,
            'INSERT INTO "user" (email, email_key) VALUES (:email, :key)',
            {"email": "ANN@example.com", "key": "ann@example.com"},
        )
    migrate.downgrade(empty_database, "0009")
    assert _emails(empty_database) == [
        "cook@example.com",
        "strasse@example.com",
        "ann@example.com",
    ]
    migrate.upgrade(empty_database)
    assert _emails(empty_database)[2] == "ann@example.com"


def test_0011_downgrade_refuses_emails_that_would_collide(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0011")
    for email in ("strasse@example.com", "stra\u00dfe@example.com"):
        _run(
            empty_database,
            'INSERT INTO "user" (email, email_key) VALUES (:email, :email)',
            {"email": email},
        )
    with pytest.raises(RuntimeError, match=r"strasse@example.com: id 1 .*, id 2"):
        migrate.downgrade(empty_database, "0009")
    assert migrate.current_revision(empty_database) == "0011"
    assert _emails(empty_database) == ["strasse@example.com", "stra\u00dfe@example.com"]


def _run(
    url: str, statement: str, params: dict[str, object] | None = None
) -> list[tuple[object, ...]]:
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), params or {})
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def test_0005_carries_recipes_forward_and_back(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0002")
    _insert_users(empty_database, ["cook@example.com"])
    for label in ["Chicken soup", "Lentil stew"]:
        _run(
            empty_database,
            "INSERT INTO recipe (label, url, source, submitter_id) "
            "VALUES (:l, 'https://e.com', 'S', 1)",
            {"l": label},
        )
    migrate.upgrade(empty_database)
    # Existing rows: empty details, indexed for search, counted.
    rows = _run(empty_database, "SELECT label, description, prep_minutes FROM recipe ORDER BY id")
    assert rows == [("Chicken soup", "", None), ("Lentil stew", "", None)]
    assert _run(empty_database, "SELECT recipes FROM recipe_count") == [(2,)]
    db = Database.from_url(empty_database)
    try:
        found = db.run_sync(search_recipes, SearchQuery(keyword="SOUPS"), 10, None).results
        assert [row.label for row in found] == ["Chicken soup"]
        _run(
            empty_database,
            "UPDATE recipe SET description = 'warming', tags = '[\"winter\"]' WHERE id = 2",
        )
        found = db.run_sync(search_recipes, SearchQuery(tag="winter"), 10, None).results
        assert [row.label for row in found] == ["Lentil stew"]
        found = db.run_sync(search_recipes, SearchQuery(keyword="wintry warming"), 10, None).results
        assert [row.label for row in found] == ["Lentil stew"]
    finally:
        db.dispose()
    migrate.downgrade(empty_database, "0002")
    assert _run(empty_database, "SELECT label, url FROM recipe ORDER BY id") == [
        ("Chicken soup", "https://e.com"),
        ("Lentil stew", "https://e.com"),
    ]
    assert "recipe_count" not in _tables(empty_database)
    migrate.upgrade(empty_database)
    assert _run(empty_database, "SELECT recipes FROM recipe_count") == [(2,)]


def _url_column_type(url: str) -> str:
    engine = create_db_engine(url)
    try:
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("recipe")}
    finally:
        engine.dispose()
    return str(columns["url"]).upper()


def _scalar(url: str, sql: str) -> object:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def _has_prioritize(url: str) -> bool:
    return bool(_scalar(url, "SELECT count(*) FROM pg_extension WHERE extname = 'prioritize'"))


def _prioritize_available(url: str) -> bool:
    return bool(
        _scalar(url, "SELECT count(*) FROM pg_available_extensions WHERE name = 'prioritize'")
    )


def test_one_line_of_revisions_stepped_down_one_at_a_time(empty_database: str) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_database))
    # Newest first; one head, so the branches' migrations were put in one line:
    # the website's sessions (0004) come after the URL as text (0003), the
    # recipe details (0005) after both, the email outbox (0006), the recipes version (0007),
    # the ingredient words index (0008), the expiry indexes of the prune (0009),
    # the recipe revision and saved-idea key (0010), the email keys (0011), the word
    # search (0012), the old trigram search indexes dropped (0014), the meal plan and
    # shopping list (0018), the recipe photos (0020), the import jobs (0021), private
    # recipes and favourites (0022), the search's indexes for several words and for time (0023),
    # the import jobs' waiting photos (0024), the typo vocabulary of public recipes
    # only and a cook's recipes by index (0025), a tag within N minutes and the
    # vocabulary by stem (0026), the prioritize extension where there is one (0027),
    # the name index with what visibility reads (0028), the ingredients' words (0029).
    revisions = [rev.revision for rev in script.walk_revisions()]
    assert revisions == [
        "0029", "0028", "0027", "0026", "0025", "0024", "0023", "0022", "0021", "0020", "0018",
        "0014",
        *(f"{n:04d}" for n in range(12, 0, -1)),
    ]  # fmt: skip
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == "0029"
    if empty_database.startswith("sqlite"):
        assert "recipe_ingredient_words_fts" in _tables(empty_database)
    migrate.downgrade(empty_database, "0028")
    assert "recipe_ingredient_words_fts" not in _tables(empty_database)
    name_visible = {"ix_recipe_label_nocase_visible"}
    if empty_database.startswith("sqlite"):
        assert name_visible <= _indexes(empty_database)
        assert "ix_recipe_label_nocase" not in _indexes(empty_database)
    if empty_database.startswith("postgresql"):
        assert _has_prioritize(empty_database) == _prioritize_available(empty_database)
    migrate.downgrade(empty_database, "0027")
    assert not name_visible & _indexes(empty_database)
    assert {"ix_recipe_label_nocase", "ix_recipe_label_lower"} & _indexes(empty_database)
    migrate.downgrade(empty_database, "0026")
    tags_within = {"ix_recipe_tags_within", "ix_recipe_word_english"}
    if empty_database.startswith("postgresql"):
        assert tags_within <= _indexes(empty_database)
    migrate.downgrade(empty_database, "0025")
    assert not tags_within & _indexes(empty_database)
    assert "ix_recipe_submitter_id_created_at_id" in _indexes(empty_database)
    if empty_database.startswith("sqlite"):
        assert "recipe_name_fts" in _tables(empty_database)
    migrate.downgrade(empty_database, "0024")
    assert migrate.current_revision(empty_database) == "0024"
    assert "ix_recipe_submitter_id_created_at_id" not in _indexes(empty_database)
    assert "recipe_name_fts" not in _tables(empty_database)
    assert "recipe_import_photo" in _tables(empty_database)
    migrate.downgrade(empty_database, "0023")
    assert "recipe_import_photo" not in _tables(empty_database)
    assert "ix_recipe_import_finished_at" not in _indexes(empty_database)
    assert "ix_recipe_total_minutes" in _indexes(empty_database)
    if empty_database.startswith("postgresql"):
        assert "ix_recipe_search_all" in _indexes(empty_database)
    migrate.downgrade(empty_database, "0022")
    assert not {"ix_recipe_total_minutes", "ix_recipe_search_all"} & _indexes(empty_database)
    assert "favourite" in _tables(empty_database)
    assert "ix_recipe_private_submitter_id" in _indexes(empty_database)
    migrate.downgrade(empty_database, "0021")
    assert "favourite" not in _tables(empty_database)
    assert "ix_recipe_private_submitter_id" not in _indexes(empty_database)
    assert "recipe_import" in _tables(empty_database)
    assert {"photo", "photo_file"} <= _tables(empty_database)
    migrate.downgrade(empty_database, "0020")
    assert "recipe_import" not in _tables(empty_database)
    migrate.downgrade(empty_database, "0018")
    assert not {"photo", "photo_file"} & _tables(empty_database)
    assert migrate.current_revision(empty_database) == "0018"
    assert {"meal_plan_entry", "shopping_line", "shopping_aisle"} <= _tables(empty_database)
    migrate.downgrade(empty_database, "0014")
    assert not {"meal_plan_entry", "shopping_line", "shopping_aisle"} & _tables(empty_database)
    assert migrate.current_revision(empty_database) == "0014"
    trigram = {"recipe_label_fts", "recipe_description_fts"}
    trigram_indexes = {"ix_recipe_label_trgm", "ix_recipe_ingredients_words"}
    assert not trigram & _tables(empty_database)
    assert not trigram_indexes & _indexes(empty_database)
    migrate.downgrade(empty_database, "0012")
    if empty_database.startswith("postgresql"):
        assert trigram_indexes <= _indexes(empty_database)
    else:
        assert trigram <= _tables(empty_database)
    assert {"ix_recipe_label_nocase", "ix_recipe_label_lower"} & _indexes(empty_database)
    migrate.downgrade(empty_database, "0011")
    assert not {"ix_recipe_label_nocase", "ix_recipe_label_lower"} & _indexes(empty_database)
    assert not {"recipe_search_fts", "recipe_word"} & _tables(empty_database)
    assert "ix_user_email_key" in _indexes(empty_database)
    migrate.downgrade(empty_database, "0010")
    assert "ix_user_email_key" not in _indexes(empty_database)
    assert "ix_user_email" in _indexes(empty_database)
    assert "ix_recipe_submitter_id_idea_url" in _indexes(empty_database)
    migrate.downgrade(empty_database, "0009")
    assert "ix_recipe_submitter_id_idea_url" not in _indexes(empty_database)
    assert migrate.current_revision(empty_database) == "0009"
    migrate.downgrade(empty_database, "0008")
    assert not {"ix_web_session_expires_at", "ix_account_token_expires_at"} & _indexes(
        empty_database
    )
    migrate.downgrade(empty_database, "0007")
    assert migrate.current_revision(empty_database) == "0007"
    assert "ix_recipe_ingredients_words" not in _indexes(empty_database)
    migrate.downgrade(empty_database, "0006")
    assert "recipe_version" not in _tables(empty_database)
    assert "email_outbox" in _tables(empty_database)
    migrate.downgrade(empty_database, "0005")
    assert {"email_outbox", "account_token"}.isdisjoint(_tables(empty_database))
    assert "recipe_count" in _tables(empty_database)
    migrate.downgrade(empty_database, "0004")
    assert "recipe_count" not in _tables(empty_database)
    assert "web_session" in _tables(empty_database)
    migrate.downgrade(empty_database, "0003")
    assert migrate.current_revision(empty_database) == "0003"
    assert "web_session" not in _tables(empty_database)
    assert _url_column_type(empty_database) == "TEXT"
    migrate.downgrade(empty_database, "0002")
    assert migrate.current_revision(empty_database) == "0002"
    assert _url_column_type(empty_database).startswith("VARCHAR")
    assert {"user", "recipe"} <= _tables(empty_database)
    migrate.downgrade(empty_database, "0001")
    assert migrate.current_revision(empty_database) == "0001"
    migrate.upgrade(empty_database, "0003")
    assert "web_session" not in _tables(empty_database)
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == "0029"
    assert {"ix_web_session_expires_at", "ix_account_token_expires_at"} <= _indexes(empty_database)
    assert "ix_recipe_ingredients_words" not in _indexes(empty_database)
    assert {
        "web_session",
        "email_outbox",
        "account_token",
        "recipe_count",
        "recipe_version",
    } <= _tables(empty_database)
    assert _url_column_type(empty_database) == "TEXT"
