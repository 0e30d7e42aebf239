"""Settings: a TOML file, overridden by `KNUTPUNKT_<SECTION>_<KEY>` environment variables.

Without a file the gateway runs in demo mode against the sandbox municipality
(the system URLs are then filled in by `knutpunkt serve` once the sandbox listens).
Per-system settings live in `[systems.<id>]` and are overridden by
`KNUTPUNKT_SYSTEMS_<ID>_<KEY>`. The case store's section was once called `[replica]`
(`KNUTPUNKT_REPLICA_*`); those names are still read, with a warning.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from connectors.errors import SettingsError
from connectors.registry import SYSTEM_IDS, CallRules, SystemSettings
from notify.settings import NotifySettings
from notify.settings import validate as validate_notify


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    host: str = "127.0.0.1"
    port: int = 8000
    #: one deadline for all upstream calls of one GraphQL request
    deadline_seconds: float = 3.0
    max_query_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 1000
    max_root_fields: int = 10
    #: the estimated objects a query may ask for (resolvers/cost.py), checked before it runs
    max_query_cost: int = 250_000
    max_body_bytes: int = 64 * 1024
    #: answers larger than this are replaced by a RESPONSE_TOO_LARGE error
    max_response_bytes: int = 4 * 1024 * 1024
    #: one request's whole execution, upstream calls included (REQUEST_TIMEOUT)
    max_execution_seconds: float = 10.0
    #: GraphQL requests per caller and minute (RATE_LIMITED, 429); 0: no limit
    requests_per_minute: int = 120
    #: distinct persons a staff member may read per hour (RATE_LIMITED); 0: no limit
    staff_persons_per_hour: int = 200
    #: where the limits' counters live in Redis (when `[cache] url` is Redis)
    rate_limit_prefix: str = "knutpunkt:limits:"
    #: on SIGTERM, how long running requests may finish before they are cancelled
    shutdown_grace_seconds: int = 3
    #: outside demo mode GraphiQL is served only when this is true (demo: always)
    graphiql: bool = False
    webhook_secret: str = ""
    #: outside demo mode, the token roles that may introspect the schema (never PUBLIC
    #: or CITIZEN); demo mode lets everyone
    introspection_roles: tuple[str, ...] = ("analyst", "case_officer", "contact_centre")
    #: trusted documents: a JSON manifest, sha256 hex of a document → the document
    trusted_documents: str = ""
    #: true: the callers in `trusted_roles` may run only the manifest's documents
    require_trusted: bool = False
    trusted_roles: tuple[str, ...] = ("citizen", "public")
    #: browser origins (the portals) allowed to call the API cross-origin; none by default
    cors_origins: tuple[str, ...] = ()
    #: addresses or networks (10.0.0.0/8) of the reverse proxies in front: their
    #: X-Forwarded-For names the client (rate limits of anonymous callers, logs); empty:
    #: the connecting address is the client
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    #: no upstream call starts with less than this left of the deadline (fails at once)
    min_call_budget_ms: int = 150
    #: the share of the time left a register look-up (the first hop) may use
    register_share: float = 0.4
    #: retries per system: extra calls per first call, and the burst the bucket holds
    retry_ratio: float = 0.1
    retry_burst: int = 5
    #: a failed system's last case lists are shown (marked STALE_DATA) up to this age; 0: off
    stale_if_error_seconds: int = 3600
    #: one process rewrites a person's kept copy at most this often (each view otherwise)
    stale_refresh_seconds: int = 30

    def proxy_networks(self) -> list[str]:
        """`trusted_proxies`, each checked to be an address or a network."""
        bad = []
        for entry in self.trusted_proxies:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                bad.append(entry)
        if bad:
            raise SettingsError(
                f"[gateway] trusted_proxies: {bad} är inte adresser eller nät som 10.0.0.5 "
                "eller 10.0.0.0/8."
            )
        return list(self.trusted_proxies)

    def call_rules(self) -> CallRules:
        """The rules every system's client follows: minimum budget and retry budget."""
        return CallRules(
            min_budget=self.min_call_budget_ms / 1000,
            retry_ratio=self.retry_ratio,
            retry_burst=float(self.retry_burst),
            stale_if_error_seconds=self.stale_if_error_seconds,
            stale_refresh_seconds=self.stale_refresh_seconds,
        )


