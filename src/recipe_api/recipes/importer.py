"""Import a recipe from a web page: fetch it safely, read its schema.org ``Recipe``.

Fetching a URL a user chose is a server-side request forgery risk, so:

- only ``http`` and ``https``;
- every address a host name resolves to must be public (not loopback,
  private, link-local, the cloud metadata address, shared, reserved or
  multicast); the check is in the connector's resolver, so the address
  checked is the address connected to (no second lookup to rebind), and it
  runs again for every redirect, as does the check of a literal IP in a URL;
- at most ``MAX_REDIRECTS`` redirects, ``IMPORT_MAX_BYTES`` of body and
  ``IMPORT_TIMEOUT_SECONDS`` for the whole fetch; no proxy from the environment.

``IMPORT_ALLOW_NETWORKS`` (e.g. ``127.0.0.0/8``) lets addresses in those
networks through: for tests and demos against a local server only.

The page is read by recipe-scrapers (which reads JSON-LD and microdata through
extruct and normalises times, yields and instruction steps), in a child
process of its own (``PageReader``): BeautifulSoup, under recipe-scrapers,
spends seconds and ~130 MB on a 2 MB page of nested tags, and a worker's
heap does not give that memory back. The child is killed past
``IMPORT_PARSE_SECONDS``, and its address space may grow by
``IMPORT_PARSE_MEMORY_MB`` at most. Inside it, the page's JSON-LD is read
first from a small document lxml builds (libxml2 stops at 256 levels of
nesting: 0.2 ms on that page); the whole page is read only when the JSON-LD
holds no recipe (microdata).
See ``docs/decisions/0010-recipe-import.md`` for the measurements.

Imports are limited per worker (``IMPORT_MAX_CONCURRENT`` at once) and per
cook (``IMPORT_MAX_PER_COOK`` per ``IMPORT_WINDOW_SECONDS``): past either, a
429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import logging
import math
import multiprocessing
import os
import resource
import socket
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Literal, cast

import orjson
from anyio import to_thread
from pydantic import ValidationError

from recipe_api.auth.throttle import AttemptCounter, Limit
from recipe_api.errors import AppError, TooManyAttemptsError
from recipe_api.http.outbound import SessionOnFirstUse
from recipe_api.recipes.imports import jsonld
from recipe_api.recipes.schemas import MAX_LINES, RecipeCreate

if TYPE_CHECKING:
    # Imported on the first fetch (http/outbound.py): ~9 MB a worker may never need.
    import aiohttp
    from aiohttp.abc import AbstractResolver, ResolveResult
    from yarl import URL

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
DEFAULT_PER_COOK = Limit(10, 600)
_REDIRECTS = {301, 302, 303, 307, 308}
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# A recipe page's photo (Pillow checks what it really is).
_IMAGE_TYPES = ("image/",)
_ACCEPT = {
    _HTML_TYPES: "text/html,application/xhtml+xml",
    _IMAGE_TYPES: "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.8",
}
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ImportRefusedError(AppError):
    """The URL is not one we fetch (scheme, or an address that is not public)."""

    status_code = 400


class ImportFailedError(AppError):
    """The page was fetched (or tried) but gives no recipe: too big, not HTML, no markup."""

    status_code = 422


class NoRecipeError(ImportFailedError):
    """The page has no recipe markup recipe-scrapers can read."""


class ImportSiteRefusedError(ImportFailedError):
    """The site answered, but would not give its page to our server (401, 403, 429, 451).

    Sites behind bot walls do this to servers and not to browsers: the cook's
    browser has the page, so the answer tells them to paste it.
    """


class ImportUnreachableError(AppError):
    """No answer from the URL's host: the link does not lead to a page (a 4xx, as for a 404)."""

    status_code = 422


class ImportTimeoutError(AppError):
    status_code = 504


# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway or stack may
# reach: IPv4-compatible (deprecated), IPv4-translated (SIIT) and NAT64's
# well-known prefix.
_LAST_32_BITS_IPV4 = tuple(
    ipaddress.IPv6Network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96")
)
# NAT64 prefixes for local use (RFC 8215): where the IPv4 address sits depends on
# the operator's prefix length, and none of it is public anyway.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address translates to, through any of the known embeddings."""
    found = [v4 for v4 in (address.ipv4_mapped, address.sixtofour) if v4 is not None]
    if address.teredo is not None:
        found.extend(address.teredo)  # the Teredo server and the (de-obfuscated) client
    if any(address in network for network in _LAST_32_BITS_IPV4):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return found


def is_public(address: IpAddress) -> bool:
    """An address anyone on the internet could reach: not ours, not our neighbours'."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        # A 6to4, Teredo or NAT64 form of 127.0.0.1 reaches 127.0.0.1 through a
        # relay or the stack: each IPv4 address inside must be public too.
        if address in _LOCAL_NAT64 or not all(map(is_public, embedded_ipv4(address))):
            return False
    # is_global excludes loopback, RFC 1918, link-local (169.254.169.254, the
    # metadata service, among them), shared 100.64/10, unique local, documentation...
    return address.is_global and not address.is_multicast


def address_allowed(address: str, allowed: Iterable[IpNetwork]) -> bool:
    parsed = ipaddress.ip_address(address.split("%", 1)[0])
    return is_public(parsed) or any(parsed in network for network in allowed)


# Top-level names reserved never to be on the internet (RFC 2606, RFC 6761):
# asking a resolver about one leaves the machine for nothing, so it is not asked.
NEVER_PUBLIC_NAMES = frozenset({"example", "invalid"})


class PublicOnlyResolver:
    """Resolves like the default resolver, then refuses any address that is not public.

    aiohttp's ``AbstractResolver`` in all but name (``resolve``, ``close``): a
    subclass would import aiohttp with this module, at the worker's start.
    """

    def __init__(self, allowed: tuple[IpNetwork, ...]) -> None:
        from aiohttp.resolver import DefaultResolver

        self._resolver = DefaultResolver()
        self._allowed = allowed

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        # All or nothing: a name with one private address among public ones is
        # a rebinding attempt or a misconfiguration; neither is fetched.
        refused = [r["host"] for r in results if not address_allowed(r["host"], self._allowed)]
        if refused:
            raise ImportRefusedError(
                f"{host} resolves to {refused[0]}, which is not a public address"
            )
        return results

    async def close(self) -> None:
        await self._resolver.close()


def failed_answer(host: str, status: int) -> ImportFailedError:
    """What a site's error answer means for the cook, and what they can do."""
    if status in (401, 403, 429, 451):
        return ImportSiteRefusedError(
            f"{host} refused our server (it answered {status}); open the page in your "
            "browser and paste the page instead"
        )
    if status in (404, 410):
        return ImportFailedError(
            f"There is no page at this address ({host} answered {status} not found): check the link"
        )
    if status >= 500:
        return ImportFailedError(
            f"{host} had a server error (it answered {status}): try again later, "
            "or paste the page instead"
        )
    return ImportFailedError(f"{host} answered {status}: check the link, or paste the page")


def _wrong_type(types: tuple[str, ...], content_type: str) -> ImportFailedError:
    given = content_type or "no content type"
    if types is _IMAGE_TYPES:
        return ImportFailedError(f"The address is not an image ({given})")
    return ImportFailedError(
        f"The address is not a web page (not HTML: {given}): "
        "give the address of the recipe's own page"
    )


def too_large(max_bytes: int) -> ImportFailedError:
    return ImportFailedError(
        f"The page is larger than {max_bytes:,} bytes, more than we read: add the recipe by hand"
    )


@dataclass(frozen=True)
class FetchedPage:
    url: str
    body: bytes
    charset: str  # a known codec's name


