"""The address rule itself: what is kept, what a log-in compares, what is refused."""

from __future__ import annotations

import pytest

from recipe_api.email_address import LookAlikeEmailError, mailbox_address, normalize_email


@pytest.mark.parametrize(
    ("typed", "kept", "key"),
    [
        ("COOK@Example.com", "COOK@example.com", "cook@example.com"),
        ("  Stra\u00dfe@example.com ", "Stra\u00dfe@example.com", "stra\u00dfe@example.com"),
        ("Koch@B\u00fccher.DE", "Koch@b\u00fccher.de", "koch@b\u00fccher.de"),
        # Typed decomposed (e and a combining accent): the same text, kept in NFC.
        ("jose\u0301@example.com", "jos\u00e9@example.com", "jos\u00e9@example.com"),
        ("\u7530\u4e2d\u3055\u3093@example.jp", "\u7530\u4e2d\u3055\u3093@example.jp", None),
        ("\u0438\u0432\u0430\u043d@example.ru", "\u0438\u0432\u0430\u043d@example.ru", None),
    ],
)
def test_the_part_before_the_at_is_kept_and_only_ascii_case_is_folded(
    typed: str, kept: str, key: str | None
) -> None:
    assert mailbox_address(typed) == kept
    assert normalize_email(typed) == (key or kept)
    # A key's key is itself: the repository may take it of anything it is given.
    assert normalize_email(normalize_email(typed)) == normalize_email(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "\uff43\uff4f\uff4f\uff4b@example.com",  # fullwidth
        "\ufb01sh@example.com",  # ligature
        "\u212aelvin@example.com",  # Kelvin sign
        "\U0001d41c\U0001d428\U0001d428\U0001d424@example.com",  # mathematical bold
        "p\u0430ypal@example.com",  # Cyrillic a among Latin
        "\u03bfmega@example.com",  # Greek omicron among Latin
    ],
)
def test_look_alikes_are_refused(typed: str) -> None:
    with pytest.raises(LookAlikeEmailError):
        mailbox_address(typed)


def test_the_key_of_anything_is_something() -> None:
    # A log-in may type anything; the key never raises, and finds no account.
    assert normalize_email("  Not An Email ") == "not an email"
    assert normalize_email("\ufb01sh@Example.com") == "\ufb01sh@Example.com".replace("E", "e")