@dataclass(frozen=True, slots=True)
class OidcSettings:
    issuer: str = ""
    audience: str = ""
    jwks_url: str = ""
    leeway_seconds: int = 30
    claim_role: str = "role"
    claim_personal_number: str = "https://id.oidc.se/claim/personalIdentityNumber"
    claim_units: str = "units"
    claim_name: str = "name"
    #: also accept tokens typed "JWT" or untyped (for IdPs that issue access tokens so);
    #: off: only `typ` at+jwt (RFC 9068), so ID and refresh tokens never open the API
    accept_plain_jwt: bool = False
    #: the longest `exp - iat` accepted; the demo issuer's --ttl stays within it too
    max_token_lifetime_seconds: int = 3600
    #: refused tokens are logged at WARNING, at most this many lines a minute
    refusal_log_per_minute: int = 20


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """Demo mode: the local token issuer is trusted and the sandbox is the backend."""

    enabled: bool = False
    key_file: str = ""
    seed: int = 1
    reference_date: str = ""
    scale: float = 1.0
    base_port: int = 9100


@dataclass(frozen=True, slots=True)
class AuditSettings:
    url: str = "sqlite:///var/audit.db"
    #: the secret that keys the hash chain (HMAC-SHA256), kept outside the database:
    #: the key itself (KNUTPUNKT_AUDIT_KEY) or a file holding it; none: an unkeyed chain
    key: str = ""
    key_file: str = ""
    #: signed checkpoints (record number + head) appended outside the database
    checkpoint_file: str = ""
    checkpoint_every: int = 100
    checkpoint_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class CacheSettings:
    url: str = "memory://"


@dataclass(frozen=True, slots=True)
class PolicySettings:
    file: str = ""


@dataclass(frozen=True, slots=True)
class CaseStoreSettings:
    url: str = "sqlite:///var/replica.db"  # the store keeps its first file name
    refresh_seconds: float = 60.0
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class SignalSettings:
    """The signal inbox (`POST /signals`); opened when a system has `signals = true`."""

    url: str = "sqlite:///var/signals.db"
    retention_hours: float = 72.0
    #: more signals waiting than this: 429 with Retry-After
    max_pending: int = 100_000
    max_attempts: int = 6
    backoff_seconds: float = 0.5
    #: table-name prefix in the database, also names the pub/sub channel
    prefix: str = "signal_"


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    """`/metrics`: on a port of its own (same process) and/or behind a bearer token."""

    #: 0: served on the gateway's port; else its own port (open unless `token` is set)
    port: int = 0
    #: the listen address of that port; empty: the gateway's host
    host: str = ""
    #: the bearer token scrapers send; empty: open in the demo, 401 on the gateway's port
    token: str = ""


@dataclass(frozen=True, slots=True)
class TracingSettings:
    """OpenTelemetry; the exporter and sampler read the standard `OTEL_*` variables."""

    enabled: bool = False
    #: unless OTEL_SERVICE_NAME says otherwise
    service_name: str = "knutpunkt"


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    #: "json" (one object per line) or "text"; empty: json in production, text in the demo
    format: str = ""
    #: empty: KNUTPUNKT_LOG_LEVEL, else INFO
    level: str = ""


