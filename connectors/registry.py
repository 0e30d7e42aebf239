"""The connector registry: one HTTP client and one connector per configured system.

`open_connectors` is called from the app's lifespan. It opens one
`httpx.AsyncClient` per system (base URL, timeouts, pool limits, an injected
transport in tests, an OAuth2 client-credentials client where configured) and
builds the matching connector from `CONNECTOR_CLASSES`, the one table of source
systems (the settings and everything else derive the system ids from it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import httpx
from aiocache.base import BaseCache
from authlib.integrations.httpx_client import AsyncOAuth2Client

from .base import CaseSource, MandateRegister, PopulationRegister
from .byggr import ByggrConnector
from .diarium import DiariumConnector
from .domain import SystemInfo
from .ecos import EcosConnector
from .edu import EduConnector
from .eservice import EserviceConnector
from .folkbokforing import FolkbokforingConnector
from .http import CallObserver, CircuitBreaker, RetryBudget, RetryPolicy, UpstreamClient
from .kontaktcenter import KontaktcenterConnector
from .ombud import OmbudConnector
from .procapita import ProcapitaConnector
from .stale import StaleCopies
from .teknik import TeknikConnector
from .transport import AiohttpTransport

T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, slots=True)
class SystemSettings:
    """How to reach one source system."""

    url: str = ""
    timeout: float = 5.0
    connect_timeout: float = 2.0
    max_connections: int = 20
    retries: int = 2
    #: consecutive failures that open the circuit (calls then fail at once for 10 s)
    breaker_threshold: int = 5
    enabled: bool = True
    #: OAuth2 client credentials (token fetched through authlib's httpx client)
    token_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""
    #: the system pushes case event signals (POST /signals), so its answers may be cached
    #: `cache_seconds` per person and case: a signal ends them. Needs `signal_secret`.
    signals: bool = False
    signal_secret: str = ""  # Standard Webhooks secret, "whsec_<base64>"
    cache_seconds: int = 600


class Builds(Protocol[T_co]):
    """A connector class: built from the system's HTTP client and the shared cache."""

    def __call__(self, client: UpstreamClient, *, cache: BaseCache | None = None) -> T_co: ...


@dataclass(frozen=True, slots=True)
class CaseSystem:
    """A system that holds cases (registry, business system, e-service, contact centre)."""

    connector: Builds[CaseSource]


@dataclass(frozen=True, slots=True)
class PopulationSystem:
    connector: Builds[PopulationRegister]


@dataclass(frozen=True, slots=True)
class MandateSystem:
    connector: Builds[MandateRegister]


ConnectorClass = CaseSystem | PopulationSystem | MandateSystem

#: every source system the gateway can connect to, by system id: the one table
CONNECTOR_CLASSES: Mapping[str, ConnectorClass] = MappingProxyType(
    {
        "diarium": CaseSystem(DiariumConnector),
        "byggr": CaseSystem(ByggrConnector),
        "procapita": CaseSystem(ProcapitaConnector),
        "ecos": CaseSystem(EcosConnector),
        "teknik": CaseSystem(TeknikConnector),
        "edu": CaseSystem(EduConnector),
        "kontaktcenter": CaseSystem(KontaktcenterConnector),
        "eservice": CaseSystem(EserviceConnector),
        "folkbokforing": PopulationSystem(FolkbokforingConnector),
        "ombud": MandateSystem(OmbudConnector),
    }
)
#: every known system id, in the table's order
SYSTEM_IDS: tuple[str, ...] = tuple(CONNECTOR_CLASSES)
#: the systems that hold cases (the rest are the population and mandate registers)
CASE_SYSTEMS: tuple[str, ...] = tuple(
    i for i, c in CONNECTOR_CLASSES.items() if isinstance(c, CaseSystem)
)
REGISTERS: tuple[str, ...] = tuple(i for i in SYSTEM_IDS if i not in CASE_SYSTEMS)


@dataclass(frozen=True, slots=True)
class CallRules:
    """The gateway-wide rules every system's client follows (from `[gateway]`)."""

    #: seconds of the deadline a call needs left to be started
    min_budget: float = 0.0
    #: retry budget: extra calls per first call, and the most saved up
    retry_ratio: float = 0.1
    retry_burst: float = 5.0
    #: how long the last good case lists are kept to be shown when a system fails (0: off)
    stale_if_error_seconds: float = 0.0
    #: a kept copy is rewritten at most this often per key by one process
    stale_refresh_seconds: float = 30.0


