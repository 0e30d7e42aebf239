"""An httpx transport over aiohttp: httpx stays the connectors' client API.

httpx's default transport (httpcore on anyio, h11 in pure Python) was about half of
the gateway's CPU time per query (bench/peer.py, issue 12). This transport hands
each request to an `aiohttp.ClientSession` (HTTP parsing in C, a lean connection
pool) and gives back an `httpx.Response` streaming the body, so everything above it —
`UpstreamClient`, authlib's OAuth2 client, `MockTransport`/`ASGITransport` in tests —
is unchanged.

aiohttp's errors are mapped to the httpx error that httpcore raises for the same
failure, so `upstream_errors` keeps classifying them the same way (timeouts as
timeouts, everything else as the system being unavailable). aiohttp keeps no cookies
of its own (httpx's jar handles them as before), and TLS trusts what httpx would
(`httpx.create_ssl_context()`: certifi, or SSL_CERT_FILE/SSL_CERT_DIR).
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import httpx

#: What an `httpx.Response` is told about the connection (httpcore sets the same).
HTTP_11 = b"HTTP/1.1"
KEEPALIVE_EXPIRY = 5.0
#: answers announcing at most this many bytes (and no content-encoding) are read whole
#: before the response is handed to httpx; larger or encoded ones stream as before, so
#: that `UpstreamClient` can stop reading at its body limit
EAGER_BYTES = 1024 * 1024


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through one aiohttp session (opened on first use)."""

    def __init__(self, limits: httpx.Limits | None = None) -> None:
        self._limits = limits or httpx.Limits()
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        limits = self._limits
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry or KEEPALIVE_EXPIRY,
            ssl=_tls(),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # httpx decodes content-encoding itself
            trust_env=False,
        )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        timeout = request.extensions.get("timeout", {})
        try:
            body: bytes | None = request.content or None
        except httpx.RequestNotRead:
            body = await request.aread() or None
        with _mapped_errors(request):
            response = await session.request(
                request.method,
                str(request.url),
                headers=_headers(request.headers),
                data=body,
                allow_redirects=False,  # httpx follows redirects when asked
                timeout=aiohttp.ClientTimeout(
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            )
        extensions = {
            "http_version": HTTP_11,
            "reason_phrase": (response.reason or "").encode("ascii", "replace"),
        }
        if _small_and_plain(response):
            # read at once: no stream for httpx to iterate (most answers are a few kB)
            with _mapped_errors(request):
                try:
                    body = await response.read()
                finally:
                    response.release()
            return httpx.Response(
                status_code=response.status,
                headers=response.raw_headers,
                content=body,
                request=request,
                extensions=extensions,
            )
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, request),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


def _small_and_plain(response: aiohttp.ClientResponse) -> bool:
    """An answer of announced length up to `EAGER_BYTES`, not content-encoded."""
    length = response.content_length
    if length is None or length > EAGER_BYTES:
        return False
    encoding = response.headers.get("content-encoding")
    return encoding is None or encoding.strip().lower() == "identity"


@functools.cache
def _tls() -> ssl.SSLContext:
    # the certificates httpx itself would trust (certifi, or SSL_CERT_FILE/SSL_CERT_DIR)
    return httpx.create_ssl_context()


def _headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    # straight from the raw bytes: httpx's multi_items() first guesses an encoding
    try:
        return [(k.decode("ascii"), v.decode("ascii")) for k, v in headers.raw]
    except UnicodeDecodeError:
        return headers.multi_items()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors(self._request):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


@contextlib.contextmanager
def _mapped_errors(request: httpx.Request) -> Iterator[None]:
    """aiohttp's (and asyncio's) errors as the httpx errors httpcore would raise."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc), request=request) from exc
    except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
        raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc), request=request) from exc
    except aiohttp.InvalidURL as exc:
        raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
    except (
        aiohttp.ServerDisconnectedError,
        aiohttp.ClientPayloadError,
        aiohttp.ClientResponseError,
    ) as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except aiohttp.ClientError as exc:  # ClientOSError and the rest: the connection broke
        raise httpx.ReadError(str(exc), request=request) from exc
