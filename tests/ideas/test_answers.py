"""The answers' shapes: the tutorial's two endpoints and the structured one."""

from __future__ import annotations

import re

import orjson
import pytest

from recipe_api.ideas.emulator import FakeReddit, listing_body

from .conftest import SUBREDDITS, IdeasApp, MakeApp

LINE = re.compile(r"^-?\d+: .+ \(https?://\S+\)$")
TUTORIAL_PATHS = ["/api/v1/recipes/ideas/async", "/api/v1/recipes/ideas/"]


@pytest.mark.parametrize("path", TUTORIAL_PATHS)
async def test_tutorial_answer_lists_each_subreddit_in_order(ideas: IdeasApp, path: str) -> None:
    response = await ideas.client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "x-ideas-failed" not in response.headers
    body = response.json()
    assert list(body) == SUBREDDITS
    for lines in body.values():
        assert len(lines) == 5
        assert all(LINE.match(line) for line in lines), lines


async def test_sync_and_async_answers_are_the_same(ideas: IdeasApp) -> None:
    concurrent = await ideas.client.get("/api/v1/recipes/ideas/async")
    sequential = await ideas.client.get("/api/v1/recipes/ideas/")

    assert concurrent.json() == sequential.json()


async def test_stickied_and_over_18_posts_are_left_out(ideas: IdeasApp) -> None:
    body = (await ideas.client.get("/api/v1/recipes/ideas/async")).json()

    lines = [line for source in body.values() for line in source]
    assert not any("Weekly r/" in line or "NSFW" in line for line in lines)


async def test_stickied_and_over_18_posts_can_be_included(make_app: MakeApp) -> None:
    ideas = await make_app(ideas_include_stickied=True, ideas_include_over_18=True)

    body = (await ideas.client.get("/api/v1/recipes/ideas/async")).json()

    assert "Weekly r/recipes thread" in body["recipes"][0]
    assert "NSFW" in body["recipes"][2]


async def test_listing_request_is_reddits_own(ideas: IdeasApp, reddit: FakeReddit) -> None:
    await ideas.client.get("/api/v1/ideas", params={"subreddits": "recipes", "limit": 4})

    request = reddit.last_listing_request
    assert request is not None
    assert request.path == "/r/recipes/top.json"
    # A few more than shown: stickied and over-18 posts are dropped afterwards.
    assert list(request.query.items()) == [("t", "day"), ("limit", "7"), ("raw_json", "1")]
    assert re.fullmatch(r"[^:]+:[^:]+:[^ ]+ \(by /u/[^)]+\)", request.headers["user-agent"])


async def test_user_agent_is_a_setting(make_app: MakeApp, reddit: FakeReddit) -> None:
    agent = "linux:org.example.cookbook:2.0 (by /u/cook)"
    ideas = await make_app(reddit_user_agent=agent)

    await ideas.client.get("/api/v1/recipes/ideas/async")

    assert reddit.last_listing_request is not None
    assert reddit.last_listing_request.headers["user-agent"] == agent


async def test_html_entities_in_titles_are_unescaped(ideas: IdeasApp) -> None:
    response = await ideas.client.get("/api/v1/ideas", params={"subreddits": "escaped_titles"})

    titles = [post["title"] for post in response.json()["sources"][0]["posts"]]
    assert any("&" in title for title in titles)
    assert not any("&amp;" in title or "&lt;" in title for title in titles)


async def test_structured_answer(ideas: IdeasApp) -> None:
    response = await ideas.client.get("/api/v1/ideas")

    assert response.status_code == 200
    sources = response.json()["sources"]
    assert [source["name"] for source in sources] == SUBREDDITS
    for source in sources:
        assert source["status"] == "ok"
        assert source["error"] is None
        assert source["from_cache"] is False
        assert source["fetched_at"].endswith("Z")
        assert len(source["posts"]) == 5
        for post in source["posts"]:
            assert set(post) == {
                "title",
                "score",
                "url",
                "permalink",
                "author",
                "num_comments",
                "created_utc",
                "thumbnail",
            }
            assert post["permalink"].startswith("https://www.reddit.com/r/")
            assert post["thumbnail"] is None or post["thumbnail"].startswith("https://")
    thumbnails = [post["thumbnail"] for post in sources[0]["posts"]]
    # Self posts have "self" there, which is not an image.
    assert None in thumbnails
    assert any(thumbnail for thumbnail in thumbnails)


async def test_subreddits_and_limit_are_chosen_per_request(ideas: IdeasApp) -> None:
    response = await ideas.client.get(
        "/api/v1/ideas", params={"subreddits": "Cooking, baking,cooking", "limit": 2}
    )

    sources = response.json()["sources"]
    assert [source["name"] for source in sources] == ["Cooking", "baking"]
    assert all(len(source["posts"]) == 2 for source in sources)


