"""Notifications as a newcomer meets them in the demo, over real sockets from
`knutpunkt serve`: Kalle sets an e-mail address in GraphQL, the code arrives in the
mail sink the demo printed, he verifies it; the CLI lists the outbox."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from kp_procs import citizen_token, demo_env, demo_serve, free_port, outbox_listing

from simulators import personas

pytestmark = pytest.mark.sockets


SET = """mutation { setNotificationSettings(input: {email: "kalle@exempel.se", channels: [EMAIL]})
  { email emailVerified channels } }"""
VERIFY = """mutation ($code: String!) { verifyNotificationChannel(channel: EMAIL, code: $code)
  { email emailVerified channels } }"""


def test_kalle_turns_on_notifications_in_the_demo(tmp_path: Path) -> None:
    port = free_port()
    env = demo_env(tmp_path)
    with demo_serve(tmp_path, port) as proc:
        urls = proc.lines
        assert urls["mail-smtp"].startswith("smtp://127.0.0.1:"), urls
        token = citizen_token(env, personas.KALLE)
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
        lines = outbox_listing(tmp_path, env)
        assert lines[0] == "outbox: pending 0, sent 1, parked 0"
        assert lines[2].split("\t")[1:6] == ["SENT", "CODE", "EMAIL", "k***@exempel.se", "1"]
        assert code not in "\n".join(lines)
