"""The keep-alive pool under the shared AsyncClient: reuse, limits, timeouts, odd answers."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from recipe_api.ideas.emulator import FakeReddit
from recipe_api.ideas.transport import PooledTransport

AGENT = {"User-Agent": "test:recipe-api-tests:1.0 (by /u/tester)"}


def _client(base_url: str, *, max_connections: int = 8, **timeouts: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        headers=AGENT,
        transport=PooledTransport(max_connections=max_connections),
        timeout=httpx.Timeout(5.0, **timeouts),
    )


async def test_connections_are_kept_alive(reddit: FakeReddit, reddit_url: str) -> None:
    async with _client(reddit_url) as client:
        for _ in range(10):
            response = await client.get("/r/recipes/top.json", params={"limit": 2})
            assert response.status_code == 200
            assert response.json()["data"]["dist"] == 2

    assert reddit.connections_opened == 1


async def test_no_more_connections_than_the_limit(reddit: FakeReddit, reddit_url: str) -> None:
    reddit.latency = 0.05
    async with _client(reddit_url, max_connections=3) as client:
        responses = await asyncio.gather(*(client.get("/r/recipes/top.json") for _ in range(12)))

    assert {response.status_code for response in responses} == {200}
    assert reddit.connections_opened == 3
    assert reddit.max_in_flight == 3


async def test_waiting_for_a_connection_times_out(reddit_url: str) -> None:
    async with _client(reddit_url, max_connections=1, pool=0.1) as client:
        hanging = asyncio.ensure_future(client.get("/r/hang_x/top.json"))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await client.get("/r/recipes/top.json")
        hanging.cancel()
        # The cancelled request gave its connection slot back.
        assert (await client.get("/r/recipes/top.json")).status_code == 200


async def test_waiting_for_an_answer_times_out(reddit_url: str) -> None:
    async with _client(reddit_url, read=0.1) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/r/hang_x/top.json")
        assert (await client.get("/r/recipes/top.json")).status_code == 200


async def test_nothing_listening_is_a_connect_error(unused_port: int) -> None:
    async with _client(f"http://127.0.0.1:{unused_port}") as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/")


async def test_a_post_with_a_body(reddit: FakeReddit, reddit_url: str) -> None:
    async with _client(reddit_url) as client:
        response = await client.post(
            "/api/v1/access_token", auth=("id", "secret"), data={"grant_type": "client_credentials"}
        )

    assert response.status_code == 200
    assert response.json()["access_token"]


Handler = Callable[[bytes], bytes | None]
StartServer = Callable[[Handler], Awaitable[str]]


@pytest.fixture
async def raw_server() -> AsyncIterator[StartServer]:
    """A server that answers each request with whatever bytes the test chooses."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                answer = handler(head)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer:
                    break
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_chunked_answers(raw_server: StartServer) -> None:
    body = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    url = await raw_server(lambda head: body)
    async with _client(url) as client:
        first = await client.get("/")
        second = await client.get("/")

    assert first.content == second.content == b"hello world"


async def test_an_answer_ended_by_closing_the_connection(
    raw_server: StartServer,
) -> None:
    url = await raw_server(lambda head: b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{}")
    async with _client(url) as client:
        responses = [await client.get("/") for _ in range(2)]

    assert [response.content for response in responses] == [b"{}", b"{}"]


async def test_a_connection_closed_without_an_answer(
    raw_server: StartServer,
) -> None:
    url = await raw_server(lambda head: None)
    async with _client(url) as client:
        with pytest.raises(httpx.ReadError):
            await client.get("/")


async def test_an_answer_that_is_not_http(raw_server: StartServer) -> None:
    url = await raw_server(lambda head: b"SSH-2.0-OpenSSH\r\n\r\n")
    async with _client(url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/")


async def test_a_kept_alive_connection_closed_by_the_server_is_replaced(
    raw_server: StartServer,
) -> None:
    answers = iter([b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na", None])

    def once_then_hang_up(head: bytes) -> bytes | None:
        return next(answers, b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb")

    url = await raw_server(once_then_hang_up)
    async with _client(url) as client:
        first = await client.get("/")
        # The server hangs up on the second request, unanswered: it is sent again, once.
        second = await client.get("/")

    assert (first.content, second.content) == (b"a", b"b")


async def test_unsupported_requests(reddit_url: str) -> None:
    async with _client(reddit_url) as client:
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.head("/r/recipes/top.json")


async def test_a_closed_transport_refuses_requests(reddit_url: str) -> None:
    transport = PooledTransport()
    await transport.aclose()
    with pytest.raises(RuntimeError):
        await transport.handle_async_request(httpx.Request("GET", reddit_url))


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost, made by the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    command += ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
    command += ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


async def test_https(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    trusting = ssl.create_default_context(cafile=str(cert))
    try:
        transport = PooledTransport(ssl_context=trusting)
        async with httpx.AsyncClient(transport=transport) as client:
            responses = [await client.get(f"https://localhost:{port}/") for _ in range(2)]
        async with _client(f"https://localhost:{port}") as untrusting:
            with pytest.raises(httpx.ConnectError):
                await untrusting.get("/")
    finally:
        server.close()
        await server.wait_closed()

    assert [response.text for response in responses] == ["ok", "ok"]


async def test_compressed_answers_are_decoded(raw_server: StartServer) -> None:
    body = gzip.compress(b'{"kind": "Listing"}')
    head = b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n" % len(body)
    url = await raw_server(lambda request: head + body)
    async with _client(url) as client:
        response = await client.get("/")

    assert response.json() == {"kind": "Listing"}
