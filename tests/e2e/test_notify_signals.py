"""A case event becomes one e-mail, over real sockets from `knutpunkt serve` (issue 11,
"Done when"): Kalle turns e-mail on and verifies it; a decision recorded in his case in
the sandbox reaches the mail sink as exactly one message saying nothing about the case
within the digest delay; three events in one window give one message; a sink that is
down delays the message without losing or doubling it; a gateway restart between the
event and the sending neither loses nor doubles it. Times are scaled down by settings
(a 3-second digest window, sub-second polls and retries)."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kp_procs import (
    CLEAN_EXIT,
    Proc,
    citizen_token,
    demo_env,
    demo_serve,
    free_port,
    outbox_listing,
    wait_until_up,
)
from kp_signals import SECRET, signalling_env
from prometheus_client.parser import text_string_to_metric_families

from simulators import personas
from simulators.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

pytestmark = pytest.mark.sockets

DIGEST_SECONDS = 3.0
#: from the digest's due time to the sink: a poll, one SMTP exchange, a loaded machine
SLACK_SECONDS = 3.0
CASE_NUMBER = "BN 2026/0193"
ADDRESS = "kalle@exempel.se"
NEWS_SUBJECT = "Det finns nyheter på Mina sidor"
FAST_NOTIFY = {
    "KNUTPUNKT_NOTIFY_DIGEST_MINUTES": str(DIGEST_SECONDS / 60),
    "KNUTPUNKT_NOTIFY_POLL_SECONDS": "0.1",
    "KNUTPUNKT_NOTIFY_RETRY_BASE_SECONDS": "0.3",
    "KNUTPUNKT_NOTIFY_RETRY_MAX_SECONDS": "1.0",
    "KNUTPUNKT_NOTIFY_MAX_ATTEMPTS": "100",
    "KNUTPUNKT_NOTIFY_SEND_TIMEOUT_SECONDS": "3",
    # no background pull: every change comes by signal
    "KNUTPUNKT_CASESTORE_REFRESH_SECONDS": "3600",
}
SET = """mutation ($email: String!) {
  setNotificationSettings(input: {email: $email, channels: [EMAIL]})
  { email emailVerified channels } }"""
VERIFY = """mutation ($code: String!) { verifyNotificationChannel(channel: EMAIL, code: $code)
  { email emailVerified channels } }"""
SETTINGS = "{ myNotificationSettings { email emailVerified channels } }"
KALLE_VIEW = """{ myPages { citizen { name personalNumber }
  cases(first: 100) { edges { node { caseNumber mainCaseNumber title
    type { code name } responsibleUnit { code name } system { id } } } } } }"""


class Hub:
    """A running gateway and the sandbox it talks to, seen from outside."""

    def __init__(self, gateway: str, systems: dict[str, str], token: str) -> None:
        self.gateway = gateway
        self.systems = systems
        self.headers = {"authorization": f"Bearer {token}"}

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        body = httpx.post(
            f"{self.gateway}/graphql",
            json={"query": query, "variables": variables},
            headers=self.headers,
            timeout=30,
        ).json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def mails(self) -> list[dict[str, str]]:
        found: list[dict[str, str]] = httpx.get(
            f"{self.systems['mail']}/messages", timeout=10
        ).json()
        return found

    def received(self) -> dict[str, int]:
        found: dict[str, int] = httpx.get(
            f"{self.systems['mail']}/_admin/received", timeout=10
        ).json()
        return found

    def clear_mails(self) -> None:
        assert httpx.delete(f"{self.systems['mail']}/messages", timeout=10).status_code == 204

    def sink_down(self, down: bool) -> None:
        url = f"{self.systems['mail']}/_admin/faults"
        response = (
            httpx.put(url, json={"down": True}, timeout=10)
            if down
            else httpx.delete(url, timeout=10)
        )
        assert response.status_code == 200, response.text

    def applied(self) -> int:
        text = httpx.get(f"{self.gateway}/metrics", timeout=10).text
        for family in text_string_to_metric_families(text):
            if family.name == "knutpunkt_signals_applied":
                return int(sum(s.value for s in family.samples if s.name.endswith("_total")))
        return 0

    def add_event(self, kind: str, summary: str) -> None:
        """Record an event on Kalle's byggr case; returns once the gateway applied it
        (the notifier, a listener of the signal processor, has then noted it)."""
        before = self.applied()
        response = httpx.post(
            f"{self.systems['byggr']}/_admin/case-events",
            json={"caseNumber": CASE_NUMBER, "kind": kind, "summary": summary},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        wait_for(lambda: self.applied() > before, 5.0, "signal applied")

    def wait_mails(self, count: int, timeout: float) -> list[dict[str, str]]:
        wait_for(lambda: len(self.mails()) >= count, timeout, f"{count} mail(s) in the sink")
        return self.mails()

    def turn_on_email(self) -> None:
        """Kalle sets his address, reads the code in the sink and verifies it."""
        self.clear_mails()
        assert self.gql(SET, email=ADDRESS) == {
            "setNotificationSettings": {
                "email": ADDRESS,
                "emailVerified": False,
                "channels": ["EMAIL"],
            }
        }
        mails = self.wait_mails(1, 10.0)
        assert [(m["to"], m["subject"]) for m in mails] == [(ADDRESS, "Din kod för Mina sidor")]
        code = re.findall(r"\b[0-9]{6}\b", mails[0]["body"])[0]
        assert self.gql(VERIFY, code=code) == {
            "verifyNotificationChannel": {
                "email": ADDRESS,
                "emailVerified": True,
                "channels": ["EMAIL"],
            }
        }
        self.clear_mails()


def wait_for(check: Any, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def assert_news_only(mail: dict[str, str], secrets: set[str]) -> None:
    assert mail["to"] == ADDRESS
    assert mail["subject"] == NEWS_SUBJECT
    assert "Det finns ny information i ett eller flera av dina ärenden." in mail["body"]
    text = f"{mail['subject']}\n{mail['body']}".casefold()
    leaked = sorted(s for s in secrets if s.casefold() in text)
    assert leaked == [], leaked


def kalle_secrets(hub: Hub, *summaries: str) -> set[str]:
    """Everything the message must not say: Kalle's name and number, his byggr case's
    number, title, type and unit, and the events' summaries."""
    view = hub.gql(KALLE_VIEW)["myPages"]
    cases = [e["node"] for e in view["cases"]["edges"] if e["node"]["caseNumber"] == CASE_NUMBER]
    assert len(cases) == 1, view
    case = cases[0]
    found = {
        view["citizen"]["name"],
        view["citizen"]["personalNumber"],
        view["citizen"]["personalNumber"][2:],
        case["caseNumber"],
        case["title"],
        case["type"]["name"],
        case["responsibleUnit"]["name"],
        *summaries,
    }
    if case["mainCaseNumber"]:
        found.add(case["mainCaseNumber"])
    return {s for s in found if s}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, Path, dict[str, str]]]:
    """`knutpunkt serve` as the demo (sandbox, sinks and signals inside), shortened times."""
    cwd = tmp_path_factory.mktemp("demo")
    env = demo_env(cwd, **FAST_NOTIFY)
    port = free_port()
    with demo_serve(cwd, port, **FAST_NOTIFY) as proc:
        hub = Hub(f"http://127.0.0.1:{port}", proc.lines, citizen_token(env, personas.KALLE))
        yield hub, cwd, env


