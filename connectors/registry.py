"""The connector registry: one HTTP client and one connector per configured system.

`open_connectors` is called from the app's lifespan. It opens one
`httpx.AsyncClient` per system (base URL, timeouts, pool limits, an injected
transport in tests, an OAuth2 client-credentials client where configured) and
builds the matching connector.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiocache.base import BaseCache
from authlib.integrations.httpx_client import AsyncOAuth2Client

from .base import CaseSource, MandateRegister, PopulationRegister
from .domain import SystemInfo
from .http import CircuitBreaker, RetryPolicy, UpstreamClient
from .transport import AiohttpTransport

CASE_SYSTEMS = (
    "diarium",
    "byggr",
    "procapita",
    "ecos",
    "teknik",
    "edu",
    "kontaktcenter",
    "eservice",
)


@dataclass(frozen=True, slots=True)
class SystemSettings:
    """How to reach one source system."""

    url: str = ""
    timeout: float = 5.0
    connect_timeout: float = 2.0
    max_connections: int = 20
    retries: int = 2
    enabled: bool = True
    #: OAuth2 client credentials (token fetched through authlib's httpx client)
    token_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""


def _connector_class(system_id: str) -> Any:
    # explicit table, imported on use so that a deployment without a system pays nothing
    if system_id == "diarium":
        from .diarium import DiariumConnector

        return DiariumConnector
    if system_id == "byggr":
        from .byggr import ByggrConnector

        return ByggrConnector
    if system_id == "procapita":
        from .procapita import ProcapitaConnector

        return ProcapitaConnector
    if system_id == "ecos":
        from .ecos import EcosConnector

        return EcosConnector
    if system_id == "teknik":
        from .teknik import TeknikConnector

        return TeknikConnector
    if system_id == "edu":
        from .edu import EduConnector

        return EduConnector
    if system_id == "kontaktcenter":
        from .kontaktcenter import KontaktcenterConnector

        return KontaktcenterConnector
    if system_id == "eservice":
        from .eservice import EserviceConnector

        return EserviceConnector
    if system_id == "folkbokforing":
        from .folkbokforing import FolkbokforingConnector

        return FolkbokforingConnector
    if system_id == "ombud":
        from .ombud import OmbudConnector

        return OmbudConnector
    raise KeyError(system_id)


@dataclass
class Connectors:
    """Every connector of the running gateway, by system id."""

    clients: dict[str, UpstreamClient] = field(default_factory=dict)
    case_sources: dict[str, CaseSource] = field(default_factory=dict)
    population: PopulationRegister | None = None
    mandates: MandateRegister | None = None

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


async def open_connectors(
    systems: Mapping[str, SystemSettings],
    stack: contextlib.AsyncExitStack,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    cache: BaseCache | None = None,
) -> Connectors:
    """Open a client per enabled system (closed with `stack`) and build its connector."""
    transports = transports or {}
    found = Connectors()
    for system_id, conf in systems.items():
        if not conf.enabled or (not conf.url and system_id not in transports):
            continue
        http = await stack.enter_async_context(_http_client(system_id, conf, transports))
        client = UpstreamClient(
            system_id,
            http,
            retry=RetryPolicy(attempts=conf.retries),
            breaker=CircuitBreaker(),
        )
        found.clients[system_id] = client
        connector = _connector_class(system_id)(client, cache=cache)
        if system_id == "folkbokforing":
            found.population = connector
        elif system_id == "ombud":
            found.mandates = connector
        else:
            found.case_sources[system_id] = connector
    return found


def _http_client(
    system_id: str, conf: SystemSettings, transports: Mapping[str, httpx.AsyncBaseTransport]
) -> httpx.AsyncClient:
    kwargs: dict[str, Any] = {
        "base_url": conf.url or f"http://{system_id}.sandbox",
        "timeout": httpx.Timeout(conf.timeout, connect=conf.connect_timeout),
        "limits": httpx.Limits(
            max_connections=conf.max_connections, max_keepalive_connections=conf.max_connections
        ),
        "headers": {"user-agent": "knutpunkt/0.1"},
    }
    # aiohttp underneath (C parser, lean pool) unless a test injects its own transport
    kwargs["transport"] = transports.get(system_id) or AiohttpTransport(kwargs["limits"])
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