@dataclass(frozen=True, slots=True)
class Settings:
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    oidc: OidcSettings = field(default_factory=OidcSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    casestore: CaseStoreSettings = field(default_factory=CaseStoreSettings)
    signals: SignalSettings = field(default_factory=SignalSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    tracing: TracingSettings = field(default_factory=TracingSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    systems: Mapping[str, SystemSettings] = field(default_factory=dict)

    def signalling(self) -> dict[str, SystemSettings]:
        """The systems that push signals (and so are cached long)."""
        return {
            s: c for s, c in self.systems.items() if c.enabled and c.signals and c.signal_secret
        }

    def with_system_urls(self, urls: Mapping[str, str]) -> Settings:
        systems = dict(self.systems)
        for system_id, url in urls.items():
            systems[system_id] = replace(systems.get(system_id, SystemSettings()), url=url)
        return replace(self, systems=systems)


_SECTIONS: dict[str, type[Any]] = {
    "gateway": GatewaySettings,
    "oidc": OidcSettings,
    "demo": DemoSettings,
    "audit": AuditSettings,
    "cache": CacheSettings,
    "policy": PolicySettings,
    "casestore": CaseStoreSettings,
    "signals": SignalSettings,
    "notify": NotifySettings,
    "metrics": MetricsSettings,
    "tracing": TracingSettings,
    "logging": LoggingSettings,
}
#: deprecated section name -> its new name (the TOML section and its env prefix)
_RENAMED = {"replica": "casestore"}
log = logging.getLogger("knutpunkt.settings")


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file (if any), then apply environment overrides."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"Konfigurationsfilen {path} finns inte.") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"Konfigurationsfilen {path} är inte giltig TOML: {exc}") from None
    raw, env = _renamed_sections(raw, env)
    unknown = set(raw) - set(_SECTIONS) - {"systems"}
    if unknown:
        raise SettingsError(f"Okänd sektion i konfigurationen: {sorted(unknown)}")
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        sections[name] = _build(cls, raw.get(name, {}), env, f"KNUTPUNKT_{name.upper()}_", name)
    systems_raw = raw.get("systems", {})
    if not isinstance(systems_raw, dict):
        raise SettingsError("[systems] ska vara en tabell per system.")
    systems: dict[str, SystemSettings] = {}
    for system_id in sorted(set(SYSTEM_IDS) | set(systems_raw)):
        prefix = f"KNUTPUNKT_SYSTEMS_{system_id.upper()}_"
        section = systems_raw.get(system_id, {})
        if section or any(k.startswith(prefix) for k in env):
            systems[system_id] = _build(
                SystemSettings, section, env, prefix, f"systems.{system_id}"
            )
    for system_id, conf in systems.items():
        if conf.signals and not conf.signal_secret.startswith("whsec_"):
            raise SettingsError(
                f"[systems.{system_id}] signals = true kräver signal_secret (whsec_...)."
            )
    try:
        validate_notify(sections["notify"])
    except ValueError as exc:
        raise SettingsError(f"[notify] {exc}") from None
    return Settings(systems=systems, **sections)


def _renamed_sections(
    raw: dict[str, Any], env: Mapping[str, str]
) -> tuple[dict[str, Any], Mapping[str, str]]:
    """Read a deprecated section and its env keys as the new one (the new names win)."""
    for old, new in _RENAMED.items():
        if old in raw:
            if new in raw:
                raise SettingsError(f"Ange antingen [{new}] eller [{old}], inte båda.")
            log.warning("settings: [%s] is deprecated, rename it to [%s]", old, new)
            raw = {(new if k == old else k): v for k, v in raw.items()}
        old_prefix, new_prefix = f"KNUTPUNKT_{old.upper()}_", f"KNUTPUNKT_{new.upper()}_"
        aliased = {
            new_prefix + k.removeprefix(old_prefix): v
            for k, v in env.items()
            if k.startswith(old_prefix)
        }
        if aliased:
            log.warning(
                "settings: %s* is deprecated, use %s* (%s)",
                old_prefix,
                new_prefix,
                ", ".join(sorted(k for k in env if k.startswith(old_prefix))),
            )
            env = {**aliased, **env}
    return raw, env


def _build(cls: type[Any], table: object, env: Mapping[str, str], prefix: str, where: str) -> Any:
    if not isinstance(table, dict):
        raise SettingsError(f"[{where}] ska vara en tabell.")
    known = {f.name: f for f in fields(cls)}
    unknown = set(table) - set(known)
    if unknown:
        raise SettingsError(f"Okänd nyckel i [{where}]: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        default = spec.default
        value = table.get(name, default)
        env_value = env.get(prefix + name.upper())
        if env_value is not None:
            value = _coerce(env_value, default, f"{prefix}{name.upper()}")
        elif name in table:
            value = _check_type(value, default, f"[{where}] {name}")
        values[name] = value
    return cls(**values)


def _coerce(text: str, default: object, name: str) -> object:
    try:
        if isinstance(default, bool):
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, tuple):  # a list: comma-separated
            return tuple(item.strip() for item in text.split(",") if item.strip())
    except ValueError:
        raise SettingsError(f"{name} har ett ogiltigt värde.") from None
    return text


def _check_type(value: object, default: object, name: str) -> object:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value  # type: ignore[arg-type]
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, tuple):
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        value = tuple(value) if ok else value  # type: ignore[arg-type]
    else:
        ok = isinstance(value, str)
    if not ok:
        raise SettingsError(f"{name} har fel typ.")
    return value
