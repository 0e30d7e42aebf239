"""`knutpunkt serve`: the gateway (and in the demo the sandbox municipality) in one process.

The gateway's (and the metrics') ports are bound first, before the sandbox starts its
systems on ports the kernel hands out: otherwise one of those could take the gateway's
port between the check and the bind, and the gateway would fail after the whole sandbox
had come up. A port already in use is a coded settings error, reported before anything
has started.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import secrets
import socket
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from connectors.errors import SettingsError

from .settings import Settings

#: the demo's notification digest window: a newcomer sees the decision mail within a
#: minute (production default 15 minutes; `KNUTPUNKT_NOTIFY_DIGEST_MINUTES` still wins)
DEMO_DIGEST_MINUTES = 1.0


def demo_settings(settings: Settings, env: Mapping[str, str]) -> Settings:
    """`knutpunkt serve` without a config: demo mode, with the demo's shorter digest and an
    access log keyed with a key it generates under var/."""
    settings = replace(settings, demo=replace(settings.demo, enabled=True))
    from .audit import demo_audit

    settings = replace(settings, audit=demo_audit(settings.audit))
    if "KNUTPUNKT_NOTIFY_DIGEST_MINUTES" not in env:
        settings = replace(
            settings, notify=replace(settings.notify, digest_minutes=DEMO_DIGEST_MINUTES)
        )
    return settings


async def serve_async(settings: Settings, out: TextIO) -> None:
    import uvicorn

    from .app import create_app
    from .telemetry.logs import configure_logging

    configure_logging(settings.logging, demo=settings.demo.enabled)
    proxies = settings.gateway.proxy_networks()
    # our ports first: the sandbox's systems take whatever ports the kernel hands out
    gateway_socks, metrics_socks = _listen(settings)
    gw = settings.gateway
    settings = replace(settings, gateway=replace(gw, port=_bound_port(gateway_socks)))
    sandbox_servers: list[Any] = []
    if settings.demo.enabled and not any(s.url for s in settings.systems.values()):
        try:
            settings, sandbox_servers = await _start_sandbox(settings, out)
        except OSError:  # the sandbox binds its own sockets: a port in use
            raise SettingsError(
                f"the demo sandbox cannot listen on {gw.host} from port "
                f"{settings.demo.base_port}: a port is in use (KNUTPUNKT_DEMO_BASE_PORT=0 "
                "takes free ones)"
            ) from None
        # the sandbox's uvicorn servers installed their own log handlers: ours again
        configure_logging(settings.logging, demo=True)
    ensure_sqlite_dirs(settings)
    app = create_app(settings)
    gw = settings.gateway
    # on SIGTERM, requests still running after the grace period are cancelled (and with
    # them their upstream calls): a hanging source system cannot hold the shutdown up;
    # log_config=None: uvicorn's records go through our (scrubbing, JSON) root handler
    config = uvicorn.Config(
        app,
        host=gw.host,
        port=gw.port,
        log_level="warning",
        timeout_graceful_shutdown=gw.shutdown_grace_seconds,
        log_config=None,
        # the client as the trusted proxies name it (X-Forwarded-For), else the peer
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
    server = uvicorn.Server(config)
    task = await _started(server, gateway_socks)
    if task.done():
        return
    settle(None)  # startup's objects (schema, policy, clients, modules) out of the GC's way
    print(f"GraphiQL http://{gw.host}:{gw.port}/graphql", file=out, flush=True)
    metrics_server = await _start_metrics_server(settings, app, metrics_socks, out)
    try:
        await task
    finally:
        if metrics_server is not None:
            metrics_server.should_exit = True
        # the gateway is down (its background sync stopped): now let the sandbox finish
        # what it was answering, for a second at most, then cancel the rest (a simulator
        # told to hang would otherwise keep the process alive)
        for sim in sandbox_servers:
            sim.should_exit = True
        await _finish_tasks(min(1.0, gw.shutdown_grace_seconds))


async def _started(server: Any, socks: list[socket.socket]) -> asyncio.Task[None]:
    """`server` serving on `socks`, once it has started (or has ended: its error raised)."""
    task = asyncio.create_task(server.serve(sockets=socks))
    while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn has no started event
        await asyncio.sleep(0.02)
    if task.done():
        task.result()
    return task


async def _finish_tasks(grace: float) -> None:
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if not others:
        return
    _, pending = await asyncio.wait(others, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


def _listen(settings: Settings) -> tuple[list[socket.socket], list[socket.socket]]:
    gw, metrics = settings.gateway, settings.metrics
    gateway_socks = _listen_on(gw.host, gw.port, "the gateway")
    if not metrics.port:
        return gateway_socks, []
    try:
        return gateway_socks, _listen_on(metrics.host or gw.host, metrics.port, "/metrics")
    except SettingsError:
        for sock in gateway_socks:
            sock.close()
        raise


async def _start_metrics_server(
    settings: Settings, app: Any, socks: list[socket.socket], out: TextIO
) -> Any:
    """`/metrics` on `[metrics] port`, in this process, from the app's own registry."""
    if not socks:
        return None
    import uvicorn

    from .telemetry import metrics_app

    host = settings.metrics.host or settings.gateway.host
    metrics = metrics_app(app.state.knutpunkt.telemetry.metrics, settings)
    config = uvicorn.Config(
        metrics,
        host=host,
        port=settings.metrics.port,
        log_level="warning",
        log_config=None,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    await _started(server, socks)
    print(f"metrics http://{host}:{settings.metrics.port}/metrics", file=out, flush=True)
    return server


def with_sandbox_urls(settings: Settings, urls: Mapping[str, str]) -> Settings:
    """`settings` pointed at a running sandbox's systems (`Sandbox.urls`), the population
    register reached with the sandbox's OAuth2 client."""
    from simulators.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    settings = settings.with_system_urls(urls)
    systems = dict(settings.systems)
    folk = systems["folkbokforing"]
    systems["folkbokforing"] = replace(
        folk,
        token_url=f"{folk.url}/oauth/token",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    return replace(settings, systems=systems)


async def _start_sandbox(settings: Settings, out: TextIO) -> tuple[Settings, list[Any]]:
    from simulators.sandbox import Sandbox

    demo = settings.demo
    secret = settings.gateway.webhook_secret or secrets.token_hex(16)
    signal_secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    gw = settings.gateway
    box = Sandbox.build(
        seed=demo.seed,
        reference_date=date.fromisoformat(demo.reference_date) if demo.reference_date else None,
        scale=demo.scale,
        eservice_callback_url=f"http://{gw.host}:{gw.port}/hooks/eservice",
        eservice_callback_secret=secret,
        signals_to=f"http://{gw.host}:{gw.port}/signals",
        signal_secret=signal_secret,
    )
    settle(box)
    servers = await box.serve(gw.host, demo.base_port, out=out)
    settings = with_sandbox_urls(settings, box.urls)
    systems = dict(settings.systems)
    # the demo's case systems signal the gateway (and so are cached until they do)
    for system in box.pushers:
        conf = systems[system]
        if not conf.signals:
            systems[system] = replace(conf, signals=True, signal_secret=signal_secret)
    notify = settings.notify
    if not notify.smtp_url and not notify.sms_url:  # the demo's notifications go to the sinks
        notify = replace(
            notify,
            smtp_url=box.sink_urls["mail-smtp"],
            sms_url=f"{box.sink_urls['sms']}/v1/messages",
            portal_url=f"http://{gw.host}:{gw.port}/graphql",
        )
    settings = replace(settings, notify=notify)
    return replace(settings, systems=systems, gateway=replace(gw, webhook_secret=secret)), servers


def settle(box: object) -> None:
    # what startup built lives as long as the process: out of the collector's way
    gc.collect()
    gc.freeze()
    # a query allocates thousands of short-lived objects, nearly all freed by reference
    # counting (a request's objects form no cycles): a young collection every 700
    # allocations (the default) scanned them for nothing (callgrind, issue 12)
    gc.set_threshold(20_000, 20, 20)


def ensure_sqlite_dirs(settings: Settings) -> None:
    stores = (settings.audit, settings.casestore, settings.signals, settings.notify)
    for url in (s.url for s in stores):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _listen_on(host: str, port: int, what: str) -> list[socket.socket]:
    """Listening TCP sockets on every address `host` names (`localhost`: IPv4 and IPv6,
    as uvicorn would bind), all on `port` (0: one free port), ready to hand to uvicorn.
    They listen at once: a socket that is only bound would let another bind the port
    too (SO_REUSEADDR) and take its connections."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise SettingsError(f"{what} cannot listen on {host}: {exc.strerror}") from None
    socks: list[socket.socket] = []
    chosen = port  # port 0: the first address's free port, then the same for the others
    for family, kind, proto, _, address in dict.fromkeys(infos):
        sock = socket.socket(family, kind, proto)
        socks.append(sock)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((address[0], chosen, *address[2:]))
            sock.listen(2048)
            chosen = chosen or _bound_port([sock])
        except OSError as exc:
            for opened in socks:
                opened.close()
            raise SettingsError(f"{what} cannot listen on {host}:{port}: {exc.strerror}") from None
        sock.set_inheritable(True)
    return socks


def _bound_port(socks: list[socket.socket]) -> int:
    port: int = socks[0].getsockname()[1]
    return port
