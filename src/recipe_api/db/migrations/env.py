from __future__ import annotations

from alembic import context

from recipe_api.auth import models as _auth  # noqa: F401  (registers the tables)
from recipe_api.db.base import metadata
from recipe_api.db.engine import create_db_engine
from recipe_api.email import models as _email  # noqa: F401
from recipe_api.favourites import models as _favourites  # noqa: F401
from recipe_api.mealplan import models as _mealplan  # noqa: F401
from recipe_api.media import models as _media  # noqa: F401
from recipe_api.recipes import models as _recipes  # noqa: F401
from recipe_api.recipes.imports import models as _imports  # noqa: F401
from recipe_api.shopping import models as _shopping  # noqa: F401
from recipe_api.users import models as _users  # noqa: F401

config = context.config
target_metadata = metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Batch mode copies a table and drops the old one; with foreign
                # keys enforced, dropping "user" would cascade-delete every
                # recipe (a downgrade of 0006 did). The pragma only takes
                # effect outside a transaction, hence the commit.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite alters tables by copying them; batch mode does that.
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
