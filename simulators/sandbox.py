"""The sandbox municipality "Exempelby kommun": ten simulated systems on loopback.

`Sandbox.build(...)` generates the data and builds every simulator app, each
wrapped in a `FaultInjector` with the latency its real counterpart has. Tests
mount `sandbox.apps[...]` as ASGI transports; `serve()` puts them on sockets.
"""

from __future__ import annotations

import asyncio
import importlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

from .case_events import EVENTS_PATH, SIGNALS_PATH, CaseEventAdmin
from .faults import FaultInjector, Faults
from .oauth import TokenGate, TokenService
from .signal_push import SignalPusher
from .sinks import MailSink, SmsGateway
from .world import CASE_SYSTEMS, SYSTEMS, World

#: normal latency (ms) and jitter of each kind of system, like the real ones
DEFAULT_LATENCY_MS: dict[str, tuple[int, int]] = {
    "diarium": (25, 10),
    "byggr": (60, 20),
    "procapita": (150, 30),
    "ecos": (40, 15),
    "teknik": (30, 10),
    "edu": (35, 10),
    "kontaktcenter": (25, 10),
    "eservice": (30, 10),
    "folkbokforing": (15, 5),
    "ombud": (15, 5),
}

#: systems that, like the real population register, want an OAuth2 client-credentials token
PROTECTED_SYSTEMS = ("folkbokforing",)

DEMO_CLIENT_ID = "knutpunkt"
#: a sandbox credential, not a secret: the demo prints and shares it by design
DEMO_CLIENT_SECRET = "sandbox-secret"


@dataclass
class Sandbox:
    world: World
    apps: dict[str, FaultInjector]
    token_service: TokenService
    generated_in: float = 0.0
    urls: dict[str, str] = field(default_factory=dict)
    #: each case system's signal sender (`POST /_admin/case-events` pushes through it)
    pushers: dict[str, SignalPusher] = field(default_factory=dict)
    #: where notifications arrive: a mail sink (SMTP + HTTP) and an SMS gateway
    mail: MailSink = field(default_factory=MailSink)
    sms: SmsGateway = field(default_factory=SmsGateway)
    #: "mail-smtp" smtp://host:port, "mail" and "sms" http URLs once served
    sink_urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        seed: int = 1,
        reference_date: date | None = None,
        scale: float = 1.0,
        latency: bool = True,
        eservice_callback_url: str | None = None,
        eservice_callback_secret: str = "",
        world: World | None = None,
        signals_to: str | None = None,
        signal_secret: str = "",
    ) -> Sandbox:
        from .generate import generate

        started = time.perf_counter()
        if world is None:
            world = generate(seed=seed, reference_date=reference_date or date.today(), scale=scale)
        elapsed = time.perf_counter() - started
        tokens = TokenService({DEMO_CLIENT_ID: DEMO_CLIENT_SECRET})
        apps: dict[str, FaultInjector] = {}
        pushers: dict[str, SignalPusher] = {}
        for index, system in enumerate(SYSTEMS):
            app = _create_app(
                system,
                world,
                callback_url=eservice_callback_url,
                callback_secret=eservice_callback_secret,
            )
            if system in PROTECTED_SYSTEMS:
                app = TokenGate(app, tokens)
            if system in CASE_SYSTEMS:
                pushers[system] = SignalPusher(system, signals_to, signal_secret)
                app = CaseEventAdmin(app, world, system, pushers[system])
            latency_ms, jitter_ms = DEFAULT_LATENCY_MS[system] if latency else (0, 0)
            apps[system] = FaultInjector(
                app, defaults=Faults(latency_ms=latency_ms, jitter_ms=jitter_ms), seed=seed + index
            )
            if system in CASE_SYSTEMS:
                apps[system].admin_paths = frozenset({EVENTS_PATH, SIGNALS_PATH})
        return cls(
            world=world, apps=apps, token_service=tokens, generated_in=elapsed, pushers=pushers
        )

    def send_signals_to(self, url: str | None, secret: str, transport: Any = None) -> None:
        """Point every case system's signals at the hub `url` (None: stop sending)."""
        for pusher in self.pushers.values():
            pusher.configure(url, secret)
            pusher.transport = transport

    def set_latency(self, enabled: bool) -> None:
        for system, injector in self.apps.items():
            latency_ms, jitter_ms = DEFAULT_LATENCY_MS[system] if enabled else (0, 0)
            injector.with_latency(latency_ms, jitter_ms)

    async def serve(
        self, host: str = "127.0.0.1", base_port: int = 9100, out: TextIO | None = None
    ) -> list[Any]:
        """Start one uvicorn server per system; returns the started servers. A port in
        use raises OSError."""
        servers = []
        self._tasks = []
        for index, system in enumerate(SYSTEMS):
            server, task = await _uvicorn(
                self.apps[system], host, base_port + index if base_port else 0
            )
            servers.append(server)
            self._tasks.append(task)
        for system, server in zip(SYSTEMS, servers, strict=True):
            self.urls[system] = _url(server)
            if out is not None:
                print(f"{system} {self.urls[system]}", file=out, flush=True)
        servers += await self._serve_sinks(host, base_port + len(SYSTEMS) if base_port else 0, out)
        return servers

    async def _serve_sinks(self, host: str, first_port: int, out: TextIO | None) -> list[Any]:
        """The mail sink's SMTP port, then its HTTP side and the SMS gateway's."""
        smtp_host, smtp_port = await self.mail.start(host, first_port)
        self.sink_urls["mail-smtp"] = f"smtp://{smtp_host}:{smtp_port}"
        smtp = self.mail.serving()
        self._tasks.append(smtp.task)
        servers: list[Any] = [smtp]
        for offset, (name, app) in enumerate((("mail", self.mail.app), ("sms", self.sms.app))):
            server, task = await _uvicorn(app, host, first_port + 1 + offset if first_port else 0)
            self._tasks.append(task)
            self.sink_urls[name] = _url(server)
            servers.append(server)
        if out is not None:
            for name in ("mail-smtp", "mail", "sms"):
                print(f"{name} {self.sink_urls[name]}", file=out, flush=True)
        return servers


async def _uvicorn(app: Any, host: str, port: int) -> tuple[Any, asyncio.Task[None]]:
    """`app` under uvicorn, started, on a socket bound here: a port in use is an OSError
    (uvicorn binding it itself would log and exit the process)."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            raise OSError("a sandbox server stopped while starting")
        await asyncio.sleep(0.01)
    return server, task


def _url(server: Any) -> str:
    bound_host, bound_port = server.servers[0].sockets[0].getsockname()[:2]
    return f"http://{bound_host}:{bound_port}"


def _create_app(system: str, world: World, **extra: Any) -> Any:
    module = importlib.import_module(f"simulators.{system}")
    factory: Callable[..., Any] = module.create_app
    if system == "eservice":
        return factory(
            world, callback_url=extra["callback_url"], callback_secret=extra["callback_secret"]
        )
    return factory(world)