async def test_an_empty_listing_is_not_a_failure(ideas: IdeasApp) -> None:
    response = await ideas.client.get("/api/v1/ideas", params={"subreddits": "empty_sub,recipes"})

    assert response.status_code == 200
    empty = response.json()["sources"][0]
    assert (empty["status"], empty["posts"]) == ("ok", [])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"subreddits": "bad-name"}, "'bad-name' is not a subreddit name"),
        ({"subreddits": "a"}, "'a' is not a subreddit name"),
        ({"subreddits": "recipes,"}, "'' is not a subreddit name"),
        ({"subreddits": ",".join(f"sub{i}" for i in range(11))}, "at most 10 subreddits"),
    ],
)
async def test_invalid_subreddits_are_refused(
    ideas: IdeasApp, reddit: FakeReddit, params: dict[str, str], message: str
) -> None:
    response = await ideas.client.get("/api/v1/ideas", params=params)

    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert reddit.listing_requests.total() == 0


@pytest.mark.parametrize("limit", ["0", "26", "many"])
async def test_limit_is_bounded(ideas: IdeasApp, limit: str) -> None:
    response = await ideas.client.get("/api/v1/ideas", params={"limit": limit})

    assert response.status_code == 422


async def test_openapi_documents_the_endpoints(ideas: IdeasApp) -> None:
    paths = orjson.loads((await ideas.client.get("/openapi.json")).content)["paths"]

    for path in [*TUTORIAL_PATHS, "/api/v1/ideas"]:
        assert "502" in paths[path]["get"]["responses"]


async def test_ideas_paths_do_not_reach_the_recipe_routes(ideas: IdeasApp) -> None:
    response = await ideas.client.get("/api/v1/recipes/ideas/async")

    assert response.status_code == 200
    assert "recipes" in response.json()


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("recipes", True),
        ("Cooking, baking,cooking", True),
        ("ab", True),
        ("bad-name", False),
        ("a", False),
        ("recipes,", False),
        ("_under", False),
        ("x" * 22, False),
        ("", False),
    ],
)
async def test_the_documented_subreddits_pattern_is_what_is_enforced(
    ideas: IdeasApp, value: str, accepted: bool
) -> None:
    document = orjson.loads((await ideas.client.get("/openapi.json")).content)
    [parameter] = [
        p
        for p in document["paths"]["/api/v1/ideas"]["get"]["parameters"]
        if p["name"] == "subreddits"
    ]
    # On the schema itself: it applies to the string, not to the null of "anyOf".
    pattern = parameter["schema"]["pattern"]

    response = await ideas.client.get("/api/v1/ideas", params={"subreddits": value, "limit": 1})

    assert (re.search(pattern, value) is not None) is accepted
    assert (response.status_code != 422) is accepted


async def test_links_from_reddit_are_http_only_in_the_api_and_on_the_page(
    make_app: MakeApp,
) -> None:
    # Issue 19: a post whose url was javascript: became an href on /ideas.
    ideas = await make_app(ideas_subreddits=["links_hostile"], ideas_limit=10)

    response = await ideas.client.get("/api/v1/ideas")
    posts = response.json()["sources"][0]["posts"]
    links = [post[key] for post in posts for key in ("url", "permalink", "thumbnail")]
    assert links and all(link is None or re.fullmatch(r"https?://\S+", link) for link in links), (
        links
    )
    by_title = {post["title"]: post for post in posts}
    # The post links to itself when its url is not http(s); a bad thumbnail is no thumbnail;
    # a post whose own page is not an http(s) link is not shown at all.
    listing = orjson.loads(listing_body("links_hostile", 13))["data"]["children"]
    upstream = [child["data"] for child in listing]
    for index in (1, 3, 4):
        post = by_title[upstream[index]["title"]]
        assert (
            post["url"]
            == post["permalink"]
            == ("https://www.reddit.com" + upstream[index]["permalink"])
        )
    assert by_title[upstream[3]["title"]]["thumbnail"] is None
    assert by_title[upstream[4]["title"]]["thumbnail"] is None
    assert len(by_title) == len(posts) and upstream[5]["title"] not in by_title
    assert by_title[upstream[6]["title"]]["url"] == "https://i.redd.it/kept.jpeg"

    page = (await ideas.client.get("/ideas")).text
    hrefs = re.findall(r'(?:href|value)="([^"]*)"', page)
    assert not [h for h in hrefs if re.search(r"script:|data:", h, re.IGNORECASE)], hrefs
    post_links = {link for link in links if link}
    assert {h for h in re.findall(r'<a href="([^"]*)" rel="noopener', page)} <= post_links
