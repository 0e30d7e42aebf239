"""Whole-app fixtures: the sandbox municipality mounted as ASGI transports under the gateway.

Nothing of ours is mocked: the gateway talks HTTP to the real simulators through
`httpx.ASGITransport`, with the sandbox's latency switched off.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from kp_testing import CountingTransport
from starlette.applications import Starlette

from simulators.world import SYSTEMS

if TYPE_CHECKING:
    from gateway.issuer import DemoIssuer
    from gateway.settings import Settings
    from simulators.sandbox import Sandbox
    from simulators.world import World

REFERENCE_DATE = date.today()
TEST_SCALE = 0.05
#: the suite-wide log check (see kp_logcheck); None until pytest_configure
LOG_CHECK: Any = None


def pytest_configure(config: pytest.Config) -> None:
    """Every record the suite emits goes through the production formatter and the check."""
    global LOG_CHECK
    from kp_logcheck import OUR_LOGGERS, LogLeakCheck

    LOG_CHECK = LogLeakCheck()
    root = logging.getLogger()
    root.addHandler(LOG_CHECK)
    root.setLevel(min(root.level, logging.INFO))  # httpx's request lines (URLs) included
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when any log line named a persona's personal number or held a JWT."""
    if LOG_CHECK is None:
        return
    logging.getLogger().removeHandler(LOG_CHECK)
    if LOG_CHECK.report():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if LOG_CHECK is None:
        return
    leaks = LOG_CHECK.report()
    if not leaks:
        terminalreporter.write_sep(
            "-", f"log check: {LOG_CHECK.seen} log records, no personal data"
        )
        return
    terminalreporter.write_sep("=", f"log check FAILED: {len(leaks)} line(s) leaked", red=True)
    terminalreporter.write_line("a personal number of a persona or a JWT in a log line:")
    for line in leaks[:20]:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def world() -> World:
    from simulators.generate import generate

    return generate(seed=1, reference_date=REFERENCE_DATE, scale=TEST_SCALE)


@pytest.fixture
def sandbox(world: World) -> Sandbox:
    from simulators.sandbox import Sandbox

    return Sandbox.build(world=world, latency=False)


@pytest.fixture
def issuer(tmp_path: Path) -> DemoIssuer:
    from gateway.issuer import DemoIssuer

    return DemoIssuer(tmp_path / "demo-issuer.jwk")


def sandbox_settings(tmp_path: Path, issuer: DemoIssuer, **env: str) -> Settings:
    """Demo-mode settings pointing every system at `http://<id>.sandbox` (mounted transports)."""
    from gateway.settings import CaseStoreSettings, load_settings
    from simulators.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    settings = load_settings(None, env=env)
    settings = replace(
        settings,
        demo=replace(settings.demo, enabled=True, key_file=str(issuer.key_file)),
        audit=replace(
            settings.audit,
            url=env.get("KNUTPUNKT_AUDIT_URL", f"sqlite:///{tmp_path}/audit.db"),
        ),
        # the case store is opt-in per test (KNUTPUNKT_CASESTORE_ENABLED=true): syncing costs time
        casestore=CaseStoreSettings(
            url=env.get("KNUTPUNKT_CASESTORE_URL", f"sqlite:///{tmp_path}/casestore.db"),
            enabled=env.get("KNUTPUNKT_CASESTORE_ENABLED") == "true",
            refresh_seconds=float(env.get("KNUTPUNKT_CASESTORE_REFRESH_SECONDS", "60")),
        ),
        notify=replace(
            settings.notify,
            url=env.get("KNUTPUNKT_NOTIFY_URL", f"sqlite:///{tmp_path}/notify.db"),
        ),
    )
    settings = settings.with_system_urls({s: f"http://{s}.sandbox" for s in SYSTEMS})
    systems = dict(settings.systems)
    systems["folkbokforing"] = replace(
        systems["folkbokforing"],
        token_url="http://folkbokforing.sandbox/oauth/token",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    return replace(settings, systems=systems)


@pytest.fixture
def settings(tmp_path: Path, issuer: DemoIssuer) -> Settings:
    return sandbox_settings(tmp_path, issuer)


@dataclass
class Gateway:
    """A running gateway app with a client and the sandbox behind it."""

    app: Starlette
    client: httpx.AsyncClient
    issuer: DemoIssuer
    sandbox: Sandbox
    transports: dict[str, CountingTransport]

    def token(self, role: str, pnr: str | None = None, **kwargs: Any) -> str:
        return self.issuer.issue(role, pnr, **kwargs)

    async def post(
        self, query: str, variables: Mapping[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": dict(variables or {})}, headers=headers
        )

    async def query(
        self, query: str, variables: Mapping[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = json.loads(response.content)
        return body

    def upstream_calls(self) -> dict[str, int]:
        return {s: t.calls() for s, t in self.transports.items() if t.calls()}

    def reset_counts(self) -> None:
        for transport in self.transports.values():
            transport.reset()

    async def faults(self, system: str, **faults: Any) -> None:
        app = self.sandbox.apps[system]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://admin"
        ) as c:
            response = await c.put("/_admin/faults", json=faults)
            assert response.status_code == 200, response.text


@pytest.fixture
async def gateway(
    settings: Settings, sandbox: Sandbox, issuer: DemoIssuer
) -> AsyncIterator[Gateway]:
    async with running_gateway(settings, sandbox, issuer) as gw:
        yield gw


class running_gateway:
    """`async with running_gateway(settings, sandbox, issuer) as gw:`"""

    def __init__(
        self, settings: Settings, sandbox: Sandbox, issuer: DemoIssuer, **kwargs: Any
    ) -> None:
        from gateway.app import create_app

        self.transports = {
            s: CountingTransport(httpx.ASGITransport(app=sandbox.apps[s])) for s in SYSTEMS
        }
        # the sandbox's SMS gateway, for [notify] sms_url = "http://sms.sandbox/v1/messages"
        self.transports["sms"] = CountingTransport(httpx.ASGITransport(app=sandbox.sms.app))
        self.app = create_app(settings, transports=self.transports, **kwargs)
        self.sandbox = sandbox
        self.issuer = issuer

    async def __aenter__(self) -> Gateway:
        self._lifespan = LifespanManager(self.app)
        await self._lifespan.__aenter__()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://gateway.test"
        )
        return Gateway(self.app, self._client, self.issuer, self.sandbox, self.transports)

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(None, None, None)


@pytest.fixture
def make_settings(tmp_path: Path, issuer: DemoIssuer) -> Any:
    """`make_settings(KNUTPUNKT_X_Y="...")`: sandbox settings with environment overrides."""

    def make(**env: str) -> Settings:
        return sandbox_settings(tmp_path, issuer, **env)

    return make


@pytest.fixture
def start_gateway(sandbox: Sandbox, issuer: DemoIssuer) -> Any:
    """`async with start_gateway(settings) as gw:` — a gateway over this test's sandbox."""

    def start(settings: Settings, **kwargs: Any) -> running_gateway:
        return running_gateway(settings, sandbox, issuer, **kwargs)

    return start
