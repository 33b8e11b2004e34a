"""Screenshots of the main pages at desktop (1280) and phone (390) width.

Run from the repository root: ``.venv/bin/python docs/screenshots/take.py``.
It serves a fresh SQLite database with the seed on a free port (ideas from
the reddit emulator), signs up a cook, adds a recipe with ingredients and
steps, and photographs each page in the light scheme (the ideas page logged
in, with its "Save as recipe" buttons), and the home page in the dark one.
The seed's recipes get photos first (Pillow-made JPEGs, uploaded through the
API as a cook would), and the cook marks favourites and plans a week, so the
favourites page, the meal plan and the shopping list have something to show.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent / "bench"))
from home_weight import photo_jpeg  # noqa: E402

ADMIN = "admin@recipeapi.com"
ADMIN_PASSWORD = "an admin password"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
WIDTHS = {"desktop": 1280, "phone": 390}
PASSWORD = "a long enough password"
SHAKSHUKA_INGREDIENTS = """2 tablespoons olive oil
1 leek, sliced
200 g spinach
1 bunch parsley, chopped
4 eggs
50 g feta"""
SHAKSHUKA_STEPS = """Soften the leek in the oil for 5 minutes.
Wilt the spinach and parsley in the pan; season.
Make four hollows, crack an egg into each, cover and cook for 8 minutes.
Crumble the feta over and serve from the pan."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _shoot(page: Page, url: str, name: str, width: str) -> None:
    await page.goto(url, wait_until="networkidle")
    if width == "phone":  # the whole page: lazy photos below the fold load first
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        await page.wait_for_load_state("networkidle")
        await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(HERE / f"{name}-{width}.png"), full_page=width == "phone")


def _token(base: str, email: str, password: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/v1/auth/login", data={"username": email, "password": password})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _add_photos(base: str) -> None:
    """Every seed recipe gets a photo of its own, as its cook would upload it."""
    headers = _token(base, ADMIN, ADMIN_PASSWORD)
    for recipe_id in range(1, 30):
        if httpx.get(f"{base}/api/v1/recipes/{recipe_id}").status_code != 200:
            continue
        httpx.put(
            f"{base}/api/v1/recipes/{recipe_id}/photo",
            files={
                "photo": ("dish.jpg", photo_jpeg(recipe_id, 1800, 1200, noise=False), "image/jpeg")
            },
            headers=headers,
            timeout=60,
        ).raise_for_status()


def _plan_the_week(base: str, email: str) -> None:
    """Favourites, two dinners and a lunch this week, and the week's shopping list."""
    headers = _token(base, email, PASSWORD)
    for recipe_id in (1, 2):
        httpx.put(f"{base}/api/v1/recipes/{recipe_id}/favourite", headers=headers)
    today = date.today()
    monday = today - timedelta(days=today.weekday())
    for recipe_id, day, meal in ((1, 0, "dinner"), (2, 2, "lunch"), (3, 4, "dinner")):
        httpx.post(
            f"{base}/api/v1/meal-plan/entries",
            json={"recipe_id": recipe_id, "day": str(monday + timedelta(days=day)), "meal": meal},
            headers=headers,
        ).raise_for_status()
    httpx.post(
        f"{base}/api/v1/shopping-list/from-plan",
        json={"start": str(monday), "end": str(monday + timedelta(days=6))},
        headers=headers,
    ).raise_for_status()


def _shrink() -> None:
    """256 colours (Floyd-Steinberg) and zlib's best: a fifth of the size, text still sharp."""
    from PIL import Image

    for path in HERE.glob("*.png"):
        with Image.open(path) as shot:
            if shot.mode == "P":
                continue
            small = shot.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)


