"""The day on a recipe card: the date in UTC, written as strftime's ``%-d %b %Y`` writes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from recipe_api.web.templating import _day


def test_a_card_s_day_is_the_utc_date_as_strftime_writes_it() -> None:
    west = timezone(timedelta(hours=-5))
    moments = [datetime(2026, month, 1 + month * 2, 12, 0, tzinfo=UTC) for month in range(1, 13)]
    # Late in the evening west of Greenwich is the next day in UTC, and the next year.
    moments += [
        datetime(2026, 12, 31, 22, 30, tzinfo=west),
        datetime(2027, 2, 28, 23, 59, tzinfo=west),
    ]
    for moment in moments:
        assert _day(moment) == moment.astimezone(UTC).strftime("%-d %b %Y")
    assert _day(datetime(2026, 12, 31, 22, 30, tzinfo=west)) == "1 Jan 2027"
    assert _day(datetime(2026, 12, 6, 9, 0, tzinfo=UTC)) == "6 Dec 2026"
