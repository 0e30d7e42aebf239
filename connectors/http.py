"""Shared HTTP plumbing for connectors: deadlines, retries, a circuit breaker,
body limits and the mapping of lower-layer errors into our hierarchy.

Every connector talks to its system through one `UpstreamClient`, which wraps
the `httpx.AsyncClient` the app's lifespan opened for that system.

Deadline budget: no call starts with less than `min_budget` seconds of the request
deadline left (it fails at once as `UpstreamTimeout`, no network call), and
`deadline_share` lets a first hop (the registers) use only part of what is left.
Retries: only for reads (GET, or a POST the connector declares a read), at most
`RetryBudget.ratio` extra calls per first call per system, after a `Retry-After`
the system asked for (given up when it would pass the deadline).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
import orjson
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from .breakers import CircuitBreaker as CircuitBreaker
from .breakers import RetryBudget as RetryBudget
from .breakers import RetryPolicy as RetryPolicy
from .deadlines import at_deadline as at_deadline
from .deadlines import deadline as deadline
from .deadlines import deadline_share as deadline_share
from .deadlines import hop_deadline as hop_deadline
from .deadlines import remaining_time, time_allowed
from .deadlines import request_deadline as request_deadline
from .errors import (
    UpstreamContractError,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from .outgoing import RequestBuilder

MAX_BODY_BYTES = 32 * 1024 * 1024
#: the longest `Retry-After` honoured when a call runs without a request deadline
MAX_RETRY_AFTER = 10.0
#: methods that are reads by HTTP's definition; a POST is a read only when declared
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

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
            wait = retry_after(exc.response) if status in (429, 503) else None
            raise UpstreamUnavailable(system, retry_after=wait) from exc
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


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the `Retry-After` header asks us to wait (delta-seconds or an HTTP date)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@contextlib.contextmanager
def contract_errors(system: str) -> Iterator[None]:
    """Map a failure to read an upstream answer into `UpstreamContractError`."""
    try:
        yield
    except UpstreamError:
        raise
    except Exception as exc:
        raise UpstreamContractError(system) from exc


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
        min_budget: float = 0.0,
        budget: RetryBudget | None = None,
        observer: CallObserver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.system = system
        self.http = http
        #: `http`'s transport, when the gateway built both: calls without OAuth2 go to it
        #: straight (see `_send`)
        self.transport = transport
        self._requests = RequestBuilder(http)
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker()
        self.max_body = max_body
        #: seconds of the request deadline a call needs left to be started at all
        self.min_budget = min_budget
        self.budget = budget or RetryBudget()
        self.observer = observer
        self.calls = 0
        #: calls not started because too little of the deadline was left
        self.skipped = 0
        #: calls refused at once because the system's circuit was open
        self.short_circuited = 0
        #: attempts after the first (reads only), and retries the budget refused
        self.retries = 0
        self.retries_refused = 0

    async def request(
        self,
        method: str,
        url: str,
        *,
        read: bool = False,
        classify: Callable[[httpx.Response], UpstreamError | None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request; reads are retried within the request deadline and budget.

        A GET is a read; a POST only when the connector declares the operation one
        (`read=True`: SOAP and JSON-RPC look-ups are POSTs). `classify` may look at an
        error response first and name the error (e.g. a SOAP Client fault sent with
        HTTP 500 is our fault, not the system's).
        """
        if self.breaker.is_open:
            self.short_circuited += 1
            raise UpstreamUnavailable(self.system)
        retried = read or method.upper() in READ_METHODS
        attempts = 1 + (self.retry.attempts if retried else 0)
        self.budget.deposit()
        last: UpstreamError | None = None
        for attempt in range(attempts):
            remaining, allowed = remaining_time(), time_allowed()
            if (remaining is not None and remaining < max(self.min_budget, 1e-3)) or (
                allowed is not None and allowed <= 1e-3  # the hop's share is spent
            ):
                self.skipped += 1
                last = last or UpstreamTimeout(self.system)
                break
            if attempt > 0:
                if not self.budget.withdraw():
                    self.retries_refused += 1
                    break
                self.retries += 1
            try:
                response = await self._once(method, url, allowed, classify, **kwargs)
            except (UpstreamTimeout, UpstreamContractError, UpstreamRejected) as exc:
                # a timeout used up the budget; a contract or 4xx error won't heal on retry
                self._record(exc)
                raise
            except UpstreamError as exc:
                self._record(exc)
                last = exc
                if attempt + 1 < attempts:
                    await asyncio.sleep(self._pause(exc, attempt))
                continue
            self.breaker.success()
            return response
        assert last is not None
        raise last

    def _pause(self, exc: UpstreamError, attempt: int) -> float:
        """Back-off before the next attempt: the system's `Retry-After` if it sent one
        (giving up, i.e. re-raising, when that would not leave `min_budget` of the
        deadline), else full jitter."""
        wait = exc.retry_after if isinstance(exc, UpstreamUnavailable) else None
        if wait is None:
            return random.uniform(0, self.retry.backoff * (2**attempt))
        remaining = remaining_time()
        limit = MAX_RETRY_AFTER if remaining is None else remaining - self.min_budget
        if wait > limit:
            raise exc
        return wait

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
                request = self._requests.build(method, url, **kwargs)
                if self.observer is not None:
                    seen.finish = self.observer.start(self.system, request)
                response = await self._send(request, auth)
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

    async def _send(self, request: httpx.Request, auth: httpx.Auth | None) -> httpx.Response:
        """Send `request`: through `http` (its auth flow, cookie jar and redirect rules) when
        the call needs auth, the client holds cookies or no transport was given, else to
        the transport directly.

        The direct way skips what `AsyncClient.send` does per call that these calls do not
        use — an auth flow without auth, redirects not followed, and cookie extraction
        (about a sixth of a call's CPU time): an upstream session cookie is not kept, which
        a gateway answering for many citizens over one client should not do anyway.
        """
        http = self.http
        if auth is not None or self.transport is None or http.auth is not None or http.cookies:
            # no OAuth2 token: the client's own auth, if it has one (None would drop it)
            return await http.send(
                request, stream=True, auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth
            )
        response = await self.transport.handle_async_request(request)
        response.request = request
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