async def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="recipe-shots-"))
    port, reddit_port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{port}"
    reddit = f"http://127.0.0.1:{reddit_port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'shots.db'}",
        "SECRET_KEY_FILE": str(workdir / "key"),
        "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        "LOG_LEVEL": "WARNING",
        "REDDIT_BASE_URL": reddit,
        "REDDIT_OAUTH_URL": reddit,
    }
    cli = [sys.executable, "-m", "recipe_api.cli"]
    emulator = subprocess.Popen(
        [*cli, "fake-reddit", "--port", str(reddit_port), "--latency", "0.05"], env=env
    )
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env)
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/health/ready").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        _add_photos(base)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            for width_name, width in WIDTHS.items():
                context = await browser.new_context(
                    viewport={"width": width, "height": 900}, color_scheme="light"
                )
                page = await context.new_page()
                await _shoot(page, base + "/", "home", width_name)
                await _shoot(page, base + "/search?q=chicken", "search", width_name)
                await _shoot(page, base + "/recipes/1", "recipe", width_name)
                await _shoot(
                    page, base + "/recipes/1?servings=8&units=metric", "recipe-metric", width_name
                )
                email = f"cook-{width_name}@example.com"
                await page.goto(base + "/signup")
                await page.get_by_label("Email").fill(email)
                await page.get_by_label("Password").fill("short")
                await page.get_by_label("First name").fill("Ada")
                await page.get_by_role("button", name="Create account").click()
                await page.screenshot(path=str(HERE / f"signup-errors-{width_name}.png"))
                await page.get_by_label("Password").fill(PASSWORD)
                await page.get_by_role("button", name="Create account").click()
                await page.wait_for_url("**/my-recipes")  # signing up logs in
                await page.goto(base + "/my-recipes/new")
                await page.get_by_label("Name").fill("Green shakshuka")
                await page.get_by_label("Description").fill("Eggs poached in spinach and herbs.")
                await page.get_by_label("Ingredients").fill(SHAKSHUKA_INGREDIENTS)
                await page.get_by_label("Steps").fill(SHAKSHUKA_STEPS)
                await page.get_by_label("Makes").fill("2 servings")
                await page.get_by_label("Preparation").fill("10")
                await page.get_by_label("Cooking").fill("15")
                await page.get_by_label("Tags").fill("vegetarian, brunch, quick")
                await page.get_by_label("Source").fill("Family notebook")
                await page.get_by_role("button", name="Add recipe").click()
                await page.wait_for_url("**/recipes/*?saved=1")
                await page.screenshot(
                    path=str(HERE / f"my-recipe-{width_name}.png"), full_page=width_name == "phone"
                )
                await _shoot(page, base + "/my-recipes", "my-recipes", width_name)
                await _shoot(page, base + "/my-recipes/new", "add-recipe", width_name)
                await page.goto(base + "/my-recipes/import")
                await page.get_by_label("Recipe page address").fill("example.com/shakshuka")
                await page.get_by_role("button", name="Import recipe").click()
                await page.screenshot(path=str(HERE / f"import-errors-{width_name}.png"))
                await _shoot(page, base + "/ideas", "ideas", width_name)
                _plan_the_week(base, email)
                await _shoot(page, base + "/my-favourites", "favourites", width_name)
                await _shoot(page, base + "/meal-plan", "meal-plan", width_name)
                await _shoot(page, base + "/shopping-list", "shopping-list", width_name)
                await context.close()
            dark = await browser.new_context(
                viewport={"width": 1280, "height": 900}, color_scheme="dark"
            )
            dark_page = await dark.new_page()
            await _shoot(dark_page, base + "/", "home-dark", "desktop")
            await _shoot(dark_page, base + "/recipes/1", "recipe-dark", "desktop")
            dark_phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, color_scheme="dark"
            )
            await _shoot(await dark_phone.new_page(), base + "/", "home-dark", "phone")
            printed = await browser.new_context(viewport={"width": 1280, "height": 900})
            print_page = await printed.new_page()
            await print_page.goto(base + "/recipes/1")
            await print_page.emulate_media(media="print")
            await print_page.screenshot(path=str(HERE / "recipe-print.png"), full_page=True)
            await browser.close()
        _shrink()
    finally:
        for process in (server, emulator):
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
