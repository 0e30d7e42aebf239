"""The notifier over the sandbox: who is told about which events, digests, quiet hours.

The notifier and the outbox are built here with an injected clock, over the running
gateway's connectors (the real simulators) and a SQLite store; messages go to the
mail sink over loopback SMTP and to the SMS gateway over its ASGI transport.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from notify_testing import Clock, Rig

from connectors.domain import Case, CaseEvent, CaseEventKind
from notify import Channel
from simulators import personas

NEWS_SUBJECT = "Det finns nyheter på Mina sidor"


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


async def test_the_signal_processor_can_hand_its_case_change_as_it_is(rig: Rig, sinks: Any) -> None:
    @dataclass(frozen=True)
    class CaseChange:  # the shape `signals.CaseChange` has
        system: str
        case: Case
        new_events: list[CaseEvent]
        personal_numbers: frozenset[str]

    await rig.opt_in(personas.KALLE, Channel.EMAIL)
    case = await rig.case_of("byggr", personas.KALLE)
    change = CaseChange("byggr", case, [rig.event(CaseEventKind.DECIDED)], case.persons)
    await rig.notifier.on_case_change(change)
    await rig.drain_at(minutes=15)
    assert [m["to"] for m in await sinks.messages("mail")] == [f"p{personas.KALLE}@exempel.se"]
