"""The command line as a new user meets it: `knutpunkt serve`, `token`, `sandbox --help`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulators import personas

pytestmark = pytest.mark.sockets

KNUTPUNKT = [sys.executable, "-m", "gateway.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "KNUTPUNKT_DEMO_KEY_FILE": str(tmp_path / "demo.jwk"),
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def test_token_prints_the_bare_token_and_refuses_bad_input(tmp_path: Path) -> None:
    ok = subprocess.run(
        [*KNUTPUNKT, "token", "citizen", personas.KALLE],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    token = ok.stdout
    assert token.endswith("\n") and token.count("\n") == 1 and token.count(".") == 2
    bad = subprocess.run(
        [*KNUTPUNKT, "token", "citizen", "195606055556"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr


def test_sandbox_help_explains_seed_date_scale_and_ports(tmp_path: Path) -> None:
    out = subprocess.run(
        [*KNUTPUNKT, "sandbox", "--help"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0
    for word in ("--seed", "--reference-date", "--scale", "--base-port", "deterministic"):
        assert word in out.stdout


def test_serve_runs_the_demo_a_new_user_can_query(tmp_path: Path) -> None:
    gateway_port = _free_ports(1)[0]
    # base port 0: every simulator on a free port the system picks
    env = _env(tmp_path, KNUTPUNKT_DEMO_SCALE="0.05", KNUTPUNKT_DEMO_BASE_PORT="0")
    errors = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen(
        [*KNUTPUNKT, "serve", "--port", str(gateway_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line.strip())
            if line.startswith("GraphiQL "):
                break
        assert lines and lines[-1] == f"GraphiQL http://127.0.0.1:{gateway_port}/graphql", lines
        systems = [line.split()[0] for line in lines[:-1]]
        assert systems == [
            "diarium",
            "byggr",
            "procapita",
            "ecos",
            "teknik",
            "edu",
            "kontaktcenter",
            "eservice",
            "folkbokforing",
            "ombud",
            "mail-smtp",
            "mail",
            "sms",
        ]
        token = subprocess.run(
            [*KNUTPUNKT, "token", "citizen", personas.KALLE],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        response = httpx.post(
            f"http://127.0.0.1:{gateway_port}/graphql",
            json={
                "query": "{ viewer { role name } myPages { citizen { name } cases { totalCount } } }"
            },
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        )
        body = response.json()
        assert body["data"]["viewer"] == {"role": "CITIZEN", "name": "Kalle Testson"}, json.dumps(
            body
        )
        assert body["data"]["myPages"]["cases"]["totalCount"] >= 4
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]
        errors.close()
    assert "Traceback" not in (tmp_path / "stderr.txt").read_text()
