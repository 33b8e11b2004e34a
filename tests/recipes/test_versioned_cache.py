"""The per-version answer cache: one version at a time, bounded in bytes."""

from __future__ import annotations

from recipe_api.recipes.cache import Cached, VersionedCache, cached_answer


def _answer(size: int, tag: str = "t") -> Cached:
    return Cached(body=b"x" * size, etag=tag)


def test_answers_last_while_the_version_holds_and_go_when_it_moves() -> None:
    cache = VersionedCache()
    assert cache.get(7, "home") is None
    cache.put(7, "home", _answer(10, "a"))
    assert cache.get(7, "home") == _answer(10, "a")

    assert cache.get(8, "home") is None  # any other version: everything goes
    assert len(cache) == 0
    # An answer built at the version before is stale already: not kept.
    cache.put(7, "home", _answer(10, "a"))
    assert cache.get(8, "home") is None
    # A version may also come back lower (a database made anew): the same rule.
    assert cache.get(3, "home") is None
    cache.put(3, "home", _answer(10, "b"))
    assert cache.get(3, "home") == _answer(10, "b")


def test_the_oldest_answers_make_room_and_a_huge_one_is_not_kept() -> None:
    cache = VersionedCache(max_bytes=800)
    cache.get(1, "any")
    for key in ("a", "b", "c", "d"):
        cache.put(1, key, _answer(100))
    cache.put(1, "big", _answer(101))  # over max_bytes / 8
    assert cache.get(1, "big") is None
    for key in "efghij":
        cache.put(1, key, _answer(100))
    assert len(cache) == 8
    assert cache.get(1, "a") is None and cache.get(1, "b") is None
    assert cache.get(1, "j") is not None
    cache.put(1, "j", _answer(50))  # replacing counts the new size only
    assert cache.get(1, "j") == _answer(50)


async def test_with_the_cache_off_an_answer_is_built_each_time_without_the_version() -> None:
    class NoDatabase:
        async def read_row(self, *_: object) -> None:
            raise AssertionError("the version was read with the cache off")

    built: list[int] = []

    async def build() -> bytes:
        built.append(len(built))
        return b"answer %d" % len(built)

    off = VersionedCache(max_bytes=0)
    first = await cached_answer(NoDatabase(), off, "home", build)  # type: ignore[arg-type]
    again = await cached_answer(NoDatabase(), off, "home", build)  # type: ignore[arg-type]
    assert (first.body, again.body, built) == (b"answer 1", b"answer 2", [0, 1])
    assert first.etag != again.etag and len(off) == 0
