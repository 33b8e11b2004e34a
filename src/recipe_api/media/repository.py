"""Queries on photos. No function here commits: ``Database.run`` does."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from sqlalchemy import (
    Connection,
    Integer,
    RowMapping,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from recipe_api.media.images import PreparedPhoto
from recipe_api.media.models import photo_file_table, photo_table
from recipe_api.recipes.models import recipe_table, recipe_version_table

_p = photo_table.c
_f = photo_file_table.c
# What a card or a page needs to write its <img>: never the files.
_PHOTO = select(_p.id, _p.recipe_id, _p.content_hash, _p.width, _p.height)


def photo_of(connection: Connection, recipe_id: int) -> RowMapping | None:
    return connection.execute(_PHOTO.where(_p.recipe_id == recipe_id)).mappings().first()


# Built once: SQLAlchemy compiles it once and expands the list per call.
_PHOTOS = _PHOTO.where(_p.recipe_id.in_(bindparam("recipe_ids", expanding=True)))


def photos_of(connection: Connection, recipe_ids: Collection[int]) -> Sequence[RowMapping]:
    if not recipe_ids:
        return []
    return connection.execute(_PHOTOS, {"recipe_ids": sorted(recipe_ids)}).mappings().all()


# A page's cards (25 on the home page, 50 on the search page) in one statement of
# fixed shape, which ``Database.read_statement`` compiles once and runs on the
# driver's own connection; the list padded with its first id. The expanding IN
# above is compiled anew for each list (about a fifth of the home page's time
# without the answer cache, decision 0031).
PHOTOS_AT_ONCE = 50
PHOTOS_OF_PAGE = _PHOTO.where(
    _p.recipe_id.in_([bindparam(f"id_{n}", type_=Integer) for n in range(PHOTOS_AT_ONCE)])
)


def page_parameters(recipe_ids: Sequence[int]) -> dict[str, int]:
    """``PHOTOS_OF_PAGE``'s parameters for 1 to ``PHOTOS_AT_ONCE`` recipe ids."""
    padded = [*recipe_ids, *[recipe_ids[0]] * (PHOTOS_AT_ONCE - len(recipe_ids))]
    return {f"id_{n}": recipe_id for n, recipe_id in enumerate(padded)}


def widths_of(connection: Connection, photo_id: int) -> list[int]:
    statement = select(_f.width).where(_f.photo_id == photo_id).order_by(_f.width)
    return list(connection.execute(statement).scalars())


def photo_count(connection: Connection, cook_id: int) -> int:
    statement = select(func.count()).select_from(photo_table).where(_p.cook_id == cook_id)
    return int(connection.execute(statement).scalar_one())


def file_data(connection: Connection, photo_id: int, content_hash: str, width: int) -> bytes | None:
    statement = (
        select(_f.data)
        .join(photo_table, _p.id == _f.photo_id)
        .where(_f.photo_id == photo_id, _f.width == width, _p.content_hash == content_hash)
    )
    data: bytes | None = connection.execute(statement).scalar_one_or_none()
    return data


def largest_files_of_cook(connection: Connection, cook_id: int) -> Iterator[tuple[int, bytes]]:
    """(recipe id, WebP bytes) of the largest rendition of each photo of the cook's recipes."""
    r = recipe_table.c
    statement = (
        select(_p.recipe_id, _f.data)
        .join(photo_file_table, (_f.photo_id == _p.id) & (_f.width == _p.width))
        .join(recipe_table, r.id == _p.recipe_id)
        .where(r.submitter_id == cook_id)
        .order_by(_p.recipe_id)
    )
    for row in connection.execute(statement):
        yield int(row.recipe_id), bytes(row.data)


def remove_photo(connection: Connection, recipe_id: int) -> bool:
    removed = connection.execute(delete(photo_table).where(_p.recipe_id == recipe_id)).rowcount > 0
    if removed:
        _recipes_changed(connection)
    return removed


def add_photo(
    connection: Connection, recipe_id: int, cook_id: int, prepared: PreparedPhoto, origin: str
) -> RowMapping:
    # Delete then insert: a new id, so every URL of the old photo stops answering.
    connection.execute(delete(photo_table).where(_p.recipe_id == recipe_id))
    largest = prepared.largest
    row = (
        connection.execute(
            insert(photo_table)
            .values(
                recipe_id=recipe_id,
                cook_id=cook_id,
                content_hash=prepared.content_hash,
                width=largest.width,
                height=largest.height,
                origin=origin,
            )
            .returning(_p.id, _p.recipe_id, _p.content_hash, _p.width, _p.height)
        )
        .mappings()
        .one()
    )
    connection.execute(
        insert(photo_file_table),
        [
            {"photo_id": row["id"], "width": r.width, "height": r.height, "data": r.data}
            for r in prepared.renditions
        ],
    )
    _recipes_changed(connection)
    return row


def _recipes_changed(connection: Connection) -> None:
    """Cards show photos: the cached home and search pages are of a new version now."""
    v = recipe_version_table.c
    connection.execute(update(recipe_version_table).where(v.id == 1).values(version=v.version + 1))