def test_a_decision_reaches_the_sink_as_one_message_saying_nothing(
    demo: tuple[Hub, Path, dict[str, str]],
) -> None:
    hub, _, _ = demo
    hub.turn_on_email()
    assert hub.gql(SETTINGS) == {
        "myNotificationSettings": {"email": ADDRESS, "emailVerified": True, "channels": ["EMAIL"]}
    }
    summary = "Bygglov beviljat för tillbyggnad"
    started = time.monotonic()
    hub.add_event("DECIDED", summary)
    mails = hub.wait_mails(1, DIGEST_SECONDS + SLACK_SECONDS)
    took = time.monotonic() - started
    assert took >= DIGEST_SECONDS - 0.5, took  # the digest window held it
    time.sleep(1.0)  # nothing more comes
    assert hub.mails() == mails
    assert len(mails) == 1
    assert_news_only(mails[0], kalle_secrets(hub, summary))
    assert hub.received() == {"kept": 1, "duplicates": 0}


def test_three_events_in_one_window_give_one_message(
    demo: tuple[Hub, Path, dict[str, str]],
) -> None:
    hub, _, _ = demo
    if not hub.gql(SETTINGS)["myNotificationSettings"]["emailVerified"]:
        hub.turn_on_email()
    hub.clear_mails()
    summaries = ("Komplettering begärd", "Komplettering inkommen", "Beslut fattat")
    for kind, summary in zip(
        ("COMPLETION_REQUESTED", "COMPLETION_RECEIVED", "DECIDED"), summaries, strict=True
    ):
        hub.add_event(kind, summary)
    mails = hub.wait_mails(1, DIGEST_SECONDS + SLACK_SECONDS)
    time.sleep(DIGEST_SECONDS)  # a second window would have closed by now
    assert hub.mails() == mails
    assert len(mails) == 1
    assert_news_only(mails[0], kalle_secrets(hub, *summaries))
    assert hub.received() == {"kept": 1, "duplicates": 0}


