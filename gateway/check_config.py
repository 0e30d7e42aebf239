"""`knutpunkt check-config`: is this configuration one the gateway can run on?

Validates the settings the way the gateway reads them, then reaches what they
name: every source system (any HTTP answer below 500 means it is there; with
client credentials a token is fetched too), the identity provider's JWKS, the
access-log and case-store databases and Redis. One line per check,
`<name> ok <detail>` or `<name> FAIL <reason>`; exit 0 when nothing failed.
Nothing is written anywhere: databases get a `SELECT 1`, files are only looked at.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

import httpx

from connectors.errors import SettingsError
from connectors.registry import SystemSettings

from .settings import Settings, load_settings

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    skipped: bool = False

    def line(self) -> str:
        status = "skipped" if self.skipped else "ok" if self.ok else "FAIL"
        return f"{self.name} {status} {self.detail}".rstrip()


class _Failed(Exception):
    """A check's reason for failing, already phrased for the operator."""


def check_config_main(config: Path | None, out: TextIO) -> int:
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        print(f"config FAIL {exc.message}", file=out)
        return 1
    print(f"config ok {config if config else 'no file: environment and defaults'}", file=out)
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        print(check.line(), file=out)
    return 0 if all(c.ok for c in checks) else 1


async def run_checks(settings: Settings) -> list[Check]:
    """Every check for these settings, in a stable order; the network ones in parallel."""
    checks = _static_checks(settings)
    pending: list[tuple[str, Awaitable[str]]] = []
    for system_id, system in sorted(settings.systems.items()):
        if system.enabled:
            pending.append((f"system {system_id}", _system(system)))
    if settings.oidc.jwks_url:
        pending.append(("oidc jwks", _jwks(settings.oidc.jwks_url)))
    pending.append(("audit database", _database(settings.audit.url)))
    if settings.casestore.enabled:
        pending.append(("case-store database", _database(settings.casestore.url)))
    if settings.cache.url.startswith(("redis://", "rediss://")):
        pending.append(("cache redis", _redis(settings.cache.url)))
    if not any(s.enabled for s in settings.systems.values()):
        checks.append(Check("systems", False, "none configured ([systems.<id>] url)"))
    results = await asyncio.gather(*(_run(name, check) for name, check in pending))
    if not settings.oidc.jwks_url:
        checks.append(_no_idp(settings))
    if not settings.cache.url.startswith(("redis://", "rediss://")):
        checks.append(Check("cache", True, settings.cache.url))
    return checks + list(results)


def _static_checks(settings: Settings) -> list[Check]:
    """What can be checked without the network: the settings' own consistency."""
    from policies.policy import load_policy

    from .cors import cors_middleware
    from .trust import build_validator
    from .trusted_documents import TrustedDocuments

    checks: list[Check] = []
    try:
        build_validator(settings)
        fallback = "demo issuer only" if settings.demo.enabled else "no identity provider"
        checks.append(Check("oidc settings", True, settings.oidc.issuer or fallback))
    except SettingsError as exc:
        checks.append(Check("oidc settings", False, exc.message))
    try:
        load_policy(Path(settings.policy.file) if settings.policy.file else None)
        checks.append(Check("policy", True, settings.policy.file or "the shipped default"))
    except Exception as exc:  # a policy file can be wrong in many ways: report, don't crash
        checks.append(Check("policy", False, getattr(exc, "message", None) or str(exc)))
    try:
        documents = TrustedDocuments.from_settings(settings.gateway)
        detail = f"{len(documents)} documents" if documents is not None else "none"
        checks.append(Check("trusted documents", True, detail))
    except SettingsError as exc:
        checks.append(Check("trusted documents", False, exc.message))
    try:
        cors_middleware(settings.gateway)
        checks.append(Check("cors", True, ", ".join(settings.gateway.cors_origins) or "off"))
    except SettingsError as exc:
        checks.append(Check("cors", False, exc.message))
    try:
        proxies = settings.gateway.proxy_networks()
        checks.append(Check("trusted proxies", True, ", ".join(proxies) or "none"))
    except SettingsError as exc:
        checks.append(Check("trusted proxies", False, exc.message))
    return checks


