"""The emails the service sends, each a plain-text and an HTML part from Jinja templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"

# The HTML parts are escaped (a first name is user input); the text parts are not HTML.
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def render(template: str, subject: str, **context: Any) -> Message:
    """``template.txt`` and ``template.html`` with the same context."""
    context = {"subject": subject, **context}
    return Message(
        subject=subject,
        text=_environment.get_template(f"{template}.txt").render(**context),
        html=_environment.get_template(f"{template}.html").render(**context),
    )


def welcome(*, first_name: str | None, link: str, hours: int) -> Message:
    return render(
        "welcome",
        "Welcome to Recipe Box: confirm your email",
        name=first_name,
        link=link,
        hours=hours,
    )


def password_reset(*, first_name: str | None, link: str, minutes: int) -> Message:
    return render(
        "password_reset",
        "Reset your Recipe Box password",
        name=first_name,
        link=link,
        minutes=minutes,
    )