def test_a_sink_that_is_down_delays_the_message_and_loses_nothing(
    demo: tuple[Hub, Path, dict[str, str]],
) -> None:
    hub, cwd, env = demo
    if not hub.gql(SETTINGS)["myNotificationSettings"]["emailVerified"]:
        hub.turn_on_email()
    hub.clear_mails()
    sent_before = int(outbox_listing(cwd, env)[0].split("sent ")[1].split(",")[0])
    hub.sink_down(True)
    try:
        hub.add_event("DECIDED", "Slutbesked lämnat")
        time.sleep(DIGEST_SECONDS + 3.0)  # "a minute" of outage, scaled
        assert hub.mails() == []
        listing = outbox_listing(cwd, env)
        assert listing[0] == f"outbox: pending 1, sent {sent_before}, parked 0", listing
        pending = [line.split("\t") for line in listing[2:] if "\tPENDING\t" in line]
        assert [row[2:5] for row in pending] == [["NEWS", "EMAIL", "k***@exempel.se"]]
        assert int(pending[0][5]) >= 2, pending  # it kept trying
    finally:
        hub.sink_down(False)
    mails = hub.wait_mails(1, 5.0)
    time.sleep(2.0)
    assert hub.mails() == mails
    assert [(m["to"], m["subject"]) for m in mails] == [(ADDRESS, NEWS_SUBJECT)]
    assert hub.received() == {"kept": 1, "duplicates": 0}
    assert outbox_listing(cwd, env)[0] == f"outbox: pending 0, sent {sent_before + 1}, parked 0"


