"""The command line as a new user meets it: `knutpunkt serve`, `token`, `sandbox --help`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from kp_procs import cli, demo_env, demo_serve, free_port

from simulators import personas

pytestmark = pytest.mark.sockets


def test_token_prints_the_bare_token_and_refuses_bad_input(tmp_path: Path) -> None:
    ok = cli(["token", "citizen", personas.KALLE], demo_env(tmp_path))
    assert ok.returncode == 0, ok.stderr
    token = ok.stdout
    assert token.endswith("\n") and token.count("\n") == 1 and token.count(".") == 2
    bad = cli(["token", "citizen", "195606055556"], demo_env(tmp_path))
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr


def test_sandbox_help_explains_seed_date_scale_and_ports(tmp_path: Path) -> None:
    out = cli(["sandbox", "--help"], demo_env(tmp_path))
    assert out.returncode == 0
    for word in ("--seed", "--reference-date", "--scale", "--base-port", "deterministic"):
        assert word in out.stdout


def test_serve_runs_the_demo_a_new_user_can_query(tmp_path: Path) -> None:
    gateway_port = free_port()
    # base port 0: every simulator on a free port the system picks
    with demo_serve(tmp_path, gateway_port) as proc:
        lines = list(proc.lines.items())
        assert lines[-1] == ("GraphiQL", f"http://127.0.0.1:{gateway_port}/graphql"), lines
        systems = [name for name, _ in lines[:-1]]
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
        token = cli(["token", "citizen", personas.KALLE], demo_env(tmp_path)).stdout.strip()
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
