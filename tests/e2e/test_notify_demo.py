"""Notifications as a newcomer meets them in the demo, over real sockets from
`knutpunkt serve`: Kalle sets an e-mail address in GraphQL, the code arrives in the
mail sink the demo printed, he verifies it; the CLI lists the outbox."""

from __future__ import annotations

import os
import re
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
    return {
        **os.environ,
        "KNUTPUNKT_DEMO_KEY_FILE": str(tmp_path / "demo.jwk"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


SET = """mutation { setNotificationSettings(input: {email: "kalle@exempel.se", channels: [EMAIL]})
  { email emailVerified channels } }"""
VERIFY = """mutation ($code: String!) { verifyNotificationChannel(channel: EMAIL, code: $code)
  { email emailVerified channels } }"""


def test_kalle_turns_on_notifications_in_the_demo(tmp_path: Path) -> None:
    port = _free_port()
    env = _env(tmp_path, KNUTPUNKT_DEMO_SCALE="0.05", KNUTPUNKT_DEMO_BASE_PORT="0")
    errors = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen(
        [*KNUTPUNKT, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    try:
        urls: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line or line.startswith("GraphiQL "):
                break
            name, url = line.split()
            urls[name] = url
        assert urls["mail-smtp"].startswith("smtp://127.0.0.1:"), urls
        token = subprocess.run(
            [*KNUTPUNKT, "token", "citizen", personas.KALLE],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        gql = f"http://127.0.0.1:{port}/graphql"
        headers = {"authorization": f"Bearer {token}"}
        body = httpx.post(gql, json={"query": SET}, headers=headers, timeout=30).json()
        assert body == {
            "data": {
                "setNotificationSettings": {
                    "email": "kalle@exempel.se",
                    "emailVerified": False,
                    "channels": ["EMAIL"],
                }
            }
        }
        mails: list[dict[str, str]] = []
        for _ in range(200):
            mails = httpx.get(f"{urls['mail']}/messages", timeout=10).json()
            if mails:
                break
            time.sleep(0.05)
        assert [(m["to"], m["subject"]) for m in mails] == [
            ("kalle@exempel.se", "Din kod för Mina sidor")
        ]
        code = re.findall(r"\b[0-9]{6}\b", mails[0]["body"])[0]
        body = httpx.post(
            gql, json={"query": VERIFY, "variables": {"code": code}}, headers=headers, timeout=30
        ).json()
        assert body["data"]["verifyNotificationChannel"]["emailVerified"] is True
        listing = subprocess.run(
            [*KNUTPUNKT, "notify", "outbox"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listing.returncode == 0, listing.stderr
        lines = listing.stdout.splitlines()
        assert lines[0] == "outbox: pending 0, sent 1, parked 0"
        assert lines[2].split("\t")[1:6] == ["SENT", "CODE", "EMAIL", "k***@exempel.se", "1"]
        assert code not in listing.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]
        errors.close()