@dataclass
class Importer:
    """The HTTP client, page reader and limits of imports, made once per worker in the lifespan."""

    http: SessionOnFirstUse
    allowed: tuple[IpNetwork, ...]
    max_bytes: int
    timeout: float
    reader: PageReader
    max_concurrent: int
    counter: AttemptCounter | None
    per_cook: Limit
    running: int = field(default=0, init=False)

    @asynccontextmanager
    async def admit(self, cook_id: int) -> AsyncIterator[None]:
        """Room for one import by ``cook_id`` in this worker, or ``TooManyAttemptsError``.

        The worker's limit refuses at once rather than queueing: a queue of
        imports would hold their requests (and pages) open for minutes.
        """
        if self.running >= self.max_concurrent:
            wait = max(1, math.ceil(self.reader.seconds))
            raise TooManyAttemptsError(
                f"Too many imports on this server at once ({self.max_concurrent}); "
                f"try again in {wait} s",
                retry_after=wait,
            )
        self.running += 1
        try:
            wait = await self._reserve(cook_id)
            if wait:
                raise TooManyAttemptsError(
                    f"Too many imports: at most {self.per_cook.attempts} every "
                    f"{self.per_cook.window} s; try again in {wait} s",
                    retry_after=wait,
                )
            yield
        finally:
            self.running -= 1

    async def _reserve(self, cook_id: int) -> int:
        if self.counter is None:
            return 0
        try:
            return await self.counter.reserve(self.per_cook, f"import:{cook_id}")
        except Exception as exc:
            log.warning("Import throttle unavailable, not throttling: %s", exc)
            return 0

    async def fetch(self, url: str) -> FetchedPage:
        """The page at ``url`` (after redirects), as it came: bytes, read elsewhere."""
        from yarl import URL

        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(URL(url))
        except TimeoutError:
            raise ImportTimeoutError(
                f"The page did not arrive within {self.timeout:g} seconds: the site is too "
                "slow; try again later, or paste the page instead"
            ) from None

    async def fetch_image(self, url: str, max_bytes: int) -> bytes:
        """The image at ``url``, through the same checks as a page: the public-only
        resolver, each redirect's address checked, the time limit; at most ``max_bytes``."""
        from yarl import URL

        try:
            async with asyncio.timeout(self.timeout):
                page = await self._fetch(URL(url), _IMAGE_TYPES, max_bytes)
                return page.body
        except TimeoutError:
            raise ImportTimeoutError(
                f"The image did not arrive within {self.timeout:g} seconds"
            ) from None

    async def _fetch(
        self, url: URL, types: tuple[str, ...] = _HTML_TYPES, max_bytes: int | None = None
    ) -> FetchedPage:
        import aiohttp
        from yarl import URL

        for _ in range(MAX_REDIRECTS + 1):
            self._check_url(url)
            try:
                async with self.http().get(
                    url, allow_redirects=False, headers={"Accept": _ACCEPT[types]}
                ) as response:
                    if response.status in _REDIRECTS and "Location" in response.headers:
                        url = url.join(URL(response.headers["Location"]))
                        continue
                    if response.status >= 400:
                        raise failed_answer(url.host or "", response.status)
                    content_type = response.headers.get("Content-Type", "")
                    if not content_type.lower().startswith(types):
                        raise _wrong_type(types, content_type.split(";")[0])
                    body = await self._read(response, max_bytes or self.max_bytes)
                    charset = codecs.lookup(response.charset or "utf-8").name
                    return FetchedPage(str(url), body, charset)
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.__cause__, ImportRefusedError):
                    raise exc.__cause__ from None
                raise ImportUnreachableError(
                    f"Could not connect to {url.host}: check the address"
                ) from exc
            except aiohttp.ClientError as exc:
                raise ImportUnreachableError(
                    f"Fetching {url.host} failed ({exc}): check the address, or paste the page"
                ) from exc
            except LookupError:  # an unknown charset
                raise ImportFailedError("The page's character set is unknown") from None
        raise ImportFailedError(
            f"More than {MAX_REDIRECTS} redirects: the link goes round in circles; "
            "open it in your browser and paste the page instead"
        )

    def _check_url(self, url: URL) -> None:
        if url.scheme not in ("http", "https") or not url.host:
            raise ImportRefusedError("Only http and https URLs can be imported")
        try:
            literal = ipaddress.ip_address(url.host.strip("[]"))
        except ValueError:
            # A name: the resolver checks what it resolves to, unless no site can have it.
            if url.host.rstrip(".").rsplit(".", 1)[-1].lower() in NEVER_PUBLIC_NAMES:
                raise ImportUnreachableError(
                    f"Could not connect to {url.host}: check the address"
                ) from None
            return
        # aiohttp connects to a literal address without asking the resolver.
        if not address_allowed(str(literal), self.allowed):
            raise ImportRefusedError(f"{url.host} is not a public address")

    async def _read(self, response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
        declared = response.content_length
        if declared is not None and declared > max_bytes:
            raise too_large(max_bytes)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise too_large(max_bytes)
            chunks.append(chunk)
        return b"".join(chunks)


@asynccontextmanager
async def open_importer(
    *,
    allow_networks: Iterable[str],
    max_bytes: int,
    time_limit: float,
    user_agent: str,
    parse_seconds: float = 5.0,
    parse_memory_mb: int = 256,
    max_concurrent: int = 2,
    counter: AttemptCounter | None = None,
    per_cook: Limit = DEFAULT_PER_COOK,
) -> AsyncIterator[Importer]:
    allowed = tuple(ipaddress.ip_network(network, strict=False) for network in allow_networks)

    def new_session() -> aiohttp.ClientSession:
        import aiohttp

        resolver = cast("AbstractResolver", PublicOnlyResolver(allowed))
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver, limit=20),
            headers={"User-Agent": user_agent},
            trust_env=False,
            auto_decompress=True,
        )

    http = SessionOnFirstUse(new_session)
    try:
        yield Importer(
            http=http,
            allowed=allowed,
            max_bytes=max_bytes,
            timeout=time_limit,
            reader=PageReader(seconds=parse_seconds, memory_mb=parse_memory_mb),
            max_concurrent=max_concurrent,
            counter=counter,
            per_cook=per_cook,
        )
    finally:
        await http.aclose()


