"""Shared HTTP plumbing for connectors: deadlines, retries, a circuit breaker,
body limits and the mapping of lower-layer errors into our hierarchy.

Every connector talks to its system through one `UpstreamClient`, which wraps
the `httpx.AsyncClient` the app's lifespan opened for that system.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import orjson
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from .errors import (
    UpstreamContractError,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)

#: Absolute deadline (``time.monotonic()``) of the current GraphQL request.
request_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "request_deadline", default=None
)

MAX_BODY_BYTES = 32 * 1024 * 1024

#: what `CallObserver.start` returns: called once with the attempt's outcome (``ok``,
#: ``timeout``, ``unavailable``, ``rejected``, ``contract`` or ``cancelled``) and the
#: HTTP status, if an answer came
FinishCall = Callable[[str, int | None], None]


class CallObserver(Protocol):
    """Told of every HTTP attempt to a source system (the gateway's metrics and tracing).

    `start` may add headers to the request (W3C ``traceparent``) before it is sent.
    """

    def start(self, system: str, request: httpx.Request) -> FinishCall: ...


@contextlib.contextmanager
def upstream_errors(system: str) -> Iterator[None]:
    """Map httpx and parsing errors raised inside the block to `UpstreamError`s."""
    try:
        yield
    except UpstreamError:
        raise
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(system) from exc
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status >= 500 or status == 429:
            raise UpstreamUnavailable(system) from exc
        raise UpstreamRejected(system, status) from exc
    except httpx.TransportError as exc:
        raise UpstreamUnavailable(system) from exc
    except httpx.HTTPError as exc:  # e.g. DecodingError, TooManyRedirects
        raise UpstreamContractError(system) from exc
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # json.JSONDecodeError and xml.etree.ElementTree.ParseError land here too
        raise UpstreamContractError(system) from exc
    except TimeoutError as exc:
        raise UpstreamTimeout(system) from exc
    except AuthlibBaseError as exc:  # the token endpoint refused our client credentials
        raise UpstreamRejected(system, 401) from exc


@contextlib.contextmanager
def contract_errors(system: str) -> Iterator[None]:
    """Map a failure to read an upstream answer into `UpstreamContractError`."""
    try:
        yield
    except UpstreamError:
        raise
    except Exception as exc:
        raise UpstreamContractError(system) from exc


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; half-opens after `reset_after` s."""

    def __init__(self, threshold: int = 5, reset_after: float = 10.0) -> None:
        self.threshold = threshold
        self.reset_after = reset_after
        self.failures = 0
        self.opened_at: float | None = None
        self.last_ok: bool | None = None

    @property
    def is_open(self) -> bool:
        if self.opened_at is None:
            return False
        # after `reset_after` the breaker is half-open: one call may try the system
        return time.monotonic() - self.opened_at < self.reset_after

    @property
    def healthy(self) -> bool:
        return not self.is_open and self.last_ok is not False

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open`` (open, but the next call may try)."""
        if self.opened_at is None:
            return "closed"
        return "open" if self.is_open else "half_open"

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.last_ok = True

    def failure(self) -> None:
        self.failures += 1
        self.last_ok = False
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of idempotent reads: count, base back-off with full jitter."""

    attempts: int = 2
    backoff: float = 0.05


class UpstreamClient:
    """One source system's HTTP client with the gateway's resilience rules."""

    def __init__(
        self,
        system: str,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        max_body: int = MAX_BODY_BYTES,
        observer: CallObserver | None = None,
    ) -> None:
        self.system = system
        self.http = http
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.max_body = max_body
        self.observer = observer
        self.calls = 0

    async def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool = True,
        classify: Callable[[httpx.Response], UpstreamError | None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request; retried (idempotent only) within the request deadline.

        `classify` may look at an error response first and name the error (e.g. a
        SOAP Client fault sent with HTTP 500 is our fault, not the system's).
        """
        if self.breaker.is_open:
            raise UpstreamUnavailable(self.system)
        attempts = 1 + (self.retry.attempts if idempotent else 0)
        last: UpstreamError | None = None
        for attempt in range(attempts):
            remaining = _remaining()
            if remaining is not None and remaining <= 0:
                last = last or UpstreamTimeout(self.system)
                break
            try:
                response = await self._once(method, url, remaining, classify, **kwargs)
            except (UpstreamTimeout, UpstreamContractError, UpstreamRejected) as exc:
                # a timeout used up the budget; a contract or 4xx error won't heal on retry
                self._record(exc)
                raise
            except UpstreamError as exc:
                self._record(exc)
                last = exc
                if attempt + 1 < attempts:
                    await asyncio.sleep(random.uniform(0, self.retry.backoff * (2**attempt)))
                continue
            self.breaker.success()
            return response
        assert last is not None
        raise last

    def _record(self, exc: UpstreamError) -> None:
        if isinstance(exc, UpstreamRejected):
            return  # our fault, not the system's
        self.breaker.failure()

    async def _once(
        self,
        method: str,
        url: str,
        remaining: float | None,
        classify: Callable[[httpx.Response], UpstreamError | None] | None,
        **kwargs: Any,
    ) -> httpx.Response:
        self.calls += 1
        seen = _Attempt()
        try:
            response = await self._attempt(seen, method, url, remaining, classify, **kwargs)
        except BaseException as exc:
            if seen.finish is not None:
                seen.finish(_outcome(exc), seen.status)
            raise
        if seen.finish is not None:
            seen.finish("ok", response.status_code)
        return response

    async def _attempt(
        self,
        seen: _Attempt,
        method: str,
        url: str,
        remaining: float | None,
        classify: Callable[[httpx.Response], UpstreamError | None] | None,
        **kwargs: Any,
    ) -> httpx.Response:
        with upstream_errors(self.system):
            async with asyncio.timeout(remaining):
                auth = await self._auth()
                request = self.http.build_request(method, url, **kwargs)
                if self.observer is not None:
                    seen.finish = self.observer.start(self.system, request)
                response = await self.http.send(request, stream=True, auth=auth)
                seen.status = response.status_code
                try:
                    if _plain_and_within(response, self.max_body):
                        await response.aread()  # the announced length bounds the read
                    else:
                        response = await self._read_capped(request, response)
                finally:
                    await response.aclose()
            if response.is_error and classify is not None:
                named = classify(response)
                if named is not None:
                    raise named
            response.raise_for_status()
            return response

    async def _read_capped(
        self, request: httpx.Request, response: httpx.Response
    ) -> httpx.Response:
        """Read a body of unknown or encoded length, decoded, up to `max_body` bytes."""
        try:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self.max_body:
                    raise UpstreamContractError(self.system)
        finally:
            await response.aclose()
        # rebuild a complete response so callers may use .json()/.content
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            status_code=response.status_code,
            headers=headers,
            content=bytes(body),
            request=request,
        )

    async def _auth(self) -> httpx.Auth | None:
        """Bearer auth for systems behind OAuth2 client credentials (token cached by authlib)."""
        http = self.http
        if not isinstance(http, AsyncOAuth2Client):
            return None
        if not http.token:
            await http.fetch_token(grant_type="client_credentials")
        else:
            await http.ensure_active_token(http.token)
        auth: httpx.Auth = http.token_auth
        return auth


@dataclass(slots=True)
class _Attempt:
    """What one attempt told its observer so far."""

    finish: FinishCall | None = None
    status: int | None = None


_OUTCOMES: dict[type[UpstreamError], str] = {
    UpstreamTimeout: "timeout",
    UpstreamUnavailable: "unavailable",
    UpstreamRejected: "rejected",
    UpstreamContractError: "contract",
}


def _outcome(exc: BaseException) -> str:
    """The metrics label of a failed attempt (errors are mapped by `upstream_errors`)."""
    if isinstance(exc, UpstreamError):
        return _OUTCOMES.get(type(exc), "unavailable")
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return "unavailable"


def _plain_and_within(response: httpx.Response, max_body: int) -> bool:
    """An unencoded body whose Content-Length is at most `max_body`: read it as it is."""
    length: bytes | None = None
    for name, value in response.headers.raw:  # one pass, no decoding of every header
        name = name.lower()
        if name == b"content-length":
            length = value if length is None else b"-"  # several: not plain
        elif name == b"content-encoding" and value.strip().lower() != b"identity":
            return False
    return length is not None and length.isdigit() and int(length) <= max_body


def read_json(response: httpx.Response) -> Any:
    """The JSON body of an upstream answer (orjson: the connectors' hot path)."""
    return orjson.loads(response.content)


def _remaining() -> float | None:
    deadline = request_deadline.get()
    if deadline is None:
        return None
    return deadline - time.monotonic()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Set the request deadline for everything awaited inside the block."""
    token = request_deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        request_deadline.reset(token)


@contextlib.contextmanager
def at_deadline(absolute: float | None) -> Iterator[None]:
    """Run the block under an absolute `time.monotonic()` deadline (None: no deadline)."""
    token = request_deadline.set(absolute)
    try:
        yield
    finally:
        request_deadline.reset(token)
