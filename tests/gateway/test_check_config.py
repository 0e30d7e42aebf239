"""`knutpunkt check-config` against the sandbox over loopback, and against what is not there."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.check_config import run_checks, safe_url
from gateway.cli import main
from gateway.settings import load_settings
from simulators.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SYSTEMS

PG = "postgresql://postgres@127.0.0.1:5432/test"
SYSTEM_LINES = [f"system {s}" for s in sorted(SYSTEMS)]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nobody listens


@pytest.fixture
async def loopback(sandbox: Any, issuer: Any) -> AsyncIterator[tuple[dict[str, str], str]]:
    """The sandbox on real sockets and an IdP's JWKS endpoint: (system URLs, JWKS URL)."""

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(issuer.public_jwks())

    servers = await sandbox.serve("127.0.0.1", 0)
    idp = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/jwks.json", jwks)]),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
        )
    )
    task = asyncio.create_task(idp.serve())
    while not idp.started:
        assert not task.done()
        await asyncio.sleep(0.01)
    port = idp.servers[0].sockets[0].getsockname()[1]
    try:
        yield dict(sandbox.urls), f"http://127.0.0.1:{port}/jwks.json"
    finally:
        idp.should_exit = True
        await task
        for sim in servers:
            sim.should_exit = True
        await asyncio.gather(*sandbox._tasks)


def _config(tmp_path: Path, urls: dict[str, str], jwks_url: str, **sections: str) -> Path:
    lines = [
        "[oidc]",
        'issuer = "https://idp.exempelby.se"',
        'audience = "knutpunkt"',
        f'jwks_url = "{jwks_url}"',
        "[audit]",
        f'url = "{sections.get("audit", PG + "?table=check_config_audit")}"',
        "[replica]",
        f'url = "{sections.get("replica", f"sqlite:///{tmp_path}/store/replica.db")}"',
        "[cache]",
        f'url = "{sections.get("cache", "redis://127.0.0.1:6379/12")}"',
    ]
    for system, url in sorted(urls.items()):
        lines += [f"[systems.{system}]", f'url = "{url}"']
        if system == "folkbokforing":
            lines += [
                f'token_url = "{url}/oauth/token"',
                f'client_id = "{DEMO_CLIENT_ID}"',
                f'client_secret = "{sections.get("secret", DEMO_CLIENT_SECRET)}"',
            ]
    path = tmp_path / "knutpunkt.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.sockets
@pytest.mark.postgres
@pytest.mark.redis
async def test_everything_reachable_over_loopback_is_ok(
    loopback: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    urls, jwks_url = loopback
    settings = load_settings(_config(tmp_path, urls, jwks_url), env={})
    checks = await run_checks(settings)
    assert [(c.name, c.ok) for c in checks] == [
        ("oidc settings", True),
        ("policy", True),
        ("trusted documents", True),
        ("cors", True),
        ("trusted proxies", True),
        *[(name, True) for name in SYSTEM_LINES],
        ("oidc jwks", True),
        ("audit database", True),
        ("case-store database", True),
        ("cache redis", True),
    ], [c.line() for c in checks]
    lines = {c.name: c.line() for c in checks}
    assert lines["oidc jwks"] == f"oidc jwks ok {jwks_url}: 1 keys"
    assert lines["system folkbokforing"].endswith("; client credentials accepted")
    assert lines["system diarium"].startswith(f"system diarium ok {urls['diarium']} answered HTTP")
    assert lines["audit database"] == f"audit database ok {PG}?table=check_config_audit"
    assert lines["case-store database"] == (
        f"case-store database ok sqlite {tmp_path}/store/replica.db (will be created)"
    )
    assert lines["cache redis"] == "cache redis ok redis://127.0.0.1:6379/12"
    assert not (tmp_path / "store").exists()  # checking writes nothing

    # wrong client credentials: the system answers, its token endpoint refuses
    bad = load_settings(_config(tmp_path, urls, jwks_url, secret="wrong"), env={})
    folk = next(c for c in await run_checks(bad) if c.name == "system folkbokforing")
    assert (
        folk.line() == "system folkbokforing FAIL token endpoint answered HTTP 401 without a token"
    )


@pytest.mark.sockets
def test_an_unreachable_system_idp_database_and_redis_fail_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = f"http://127.0.0.1:{_closed_port()}"
    config = _config(
        tmp_path,
        {"diarium": gone},
        f"{gone}/jwks.json",
        audit=f"postgresql://postgres:s3cret@127.0.0.1:{_closed_port()}/test",
        replica="mysql://db/knutpunkt",
        cache=f"redis://127.0.0.1:{_closed_port()}/0",
    )
    assert main(["check-config", "--config", str(config)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[:6] == [
        f"config ok {config}",
        "oidc settings ok https://idp.exempelby.se",
        "policy ok the shipped default",
        "trusted documents ok none",
        "cors ok off",
        "trusted proxies ok 127.0.0.1, ::1",
    ]
    assert lines[6] == f"system diarium FAIL {gone}: connection refused or host unknown"
    assert lines[7] == f"oidc jwks FAIL {gone}/jwks.json: connection refused or host unknown"
    assert lines[8].startswith("audit database FAIL postgresql://postgres:***@127.0.0.1:")
    assert "s3cret" not in "\n".join(lines)
    assert lines[9] == "case-store database FAIL unknown database URL scheme 'mysql'"
    assert lines[10].startswith("cache redis FAIL redis://127.0.0.1:") and len(lines) == 11


def test_a_broken_configuration_fails_before_reaching_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        '[gateway]\nrequire_trusted = true\ncors_origins = ["*"]\n'
        'trusted_proxies = ["10.0.0.0/8", "proxy.exempelby.se"]\n'
    )
    assert main(["check-config", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "trusted proxies FAIL [gateway] trusted_proxies: ['proxy.exempelby.se']" in out
    assert "trusted documents FAIL require_trusted kräver [gateway] trusted_documents = FIL." in out
    assert "cors FAIL [gateway] cors_origins: ['*']" in out
    assert "oidc settings ok no identity provider" in out
    assert "oidc jwks FAIL no identity provider ([oidc] jwks_url): nobody can log in" in out
    assert "systems FAIL none configured ([systems.<id>] url)" in out
    config.write_text("[gateway\n")
    assert main(["check-config", "--config", str(config)]) == 1
    assert capsys.readouterr().out.startswith("config FAIL Konfigurationsfilen")


def test_passwords_never_reach_the_output() -> None:
    assert safe_url("postgresql://kp:hemligt@db.exempelby.se:5432/kp") == (
        "postgresql://kp:***@db.exempelby.se:5432/kp"
    )
    assert safe_url("redis://:hemligt@cache/0") == "redis://:***@cache/0"
    assert safe_url("https://navet.exempelby.se/x") == "https://navet.exempelby.se/x"