# --- Reading the page -------------------------------------------------------------------


def _field(read: Callable[[], Any]) -> Any:
    """One field of the scraped recipe, or None: pages give any subset of them."""
    try:
        return read()
    except Exception:
        return None


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.replace("\x00", "").split())
    return cleaned[:limit] or None


def _lines(values: Any, limit: int) -> list[str]:
    if not isinstance(values, list):
        return []
    lines = (_text(value, limit) for value in values)
    return [line for line in lines if line][:MAX_LINES]


def _canonical(canonical: Any, url: str) -> str:
    """The page's canonical address (without the tracking a shared link carries), else ``url``."""
    from yarl import URL

    if isinstance(canonical, str) and URL(canonical).scheme in ("http", "https"):
        return canonical[:2048]
    return url


def _source(author: Any, site_name: Any) -> str | None:
    """Who the recipe is by, and where: "Ada (Example Kitchen)", or either alone."""
    by, site = _text(author, 120), _text(site_name, 120)
    if by and site and by.casefold() != site.casefold():
        return f"{by} ({site})"
    return by or site


def _ingredient_lines(page: Any) -> list[str]:
    """The ingredients, each section's heading a line of its own ending with ":"."""
    groups = _field(page.ingredient_groups) or []
    if len(groups) < 2:
        return _lines(_field(page.ingredients), 500)
    lines: list[str] = []
    for group in groups:
        heading = _text(getattr(group, "purpose", None), 498)
        if heading:
            lines.append(heading if heading.endswith(":") else f"{heading}:")
        lines.extend(_lines(getattr(group, "ingredients", None), 500))
    return lines[:MAX_LINES]


