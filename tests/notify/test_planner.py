"""The notifier over the sandbox: who is told about which events, digests, quiet hours.

The notifier and the outbox are built here with an injected clock, over the running
gateway's connectors (the real simulators) and a SQLite store; messages go to the
mail sink over loopback SMTP and to the SMS gateway over its ASGI transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from notify_testing import Clock

from connectors.domain import Case, CaseEvent, CaseEventKind
from notify import Channel, Notifier, NotifySettings, NotifyStore, Outbox, Preferences
from notify.senders import SmsSender, SmtpSender
from policies.policy import load_policy
from simulators import personas

NEWS_SUBJECT = "Det finns nyheter på Mina sidor"


class Rig:
    def __init__(
        self, gw: Any, store: NotifyStore, notifier: Notifier, outbox: Outbox, clock: Clock
    ) -> None:
        self.gw = gw
        self.store = store
        self.notifier = notifier
        self.outbox = outbox
        self.clock = clock
        self._n = 0

    async def opt_in(self, pnr: str, *channels: Channel, include_represented: bool = True) -> None:
        prefs = Preferences(
            pnr,
            email=f"p{pnr}@exempel.se",
            email_verified=True,
            phone="+46701234567",
            phone_verified=True,
            channels=frozenset(channels),
            include_represented=include_represented,
        )
        await self.store.run([NotifyStore.save_preferences_step(prefs, self.clock().timestamp())])

    async def case_of(self, system: str, pnr: str, type_prefix: str = "") -> Case:
        source = self.gw.app.state.knutpunkt.connectors.case_sources[system]
        cases = [c for c in await source.cases_for_persons([pnr]) if c.subject == pnr]
        cases = [c for c in cases if c.type.code.startswith(type_prefix)]
        assert cases, (system, pnr)
        return sorted(cases, key=lambda c: c.ref.local_id)[0]

    def event(self, kind: CaseEventKind, *, internal: bool = False) -> CaseEvent:
        self._n += 1
        return CaseEvent(
            id=f"test-{self._n}",
            occurred_at=self.clock(),
            kind=kind,
            summary="Beslut om bygglov för Storgatan 1",
            internal=internal,
        )

    async def drain_at(self, **delta: float) -> None:
        self.clock.advance(**delta)
        await self.outbox.drain()


@pytest.fixture
async def rig(
    notify_gateway: Any, tmp_path: Path, clock: Clock, smtp_url: str, sandbox: Any
) -> AsyncIterator[Rig]:
    settings = NotifySettings(
        url=f"sqlite:///{tmp_path}/planner.db",
        smtp_url=smtp_url,
        sms_url="http://sms.sandbox/v1/messages",
        digest_minutes=15,
        quiet_hours="21:00-08:00",
    )
    store = await NotifyStore.open(settings.url)
    connectors = notify_gateway.app.state.knutpunkt.connectors
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.sms.app)) as http:
        senders = {
            Channel.EMAIL: SmtpSender(smtp_url, settings.sender),
            Channel.SMS: SmsSender(http, settings.sms_url, "Exempelby"),
        }
        outbox = Outbox(store, senders, settings, clock)
        notifier = Notifier(settings, load_policy(), connectors, store, clock)
        yield Rig(notify_gateway, store, notifier, outbox, clock)
    await store.close()


async def test_three_events_in_a_window_give_one_message_at_its_end(rig: Rig, sinks: Any) -> None:
    await rig.opt_in(personas.KALLE, Channel.EMAIL)
    case = await rig.case_of("byggr", personas.KALLE)
    await rig.notifier.case_changed(case, [rig.event(CaseEventKind.COMPLETION_REQUESTED)])
    rig.clock.advance(minutes=4)
    await rig.notifier.case_changed(case, [rig.event(CaseEventKind.NOTICE)])
    rig.clock.advance(minutes=6)
    await rig.notifier.case_changed(case, [rig.event(CaseEventKind.DECIDED)])
    await rig.drain_at(minutes=4, seconds=59)  # 14:59 after the first event
    assert await sinks.messages("mail") == []
    await rig.drain_at(seconds=1)
    mails = await sinks.messages("mail")
    assert [(m["to"], m["subject"]) for m in mails] == [
        (f"p{personas.KALLE}@exempel.se", NEWS_SUBJECT)
    ]
    assert "https://minasidor.exempelby.se" in mails[0]["body"]
    # the next event opens a new window
    await rig.notifier.case_changed(case, [rig.event(CaseEventKind.DECIDED)])
    await rig.drain_at(minutes=14)
    assert len(await sinks.messages("mail")) == 1
    await rig.drain_at(minutes=1)
    assert len(await sinks.messages("mail")) == 2


async def test_internal_steps_and_kinds_the_policy_leaves_out_tell_nobody(
    rig: Rig, sinks: Any
) -> None:
    await rig.opt_in(personas.KALLE, Channel.EMAIL)
    case = await rig.case_of("byggr", personas.KALLE)
    await rig.notifier.case_changed(
        case,
        [
            rig.event(CaseEventKind.REGISTERED),
            rig.event(CaseEventKind.REFERRAL_SENT),
            rig.event(CaseEventKind.DECIDED, internal=True),
        ],
    )
    assert await rig.store.digest_count() == 0
    await rig.drain_at(hours=1)
    assert await sinks.messages("mail") == []


async def test_an_event_planned_twice_is_told_once(rig: Rig, sinks: Any) -> None:
    await rig.opt_in(personas.KALLE, Channel.EMAIL)
    case = await rig.case_of("byggr", personas.KALLE)
    event = rig.event(CaseEventKind.DECIDED)
    await rig.notifier.case_changed(case, [event])
    await rig.drain_at(minutes=15)
    await rig.notifier.case_changed(case, [event])  # the signal processed again
    await rig.drain_at(minutes=30)
    assert len(await sinks.messages("mail")) == 1


async def test_representatives_are_told_only_if_they_chose_to_be(rig: Rig, sinks: Any) -> None:
    """Greta's special housing reaches Kalle (her power of attorney covers it) only if he
    asked for news about those he represents; Nils' preschool place he applied for
    himself, so it is his own case either way."""
    nils = await rig.case_of("edu", personas.NILS)
    greta = await rig.case_of("procapita", personas.GRETA)
    assert personas.KALLE in nils.parties and greta.parties == ()
    await rig.opt_in(personas.KALLE, Channel.EMAIL, include_represented=False)
    await rig.notifier.case_changed(greta, [rig.event(CaseEventKind.DECIDED)])
    assert await rig.store.digest_count() == 0
    await rig.notifier.case_changed(nils, [rig.event(CaseEventKind.DECIDED)])
    assert await rig.store.digest_count() == 1
    await rig.drain_at(minutes=15)

    await rig.opt_in(personas.KALLE, Channel.EMAIL, include_represented=True)
    await rig.notifier.case_changed(greta, [rig.event(CaseEventKind.DECIDED)])
    await rig.drain_at(minutes=15)
    mails = await sinks.messages("mail")
    assert [m["to"] for m in mails] == [f"p{personas.KALLE}@exempel.se"] * 2


async def test_nobody_hears_of_cases_they_may_not_see(rig: Rig, sinks: Any) -> None:
    """Sara's confidential income support (protected identity): only Sara is told; Kalle,
    who represents others and asked for their news, hears nothing of it or of Greta's
    case outside his mandate's scope."""
    sara = await rig.case_of("procapita", personas.SARA)
    assert sara.confidential
    await rig.opt_in(personas.SARA, Channel.EMAIL)
    await rig.opt_in(personas.KALLE, Channel.EMAIL)
    await rig.opt_in(personas.LISA, Channel.EMAIL)
    await rig.notifier.case_changed(sara, [rig.event(CaseEventKind.DECIDED)])
    greta_other = replace(
        await rig.case_of("procapita", personas.GRETA),
        type=replace(sara.type),  # a case type outside the mandate's scope
    )
    await rig.notifier.case_changed(greta_other, [rig.event(CaseEventKind.DECIDED)])
    await rig.drain_at(minutes=15)
    mails = await sinks.messages("mail")
    assert [m["to"] for m in mails] == [f"p{personas.SARA}@exempel.se"]


