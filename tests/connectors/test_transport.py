"""The aiohttp-backed httpx transport over real loopback sockets: answers and failures.

A raw asyncio server plays the upstream, so each test can answer exactly the bytes a
failure needs (cut bodies, garbage status lines, silence) and see what the gateway's
`UpstreamClient` makes of them through `AiohttpTransport`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from connectors import errors
from connectors.http import RetryPolicy, UpstreamClient
from connectors.transport import AiohttpTransport

pytestmark = pytest.mark.sockets

Handler = Callable[[bytes], Awaitable[bytes | None]]


class RawServer:
    """A loopback HTTP/1.1 server answering each request with `handler(request bytes)`."""

    def __init__(self, handler: Handler, *, close_after_answer: bool = False) -> None:
        self.handler = handler
        self.close_after_answer = close_after_answer
        self.requests: list[bytes] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                request = head + (await reader.readexactly(length) if length else b"")
                self.requests.append(request)
                answer = await self.handler(request)
                if answer is None:  # hang up without a word
                    break
                writer.write(answer)
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join([*head, *extra]) + "\r\n\r\n").encode() + body


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[[str], UpstreamClient]]:
    opened: list[httpx.AsyncClient] = []

    def make(url: str) -> UpstreamClient:
        http = httpx.AsyncClient(
            base_url=url,
            timeout=httpx.Timeout(1.0, connect=0.5),
            transport=AiohttpTransport(httpx.Limits(max_connections=4)),
            headers={"user-agent": "knutpunkt/test"},
        )
        opened.append(http)
        return UpstreamClient("ecos", http, retry=RetryPolicy(attempts=0))

    yield make
    for http in opened:
        await http.aclose()


async def test_a_request_and_its_answer_pass_through_whole(
    make_client: Callable[[str], UpstreamClient],
) -> None:
    async def echo(request: bytes) -> bytes:
        head, _, body = request.partition(b"\r\n\r\n")
        seen = {"line": head.split(b"\r\n")[0].decode(), "body": body.decode()}
        return ok(json.dumps(seen).encode(), "X-Upstream: yes")

    async with RawServer(echo) as url:
        client = make_client(url)
        response = await client.request(
            "POST", "/api/v2/cases", params={"page": "2", "q": "å ä"}, json={"pnr": "1956"}
        )
    assert response.status_code == 200
    assert response.headers["x-upstream"] == "yes"
    assert response.json() == {
        "line": "POST /api/v2/cases?page=2&q=%C3%A5+%C3%A4 HTTP/1.1",
        "body": '{"pnr":"1956"}',
    }


async def test_connections_are_kept_alive_and_cookies_handled_by_httpx_alone(
    make_client: Callable[[str], UpstreamClient],
) -> None:
    async def cookie(request: bytes) -> bytes:
        return ok(b"{}", "Set-Cookie: session=abc; Path=/")

    server = RawServer(cookie)
    async with server as url:
        client = make_client(url)
        for _ in range(3):
            assert (await client.request("GET", "/x")).json() == {}
    assert server.connections == 1
    assert len(server.requests) == 3
    # httpx's own cookie jar sends it back once; aiohttp's jar adds nothing of its own
    assert [r.lower().count(b"\r\ncookie: session=abc") for r in server.requests] == [0, 1, 1]
    assert [r.lower().count(b"\r\ncookie:") for r in server.requests] == [0, 1, 1]


async def test_error_statuses_keep_their_meaning(
    make_client: Callable[[str], UpstreamClient],
) -> None:
    async def status(request: bytes) -> bytes:
        code = b"503 Service Unavailable" if b"/down" in request else b"404 Not Found"
        return b"HTTP/1.1 " + code + b"\r\nContent-Length: 0\r\n\r\n"

    async with RawServer(status) as url:
        client = make_client(url)
        with pytest.raises(errors.UpstreamUnavailable):
            await client.request("GET", "/down")
        with pytest.raises(errors.UpstreamRejected) as rejected:
            await client.request("GET", "/missing")
    assert rejected.value.status == 404


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (None, errors.UpstreamUnavailable),  # hung up before answering
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", errors.UpstreamUnavailable),
        (b"NOT HTTP AT ALL\r\n\r\n", errors.UpstreamUnavailable),
    ],
    ids=["hung-up", "cut-body", "garbage"],
)
async def test_broken_answers_are_the_system_being_unavailable(
    make_client: Callable[[str], UpstreamClient], answer: bytes | None, expected: type[Exception]
) -> None:
    async def broken(request: bytes) -> bytes | None:
        return answer

    async with RawServer(broken, close_after_answer=True) as url:
        client = make_client(url)
        with pytest.raises(expected) as caught:
            await client.request("GET", "/x")
    assert isinstance(caught.value.__cause__, httpx.TransportError)
    assert "127.0.0.1" not in caught.value.message


async def test_a_silent_system_is_a_timeout(
    make_client: Callable[[str], UpstreamClient],
) -> None:
    async def silent(request: bytes) -> bytes:
        await asyncio.sleep(5)
        return ok(b"{}")

    async with RawServer(silent) as url:
        client = make_client(url)
        with pytest.raises(errors.UpstreamTimeout) as caught:
            await client.request("GET", "/x")
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


async def test_nobody_listening_is_unavailable(
    make_client: Callable[[str], UpstreamClient],
) -> None:
    async with RawServer(lambda request: asyncio.sleep(0, ok(b"{}"))) as url:
        pass  # closed again: the port is free
    client = make_client(url)
    with pytest.raises(errors.UpstreamUnavailable) as caught:
        await client.request("GET", "/x")
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
