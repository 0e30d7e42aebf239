"""E-mail and SMS are not secure: over many generated cases and events — protected
persons and confidential case types included — no message ever carries a case number,
title, case type, unit, name, personal number or event text. The whole pipeline runs:
notifier, digests, outbox, the real SMTP sink and the SMS gateway."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from notify_testing import Rig

from connectors.domain import Case, CaseEventKind
from notify import Channel, NotifyStore, Preferences
from simulators import personas
from simulators.world import CASE_SYSTEMS, World


def forbidden_of(case: Case, world: World) -> set[str]:
    texts = {
        case.case_number,
        case.title,
        case.type.code,
        case.type.name,
        case.unit.name,
        case.unit.code,
        *(e.summary for e in case.events),
        *(e.description or "" for e in case.events),
    }
    if case.main_case_number:
        texts.add(case.main_case_number)
    if case.secrecy_ground:
        texts.add(case.secrecy_ground)
    for pnr in case.persons:
        texts |= {pnr, pnr[2:], f"{pnr[2:8]}-{pnr[8:]}", f"{pnr[:8]}-{pnr[8:]}"}
        person = world.persons.get(pnr)
        if person is not None:
            texts |= {person.given_name, person.family_name}
    return {t for t in texts if t and len(t.strip()) >= 2}


def leaks(text: str, forbidden: set[str]) -> list[str]:
    return [t for t in forbidden if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text)]


async def test_no_message_says_anything_about_a_case_or_a_person(
    rig: Rig,
    world: World,
    sinks: Any,
) -> None:
    protected = sorted(p.pnr for p in world.persons.values() if p.protected)[:15]
    confidential_types = {c for c, t in world.case_types.items() if t.confidential}
    confidential = sorted(
        {
            p
            for case in world.cases["procapita"][:200]
            if case.type_code in confidential_types
            for p in case.persons()
        }
    )[:15]
    others = sorted(world.persons)[::97][:20]
    people = sorted({*personas.PERSONAS, *protected, *confidential, *others})
    now = rig.clock().timestamp()
    steps = [
        NotifyStore.save_preferences_step(
            Preferences(
                pnr,
                email=f"n{pnr}@exempel.se",
                email_verified=True,
                phone=f"+467{pnr[-8:]}",
                phone_verified=True,
                channels=frozenset(Channel),
            ),
            now,
        )
        for pnr in people
    ]
    await rig.store.run(steps)

    connectors = rig.gw.app.state.knutpunkt.connectors
    cases: dict[tuple[str, str], Case] = {}
    for system in CASE_SYSTEMS:
        for case in await connectors.case_sources[system].cases_for_persons(people):
            cases[(case.ref.system, case.ref.local_id)] = case
    assert any(c.confidential for c in cases.values())
    forbidden: set[str] = set()
    for case in cases.values():
        forbidden |= forbidden_of(case, world)
        # every case gets news: its own events plus a decision quoting its latest summary
        last = case.events[-1].summary if case.events else case.title
        news = (
            replace(
                case.events[-1],
                id="leak-test",
                kind=CaseEventKind.DECIDED,
                summary=last,
                internal=False,
            )
            if case.events
            else None
        )
        await rig.notifier.case_changed(case, [*case.events, *([news] if news else [])])
    await rig.drain_at(hours=12)  # past the digest window and the quiet hours
    for _ in range(20):
        if not await rig.outbox.drain():
            break
    mails = await sinks.messages("mail")
    sms = await sinks.messages("sms")
    assert len(mails) >= 20 and len(sms) >= 20, (len(mails), len(sms))
    told = {m["to"] for m in mails}
    assert f"n{personas.SARA}@exempel.se" in told  # protected, and told of her own case
    for message in [*mails, *sms]:
        found = leaks(message["subject"] + "\n" + message["body"], forbidden)
        assert found == [], (message, found)
