"""The notifications of a running gateway, in real time: the worker in the lifespan."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from kp_scrape import by, scrape

from connectors.domain import CaseEvent, CaseEventKind
from simulators import personas

SET = """mutation ($input: NotificationSettingsInput!) {
  setNotificationSettings(input: $input) { emailVerified } }"""
VERIFY = """mutation ($code: String!) {
  verifyNotificationChannel(channel: EMAIL, code: $code) { emailVerified } }"""


async def kalle_with_verified_email(gw: Any, sinks: Any) -> None:
    token = gw.token("citizen", personas.KALLE)
    await gw.query(SET, {"input": {"email": "kalle@exempel.se", "channels": ["EMAIL"]}}, token)
    mails = await sinks.wait_for("mail", 1)
    code = re.findall(r"\b[0-9]{6}\b", mails[0]["body"])[0]
    body = await gw.query(VERIFY, {"code": code}, token)
    assert body == {"data": {"verifyNotificationChannel": {"emailVerified": True}}}
    await sinks.clear("mail")


async def kalles_building_permit(gw: Any) -> Any:
    source = gw.app.state.knutpunkt.connectors.case_sources["byggr"]
    cases = await source.cases_for_persons([personas.KALLE])
    return next(c for c in cases if c.subject == personas.KALLE)


def decision(n: int, case: Any) -> CaseEvent:
    return CaseEvent(
        id=f"live-{n}",
        occurred_at=case.opened_at,
        kind=CaseEventKind.DECIDED,
        summary="Beslut",
    )


async def test_a_decision_reaches_the_sink_as_one_message_within_the_window(
    make_settings: Any, start_gateway: Any, notify_env: dict[str, str], sinks: Any
) -> None:
    settings = make_settings(**notify_env, KNUTPUNKT_NOTIFY_DIGEST_MINUTES="0.01")  # 0.6 s
    async with start_gateway(settings) as gw:
        await kalle_with_verified_email(gw, sinks)
        notifier = gw.app.state.knutpunkt.notifications.notifier
        case = await kalles_building_permit(gw)
        loop = asyncio.get_running_loop()
        started = loop.time()
        for n in range(3):  # three events within one window
            await notifier.case_changed(case, [decision(n, case)])
        mails = await sinks.wait_for("mail", 1)
        took = loop.time() - started
        await asyncio.sleep(0.8)  # nothing more comes after the window
        assert [(m["to"], m["subject"]) for m in await sinks.messages("mail")] == [
            ("kalle@exempel.se", "Det finns nyheter på Mina sidor")
        ]
        assert mails[0]["body"].count("https://minasidor.exempelby.se") == 1
        assert 0.5 <= took < 5, took


async def test_a_sink_down_for_a_while_delays_the_message_but_loses_nothing(
    make_settings: Any, start_gateway: Any, notify_env: dict[str, str], sinks: Any
) -> None:
    settings = make_settings(**notify_env, KNUTPUNKT_NOTIFY_DIGEST_MINUTES="0")
    async with start_gateway(settings) as gw:
        await kalle_with_verified_email(gw, sinks)
        notifier = gw.app.state.knutpunkt.notifications.notifier
        case = await kalles_building_permit(gw)
        await sinks.faults("mail", down=True)
        await notifier.case_changed(case, [decision(1, case)])
        await asyncio.sleep(0.6)  # several tries meanwhile (backoff 0.05 s doubling to 0.2 s)
        assert await sinks.messages("mail") == []
        await sinks.faults("mail")
        mails = await sinks.wait_for("mail", 1)
        await asyncio.sleep(0.3)
        assert [m["to"] for m in await sinks.messages("mail")] == ["kalle@exempel.se"]
        assert len(mails) == 1
        metrics = await scrape(gw.client)
        sent = by(metrics, "knutpunkt_notify_messages_total", "outcome", "channel")
        assert sent[("sent", "email")] == 2
        assert by(metrics, "knutpunkt_notify_outbox", "state")[("pending",)] == 0