@dataclass
class Connectors:
    """Every connector of the running gateway, by system id."""

    clients: dict[str, UpstreamClient] = field(default_factory=dict)
    case_sources: dict[str, CaseSource] = field(default_factory=dict)
    population: PopulationRegister | None = None
    mandates: MandateRegister | None = None
    #: the last good answers, shown (marked STALE_DATA) when a system fails
    stale: StaleCopies | None = None

    @property
    def systems(self) -> list[SystemInfo]:
        found: list[SystemInfo] = [s.system for s in self.case_sources.values()]
        if self.population is not None:
            found.append(self.population.system)
        if self.mandates is not None:
            found.append(self.mandates.system)
        return found

    def info(self, system_id: str) -> SystemInfo | None:
        for system in self.systems:
            if system.id == system_id:
                return system
        return None

    def healthy(self, system_id: str) -> bool:
        client = self.clients.get(system_id)
        return client is not None and client.breaker.healthy

    def upstream_calls(self) -> dict[str, int]:
        return {system_id: client.calls for system_id, client in self.clients.items()}

    def skipped_calls(self) -> dict[str, int]:
        """Calls not started because too little of the request deadline was left."""
        return {system_id: client.skipped for system_id, client in self.clients.items()}

    def retries(self) -> dict[str, int]:
        """Retries sent per system (spent from its retry budget)."""
        return {system_id: client.budget.spent for system_id, client in self.clients.items()}


async def open_connectors(
    systems: Mapping[str, SystemSettings],
    stack: contextlib.AsyncExitStack,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    cache: BaseCache | None = None,
    rules: CallRules | None = None,
    observer: CallObserver | None = None,
) -> Connectors:
    """Open a client per enabled system (closed with `stack`) and build its connector.

    `observer` is told of every upstream attempt (the gateway's metrics and tracing).
    """
    transports = transports or {}
    rules = rules or CallRules()
    found = Connectors(
        stale=StaleCopies(cache, rules.stale_if_error_seconds, refresh=rules.stale_refresh_seconds)
    )
    for system_id, conf in systems.items():
        if not conf.enabled or (not conf.url and system_id not in transports):
            continue
        limits = httpx.Limits(
            max_connections=conf.max_connections, max_keepalive_connections=conf.max_connections
        )
        # aiohttp underneath (C parser, lean pool) unless a test injects its own transport
        transport = transports.get(system_id) or AiohttpTransport(limits)
        http = await stack.enter_async_context(_http_client(system_id, conf, limits, transport))
        client = UpstreamClient(
            system_id,
            http,
            transport=transport,
            retry=RetryPolicy(attempts=conf.retries),
            breaker=CircuitBreaker(threshold=conf.breaker_threshold),
            min_budget=rules.min_budget,
            budget=RetryBudget(rules.retry_ratio, rules.retry_burst),
            observer=observer,
        )
        found.clients[system_id] = client
        kind = CONNECTOR_CLASSES.get(system_id)
        if kind is None:
            raise KeyError(system_id)
        if isinstance(kind, PopulationSystem):
            found.population = kind.connector(client, cache=cache)
        elif isinstance(kind, MandateSystem):
            found.mandates = kind.connector(client, cache=cache)
        else:
            found.case_sources[system_id] = kind.connector(client, cache=cache)
    return found


def _http_client(
    system_id: str,
    conf: SystemSettings,
    limits: httpx.Limits,
    transport: httpx.AsyncBaseTransport,
) -> httpx.AsyncClient:
    kwargs: dict[str, Any] = {
        "base_url": conf.url or f"http://{system_id}.sandbox",
        "timeout": httpx.Timeout(conf.timeout, connect=conf.connect_timeout),
        "limits": limits,
        "headers": {"user-agent": "knutpunkt/0.1"},
        "transport": transport,
    }
    if conf.token_url:
        oauth: httpx.AsyncClient = AsyncOAuth2Client(
            client_id=conf.client_id,
            client_secret=conf.client_secret,
            scope=conf.scope or None,
            token_endpoint=conf.token_url,
            grant_type="client_credentials",
            token_endpoint_auth_method="client_secret_basic",
            leeway=30,
            **kwargs,
        )
        return oauth
    return httpx.AsyncClient(**kwargs)