async def test_sms_wait_for_the_end_of_quiet_hours_mail_does_not(
    rig: Rig, sinks: Any, clock: Clock
) -> None:
    clock.at = datetime(2026, 3, 11, 19, 50, tzinfo=UTC)  # 20:50 in Stockholm (CET)
    await rig.opt_in(personas.KALLE, Channel.EMAIL, Channel.SMS)
    case = await rig.case_of("byggr", personas.KALLE)
    await rig.notifier.case_changed(case, [rig.event(CaseEventKind.DECIDED)])
    await rig.drain_at(minutes=15)  # 21:05
    assert len(await sinks.messages("mail")) == 1
    assert await sinks.messages("sms") == []
    clock.at = datetime(2026, 3, 12, 6, 59, 59, tzinfo=UTC)  # 07:59:59 local
    await rig.outbox.drain()
    assert await sinks.messages("sms") == []
    await rig.drain_at(seconds=1)  # 08:00 local
    sms = await sinks.messages("sms")
    assert [(m["to"], m["subject"]) for m in sms] == [("+46701234567", "")]
    assert sms[0]["body"] == (
        "Det finns ny information i dina ärenden. Logga in på Mina sidor: https://minasidor.exempelby.se"
    )


async def test_a_custodian_hears_of_the_childs_case(rig: Rig, sinks: Any) -> None:
    """Nils' case as if someone else had applied: Kalle hears of it as his custodian."""
    nils = replace(await rig.case_of("edu", personas.NILS), parties=())
    await rig.opt_in(personas.KALLE, Channel.EMAIL, include_represented=True)
    await rig.notifier.case_changed(nils, [rig.event(CaseEventKind.DECIDED)])
    await rig.drain_at(minutes=15)
    assert [m["to"] for m in await sinks.messages("mail")] == [f"p{personas.KALLE}@exempel.se"]


async def test_custody_counts_only_while_the_population_register_can_confirm_it(
    rig: Rig, sinks: Any
) -> None:
    """With the register down nobody can tell that Kalle is Nils' custodian: he hears
    nothing of the child's case (fail closed), but his own case still notifies."""
    own = await rig.case_of("byggr", personas.KALLE)
    nils = replace(await rig.case_of("edu", personas.NILS), parties=())
    await rig.opt_in(personas.KALLE, Channel.EMAIL)
    await rig.gw.faults("folkbokforing", down=True)
    await rig.notifier.case_changed(nils, [rig.event(CaseEventKind.DECIDED)])
    assert await rig.store.digest_count() == 0
    await rig.notifier.case_changed(own, [rig.event(CaseEventKind.DECIDED)])
    assert await rig.store.digest_count() == 1
    await rig.drain_at(minutes=15)
    assert len(await sinks.messages("mail")) == 1