def _no_idp(settings: Settings) -> Check:
    if settings.demo.enabled:
        return Check("oidc jwks", True, "(demo issuer only)", skipped=True)
    return Check("oidc jwks", False, "no identity provider ([oidc] jwks_url): nobody can log in")


async def _run(name: str, check: Awaitable[str]) -> Check:
    try:
        return Check(name, True, await check)
    except _Failed as exc:
        return Check(name, False, str(exc))


def _client(timeout: float = TIMEOUT_SECONDS) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False)


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host unknown"
    return type(exc).__name__


async def _system(system: SystemSettings) -> str:
    if not system.url:
        raise _Failed("no url")
    started = time.monotonic()
    async with _client(min(system.timeout, TIMEOUT_SECONDS)) as http:
        try:
            response = await http.get(system.url)
        except httpx.HTTPError as exc:
            raise _Failed(f"{safe_url(system.url)}: {_reason(exc)}") from exc
        millis = round((time.monotonic() - started) * 1000)
        if response.status_code >= 500:
            raise _Failed(f"{safe_url(system.url)} answered HTTP {response.status_code}")
        detail = f"{safe_url(system.url)} answered HTTP {response.status_code} in {millis} ms"
        if system.token_url:
            detail += "; " + await _token(http, system)
    return detail


async def _token(http: httpx.AsyncClient, system: SystemSettings) -> str:
    form = {"grant_type": "client_credentials"}
    if system.scope:
        form["scope"] = system.scope
    try:
        response = await http.post(
            system.token_url, data=form, auth=(system.client_id, system.client_secret)
        )
    except httpx.HTTPError as exc:
        raise _Failed(f"token endpoint {safe_url(system.token_url)}: {_reason(exc)}") from exc
    try:
        token = response.json().get("access_token") if response.status_code == 200 else None
    except ValueError:
        token = None
    if not token:
        raise _Failed(f"token endpoint answered HTTP {response.status_code} without a token")
    return "client credentials accepted"


async def _jwks(url: str) -> str:
    async with _client() as http:
        try:
            response = await http.get(url)
        except httpx.HTTPError as exc:
            raise _Failed(f"{safe_url(url)}: {_reason(exc)}") from exc
    try:
        keys = response.json().get("keys") if response.status_code == 200 else None
    except (ValueError, AttributeError):
        keys = None
    if not isinstance(keys, list) or not keys:
        raise _Failed(f"{safe_url(url)} answered HTTP {response.status_code} without keys")
    return f"{safe_url(url)}: {len(keys)} keys"


async def _database(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        if ":memory:" in url:
            return "sqlite in memory"
        path = Path(parts.path[1:] if parts.path.startswith("/") else parts.path)
        return await asyncio.to_thread(_sqlite_file, path)
    if parts.scheme in ("postgresql", "postgres"):
        import psycopg

        target = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        try:
            async with await psycopg.AsyncConnection.connect(
                target, connect_timeout=int(TIMEOUT_SECONDS), autocommit=True
            ) as conn:
                await conn.execute("SELECT 1")
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise _Failed(f"{safe_url(url)}: {reason}") from exc
        return safe_url(url)
    raise _Failed(f"unknown database URL scheme {parts.scheme!r}")


def _sqlite_file(path: Path) -> str:
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise _Failed(f"sqlite {path} is not readable and writable")
        return f"sqlite {path}"
    folder = path.parent
    while not folder.exists():  # the gateway creates missing folders: the first existing one
        folder = folder.parent
    if not os.access(folder, os.W_OK):
        raise _Failed(f"sqlite {path} cannot be created: {folder} is not writable")
    return f"sqlite {path} (will be created)"


async def _redis(url: str) -> str:
    import redis.asyncio as redis_client
    from redis.exceptions import RedisError

    client = redis_client.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        raise _Failed(f"{safe_url(url)}: {type(exc).__name__}") from exc
    finally:
        await client.aclose()
    return safe_url(url)


def safe_url(url: str) -> str:
    """The URL without a password (operators paste these lines into tickets)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