def test_a_gateway_restart_between_event_and_sending_neither_loses_nor_doubles(
    tmp_path: Path,
) -> None:
    """The sandbox runs apart (its sink keeps counting); the gateway is stopped with
    SIGTERM while the digest window is open, again while the message waits for a sink
    that is down, and again while the sink is taking the message; it is started over
    the same var/ databases each time."""
    port = free_port()
    gateway = f"http://127.0.0.1:{port}"
    env = demo_env(tmp_path)
    sandbox = Proc.start(
        [
            "sandbox",
            "--scale",
            "0.05",
            "--base-port",
            "0",
            "--signals-to",
            f"{gateway}/signals",
            "--signal-secret",
            SECRET,
        ],
        tmp_path,
        env,
    )
    try:
        urls = sandbox.read_until("sms")
        systems = {k: v for k, v in urls.items() if k not in ("mail-smtp", "mail", "sms")}
        serve_env = {
            **env,
            **FAST_NOTIFY,
            **signalling_env(),
            **{f"KNUTPUNKT_SYSTEMS_{s.upper()}_URL": u for s, u in systems.items()},
            "KNUTPUNKT_SYSTEMS_FOLKBOKFORING_TOKEN_URL": f"{systems['folkbokforing']}/oauth/token",
            "KNUTPUNKT_SYSTEMS_FOLKBOKFORING_CLIENT_ID": DEMO_CLIENT_ID,
            "KNUTPUNKT_SYSTEMS_FOLKBOKFORING_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "KNUTPUNKT_NOTIFY_SMTP_URL": urls["mail-smtp"],
            "KNUTPUNKT_NOTIFY_SMS_URL": f"{urls['sms']}/v1/messages",
            "KNUTPUNKT_NOTIFY_PORTAL_URL": f"{gateway}/graphql",
            # a slow sink (step 3) is waited for, not given up on
            "KNUTPUNKT_NOTIFY_SEND_TIMEOUT_SECONDS": "10",
        }

        def start() -> Proc:
            proc = Proc.start(["serve", "--port", str(port)], tmp_path, serve_env)
            proc.read_until("GraphiQL")
            wait_until_up(gateway)
            return proc

        hub = Hub(gateway, urls, citizen_token(env, personas.KALLE))
        serve = start()
        try:
            hub.turn_on_email()
            # 1. stopped while the digest window is open: the window survives the restart
            hub.add_event("DECIDED", "Beslut om bygglov")
            assert serve.stop(signal.SIGTERM) in CLEAN_EXIT, serve.errors()[-2000:]
            serve = start()
            mails = hub.wait_mails(1, DIGEST_SECONDS + SLACK_SECONDS + 2.0)
            # 2. stopped while the message waits for the sink: it is sent after the restart
            hub.sink_down(True)
            hub.add_event("DECIDED", "Beslut om startbesked")
            wait_for(
                lambda: "\tPENDING\tNEWS\t" in "\n".join(outbox_listing(tmp_path, serve_env)),
                DIGEST_SECONDS + SLACK_SECONDS,
                "the news message in the outbox",
            )
            time.sleep(1.0)  # a few failed tries
            assert serve.stop(signal.SIGTERM) in CLEAN_EXIT, serve.errors()[-2000:]
            hub.sink_down(False)
            serve = start()
            mails = hub.wait_mails(2, SLACK_SECONDS + 2.0)
            # 3. stopped while the sink is taking the message (it answers after 2.5 s):
            # the stop finishes the send in hand and marks it, the restart does not repeat it
            set_faults = httpx.put(
                f"{urls['mail']}/_admin/faults", json={"latency_ms": 2500}, timeout=10
            )
            assert set_faults.status_code == 200
            hub.add_event("DECIDED", "Beslut om slutbesked")
            time.sleep(DIGEST_SECONDS + 1.0)  # due after 3 s, then 2.5 s in the sink
            in_flight = len(hub.mails()) == 2
            assert serve.stop(signal.SIGTERM) in CLEAN_EXIT, serve.errors()[-2000:]
            hub.sink_down(False)
            serve = start()
            mails = hub.wait_mails(3, SLACK_SECONDS + 2.0)
            time.sleep(DIGEST_SECONDS)  # nothing more comes, not even a repeat
            assert hub.mails() == mails
            assert [(m["to"], m["subject"]) for m in mails] == [(ADDRESS, NEWS_SUBJECT)] * 3
            assert hub.received() == {"kept": 3, "duplicates": 0}
            listing = outbox_listing(tmp_path, serve_env)
            assert listing[0] == "outbox: pending 0, sent 4, parked 0", listing
            assert in_flight  # the third stop did come while the message was on its way
        finally:
            serve.stop()
        assert "Traceback" not in "".join(p.read_text() for p in tmp_path.glob("stderr-*"))
    finally:
        sandbox.stop()