def _steps(page: Any) -> list[str]:
    """The steps; a ``HowToSection``'s name a heading line of its own, as for the ingredients.

    recipe-scrapers flattens the sections into one list of steps, so where the
    page's schema.org instructions have sections they are read from the schema.
    """
    data = _field(lambda: page.schema.data)
    raw = data.get("recipeInstructions") if isinstance(data, dict) else None
    if raw is not None and jsonld.has_sections(raw):
        return jsonld.instructions(raw)[:MAX_LINES]
    return _lines(_field(page.instructions_list), 5_000)


def _minutes(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and 0 <= value <= 100_000 else None


def _kept(tag: str, attribute: Callable[[str], str | None]) -> bool:
    if tag == "script":
        return (attribute("type") or "").strip().lower() == "application/ld+json"
    if tag == "link":
        return (attribute("rel") or "").strip().lower() == "canonical"
    return True


def json_ld_document(html: str) -> str | None:
    """The page's title, meta tags and JSON-LD scripts alone, as a small page; None without JSON-LD.

    lxml (libxml2) parses in C and stops at 256 levels of nesting, so a page
    built to be costly to parse costs it about a millisecond; what
    recipe-scrapers then reads is a few KB whatever the page was.
    """
    import lxml.html
    from lxml import etree

    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    kept = [e for e in tree.iter("title", "meta", "link", "script") if _kept(e.tag, e.get)]
    if not any(element.tag == "script" for element in kept):
        return None
    head = (lxml.html.tostring(e, encoding="unicode", with_tail=False) for e in kept)
    # The ingredient lists of the two common recipe plugins (WP Recipe Maker, Tasty
    # Recipes), where recipe-scrapers finds the ingredients' sections: small, and
    # copied from the tree lxml built, so still bounded whatever the page's body.
    groups = tree.xpath(_INGREDIENT_GROUPS)[:50]
    body = (lxml.html.tostring(e, encoding="unicode", with_tail=False) for e in groups)
    return (
        "<!doctype html><html><head>"
        + "".join(head)
        + "</head><body>"
        + "".join(body)
        + "</body></html>"
    )


_INGREDIENT_GROUPS = " | ".join(
    f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    for name in ("wprm-recipe-ingredient-group", "tasty-recipes-ingredients")
)


def recipe_from_page(html: str, url: str) -> RecipeCreate:
    """The recipe a page's schema.org markup describes; ``ImportFailedError`` if none.

    The JSON-LD alone first (cheap whatever the page's body); the whole page
    when that holds no recipe, for microdata.
    """
    from recipe_scrapers import SCRAPERS
    from recipe_scrapers._utils import get_host_name

    # A site recipe-scrapers knows has a scraper of its own, which reads the
    # page's body too (ingredient sections, steps the markup lacks): it gets
    # the whole page, still inside the child's bounds.
    if get_host_name(url) not in SCRAPERS:  # type: ignore[no-untyped-call]
        small = json_ld_document(html)
        if small is not None:
            try:
                return recipe_from_markup(small, url)
            except ImportFailedError:
                pass
    try:
        return recipe_from_markup(html, url)
    except NoRecipeError as exc:
        title = page_title(html)
        named = f"The page “{title}”" if title else "The page"
        raise ImportFailedError(
            f"{named} has no recipe we can read (no schema.org Recipe markup, JSON-LD or "
            "microdata): open the recipe's own page, or add the recipe by hand"
        ) from exc


def page_title(html: str) -> str | None:
    """The page's <title>, to tell the cook what the page was when it held no recipe."""
    import lxml.html
    from lxml import etree

    try:
        found = lxml.html.document_fromstring(html).find(".//title")
    except (etree.ParserError, ValueError):
        return None
    return _text(found.text_content(), 200) if found is not None else None


def recipe_from_markup(html: str, url: str) -> RecipeCreate:
    """What recipe-scrapers reads in ``html``, as a recipe we can store."""
    from recipe_scrapers import scrape_html
    from yarl import URL

    try:
        page = scrape_html(html, org_url=url, supported_only=False)
        title = _text(page.title(), 256)  # type: ignore[no-untyped-call]
    except Exception as exc:
        raise NoRecipeError(
            "The page has no schema.org Recipe markup (JSON-LD or microdata)"
        ) from exc
    if not title:
        raise ImportFailedError("The page's recipe markup has no name")
    keywords = _field(page.keywords)
    values: dict[str, Any] = {
        "label": title,
        "url": _canonical(_field(page.canonical_url), url),
        "source": _source(_field(page.author), _field(page.site_name)) or URL(url).host or "",
        "description": _text(_field(page.description), 10_000) or "",
        "ingredients": _ingredient_lines(page),
        "instructions": _steps(page),
        "tags": [tag for tag in _lines(keywords, 64)][:30],
        "servings": _text(_field(page.yields), 256) or "",
        "prep_minutes": _minutes(_field(page.prep_time)),
        "cook_minutes": _minutes(_field(page.cook_time)),
        "total_minutes": _minutes(_field(page.total_time)),
        "image_url": _text(_field(page.image), 2048),
        "cuisine": _text(_field(page.cuisine), 256),
        "category": _text(_field(page.category), 256),
    }
    try:
        return RecipeCreate.model_validate(values)
    except ValidationError as exc:
        # A malformed optional field (an image that is not a URL) is dropped, not fatal.
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        if "label" in bad:
            raise ImportFailedError("The page's recipe name is not usable") from exc
        for name in bad:
            values.pop(name, None)
        return RecipeCreate.model_validate(values)


# --- The child process that reads a page ------------------------------------------------


class PageReader:
    """Reads each page in a child process of its own, killed past ``seconds``.

    The children come from a forkserver that imported recipe-scrapers, lxml and
    this module once, so one starts in milliseconds rather than the ~0.4 s a
    fresh interpreter takes to import them; a child reads one page and exits,
    so whatever the page made it build goes back to the system. Its address
    space may grow by ``memory_mb`` at most (``RLIMIT_AS``): past that an
    allocation fails in the child, not in the worker.

    The page goes to the child and its answer comes back through pipes the
    event loop writes and reads itself: no thread holds a copy of the page
    (each thread's malloc arena kept ~3 MB per page in the worker, measured).
    """

    def __init__(
        self,
        *,
        seconds: float,
        memory_mb: int,
        start_method: Literal["forkserver", "spawn"] = "forkserver",
    ):
        self.seconds = seconds
        self.memory_mb = memory_mb
        # spawn (a fresh interpreter per page) is there for the benchmark's comparison.
        self._context = (
            multiprocessing.get_context("spawn")
            if start_method == "spawn"
            else multiprocessing.get_context("forkserver")
        )
        if start_method == "forkserver":
            self._context.set_forkserver_preload(
                [__name__, "recipe_scrapers", "lxml.html", "bs4", "orjson"]
            )

    async def read(self, page: FetchedPage) -> RecipeCreate:
        answer = await self._read(page)
        try:
            outcome = orjson.loads(answer)
        except orjson.JSONDecodeError:  # none, or cut short: the child died
            outcome = {"memory": True}
        if "recipe" in outcome:
            return RecipeCreate.model_validate(outcome["recipe"])
        if "failed" in outcome:
            raise ImportFailedError(str(outcome["failed"]))
        raise ImportFailedError(
            f"The page could not be read within {self.memory_mb} MB of memory: "
            "add the recipe by hand"
        )

    async def _read(self, page: FetchedPage) -> bytes:
        page_out, page_in = self._context.Pipe(duplex=False)
        answer_out, answer_in = self._context.Pipe(duplex=False)
        child = self._context.Process(
            target=_read_in_child,
            args=(page_out, answer_in, page.charset, page.url, self.memory_mb, self.seconds),
            daemon=True,
        )
        try:
            # Blocks on the forkserver (which the first page starts), so in a thread, and
            # before the deadline: the forkserver's start is not the page's doing.
            await to_thread.run_sync(child.start)
            page_out.close()  # the child's ends: its exit is then an end of file here
            answer_in.close()
            async with asyncio.timeout(self.seconds):
                try:
                    await _write_all(page_in.fileno(), page.body)
                except BrokenPipeError:  # the child died before reading it all
                    return b""
                page_in.close()  # the end of the page for the child
                return await _read_all(answer_out.fileno())
        except TimeoutError:
            raise ImportFailedError(
                f"The page could not be read within {self.seconds:g} seconds (it is too "
                "costly to read): add the recipe by hand"
            ) from None
        finally:
            for end in (page_out, page_in, answer_out, answer_in):
                end.close()
            if child.pid is not None:
                if child.is_alive():
                    child.kill()
                await to_thread.run_sync(child.join)


async def _wait_for(fd: int, *, writable: bool) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    if writable:
        loop.add_writer(fd, wake)
    else:
        loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        if writable:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)


