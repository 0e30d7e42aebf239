"""The case systems side by side, for the connector tests they share
(tests/connectors/test_case_systems.py) and the fixtures of each system's own tests; the
table of the systems themselves is `kp_case_table.SYSTEMS`.

A `CaseSystem` names a system's connector, simulator and sandbox world, and says what the
shared behaviours look like there: the look-ups (`Lookup`) and the change window (`Window`)
with the cases they find, how many upstream calls they make and what those calls carry.
`known` holds the cases the tests know in full (`kp_expected_cases`, `kp_full_case`);
wherever one of them is found it must map exactly.

connected(system, transport, **options)   the system's connector over `transport`
simulated(system, world=None)             a counting transport over the system's simulator
mocked(system, handler)                   the connector over an `httpx.MockTransport`
contract_error(system, body, call)        `call` on an upstream answering `body` must fail
                                          with a contract error that names no URL
real_answer(system, call)                 the body the simulator answers to `call`
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import httpx
import pytest
from kp_testing import CountingTransport
from kp_worlds import connector_over
from starlette.applications import Starlette

from connectors.domain import Case, SystemInfo
from connectors.errors import UpstreamContractError
from connectors.http import RetryPolicy, UpstreamClient
from simulators import world as w

C = TypeVar("C")
Sent = Callable[[httpx.Request], list[str]]
Mark = Callable[[httpx.Request], object]
#: a connector's code table and the codes its simulator emits: the same set
Tables = tuple[tuple[Iterable[object], Iterable[object]], ...]


@dataclass(frozen=True)
class Lookup:
    """One call of a look-up method: `keys` in, the ids `found` out (in the order
    answered), in `calls` upstream calls that each send the keys but `dropped`; `marks`,
    when given, tell the calls apart in order (page number, offset)."""

    keys: tuple[str, ...]
    found: tuple[str, ...]
    calls: int = 1
    dropped: tuple[str, ...] = ()
    marks: tuple[object, ...] | None = None

    @property
    def sent(self) -> list[str]:
        return [k for k in dict.fromkeys(self.keys) if k not in self.dropped]


@dataclass(frozen=True)
class Window:
    """`changed_cases(since, until)`: the ids `found` in `calls` calls, the first carrying
    the texts `sent` (the window's ends as the system writes them)."""

    since: datetime
    until: datetime
    found: tuple[str, ...]
    calls: int
    sent: tuple[str, ...]


@dataclass(frozen=True)
class CaseSystem(Generic[C]):
    """A case system's connector and simulator, and what the shared behaviours look like
    there (see the module doc). `cached` is a known id and another one; `hopeless_*` are
    keys the system cannot hold beyond those no system can (they cost no call);
    `status_id(n)` is the sandbox case with status n and every event kind, the first
    with `status_link`."""

    name: str
    info: SystemInfo
    connector: Callable[..., C]
    app: Callable[[w.World], Starlette]
    world: Callable[[], w.World]
    small_pages: Mapping[str, Any]
    keys_sent: Sent
    known: Mapping[str, Case]
    person: Lookup
    crowd: Lookup
    ids: Lookup
    numbers: Lookup
    changes: Window
    cached: tuple[str, str]
    tables: Tables
    page_mark: Mark | None = None
    hopeless_ids: tuple[str, ...] = ()
    hopeless_numbers: tuple[str, ...] = ()
    status_id: Callable[[int], str] | None = None
    status_link: str | None = None

    @property
    def host(self) -> str:
        return f"{self.name}.test"

    def __str__(self) -> str:
        return self.name


def soap_keys(*fields: str) -> Sent:
    """The keys a SOAP call sends as `<t:field>` elements."""
    pattern = re.compile(rf"<t:(?:{'|'.join(fields)})>([^<]*)</t:")
    return lambda request: pattern.findall(request.content.decode())


def rpc_keys(*fields: str) -> Sent:
    """The keys a JSON-RPC call sends as lists in its params."""

    def sent(request: httpx.Request) -> list[str]:
        params = json.loads(request.content)["params"]
        return [k for field in fields for k in params.get(field, [])]

    return sent


def query_keys(*names: str) -> Sent:
    """The keys a GET sends as repeated or comma-listed query parameters."""
    return lambda request: [
        key
        for name in names
        for value in request.url.params.get_list(name)
        for key in value.split(",")
    ]


def query_mark(name: str) -> Mark:
    return lambda request: request.url.params.get(name)


@asynccontextmanager
async def connected(
    system: CaseSystem[C],
    transport: httpx.AsyncBaseTransport,
    *,
    retry: RetryPolicy | None = None,
    **options: Any,
) -> AsyncIterator[C]:
    """The system's connector (with `options`) over `transport` at `http://{system}.test`."""
    async with httpx.AsyncClient(base_url=f"http://{system.host}", transport=transport) as http:
        yield system.connector(UpstreamClient(system.name, http, retry=retry), **options)


def simulated(system: CaseSystem[Any], world: w.World | None = None) -> CountingTransport:
    """A counting transport over the system's simulator of `world` (its sandbox world)."""
    app = system.app(system.world() if world is None else world)
    return CountingTransport(httpx.ASGITransport(app=app))


def mocked(system: CaseSystem[C], handler: Callable[[httpx.Request], httpx.Response]) -> C:
    """The system's connector over an upstream answered by `handler` (no retries)."""
    return connector_over(system.connector, system.name, handler)


async def contract_error(
    system: CaseSystem[C], body: bytes, call: Callable[[C], Awaitable[object]]
) -> UpstreamContractError:
    """`call` on an upstream answering 200 `body` fails with a contract error of the
    system whose message names the system but no URL."""
    connector = mocked(system, lambda request: httpx.Response(200, content=body))
    with pytest.raises(UpstreamContractError) as caught:
        await call(connector)
    error = caught.value
    assert error.system == system.name
    assert system.name in error.message
    assert system.host not in error.message and "http" not in error.message
    return error


async def real_answer(system: CaseSystem[C], call: Callable[[C], Awaitable[object]]) -> str:
    """The body the system's simulator answers to `call` (to break it in tests)."""
    captured: list[str] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        captured.append(response.text)

    async with httpx.AsyncClient(
        base_url=f"http://{system.host}",
        transport=simulated(system),
        event_hooks={"response": [keep]},
    ) as http:
        await call(system.connector(UpstreamClient(system.name, http)))
    return captured[0]
