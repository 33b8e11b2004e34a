"""Steps the browser tests share: signing up and logging in through the real forms."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tests.email.smtp import Mailbox, eventually, link_in

if TYPE_CHECKING:
    from playwright.async_api import Page

PASSWORD = "a long enough password"


def new_email(who: str = "cook") -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


async def sign_up(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    await page.goto(base + "/signup")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Create account").click()
    # Signing up logs the cook in and shows their (empty) recipes.
    await page.wait_for_url("**/my-recipes")
    assert await page.get_by_role("button", name="Log out").count() == 1


async def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    if "/login" not in page.url:
        await page.goto(base + "/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_load_state()
    assert await page.get_by_role("button", name="Log out").count() == 1


async def add_recipe(
    page: Page, base: str, label: str, url: str, source: str = "", *, public: bool = False
) -> int:
    """Adds a recipe through the form (private unless ``public``); returns its id."""
    await page.goto(base + "/my-recipes/new")
    await page.get_by_label("Name").fill(label)
    await page.get_by_label("Source").fill(source)
    await page.get_by_label("Web address").fill(url)
    if public:
        await page.get_by_label("Share publicly").check()
    await page.get_by_role("button", name="Add recipe").click()
    await page.wait_for_url("**/recipes/*?saved=1")
    return int(page.url.rsplit("/", 1)[1].split("?")[0])


async def emailed_path(mailbox: Mailbox, to: str, subject_part: str, within: float = 10) -> str:
    """The path and query of the link in the newest email to ``to`` whose subject has the words."""
    found = await eventually(
        lambda: [m for m in mailbox.to(to) if subject_part in str(m["Subject"])], within=within
    )
    link = link_in(found[-1])
    return "/" + link.split("://", 1)[1].split("/", 1)[1]