async def _write_all(fd: int, data: bytes) -> None:
    os.set_blocking(fd, False)
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            await _wait_for(fd, writable=True)


async def _read_all(fd: int) -> bytes:
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(fd, 64 * 1024)
        except BlockingIOError:
            await _wait_for(fd, writable=False)
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


# How near its address-space limit a child may have come and its reading still be
# trusted: within this, some allocation likely failed (see _read_in_child).
_NEAR_LIMIT = 2 * 1024 * 1024


def _limit_child(memory_mb: int, seconds: float) -> int | None:
    """The child's limits set; the address-space limit in bytes (``None``: not Linux)."""
    page_size = os.sysconf("SC_PAGE_SIZE")
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * page_size
    except OSError:  # not Linux: the time limit still holds
        return None
    # On top of what the child already maps (the interpreter and its libraries).
    limit = used + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # A backstop should the worker die without killing it.
    cpu = math.ceil(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    return limit


def _peak_bytes() -> int:
    """The most address space this process has mapped (``VmPeak``)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    return 0


def _read_in_child(
    page: Connection, answer: Connection, charset: str, url: str, memory_mb: int, seconds: float
) -> None:
    limit = _limit_child(memory_mb, seconds)
    with open(page.fileno(), "rb", closefd=False) as stream:
        html = stream.read().decode(charset, errors="replace")
    outcome: dict[str, object]
    try:
        outcome = {"recipe": recipe_from_page(html, url).model_dump(mode="json")}
    except ImportFailedError as exc:
        outcome = {"failed": exc.detail}
    except MemoryError:
        outcome = {"memory": True}
    if limit is not None and _peak_bytes() >= limit - _NEAR_LIMIT:
        # At its limit: an allocation failed, and not always in Python. libxml2
        # stops parsing where its allocation fails and returns the tree so far,
        # so a page cut short read as "no recipe" (or a recipe cut short), where
        # the truth is that it did not fit (seen with a forkserver whose children
        # started with less room to grow by).
        outcome = {"memory": True}
    with open(answer.fileno(), "wb", closefd=False) as stream:
        stream.write(orjson.dumps(outcome))


async def read_recipe(importer: Importer, url: str) -> RecipeCreate:
    return await importer.reader.read(await importer.fetch(url))


async def read_pasted_recipe(importer: Importer, url: str, html: str) -> RecipeCreate:
    """The recipe in a page the cook's browser had (its HTML and address): nothing is fetched.

    Read by the same child process, under the same bounds, as a fetched page.
    """
    body = html.encode("utf-8", errors="replace")
    if len(body) > importer.max_bytes:
        raise too_large(importer.max_bytes)
    return await importer.reader.read(FetchedPage(url, body, "utf-8"))
