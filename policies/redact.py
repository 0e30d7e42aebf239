"""Redaction: a domain `Case` and a disclosure level in, a `CaseView` out.

    EXISTENCE  number, main number, type, status, unit, dates, confidential flag;
               title = the case-type name; events as kind + time + generic summary
    SUMMARY    + real title, subject, channel, link, event summaries, concerned
               persons and links, collaborations, non-confidential documents
    FULL       + event descriptions, confidential documents, the secrecy ground
               (staff only, as the schema promises)

Internal events (`internal=True`) are shown only to case officers of the owning
unit with FULL access; citizens, the contact centre and other units never see them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType

from connectors.domain import Case, CaseEvent, CaseEventKind, Collaboration, Document, Person

from .caller import Caller, Role
from .levels import Disclosure
from .persons import person_view, staff_may_find_person
from .policy import Policy
from .views import CaseView, CollaborationView, DocumentView, EventView, PersonView

__all__ = ["GENERIC_SUMMARIES", "person_view", "redact_case", "staff_may_find_person"]

GENERIC_SUMMARIES: Mapping[CaseEventKind, str] = MappingProxyType(
    {
        CaseEventKind.SUBMITTED: "Ärendet har kommit in",
        CaseEventKind.REGISTERED: "Ärendet har registrerats",
        CaseEventKind.STATUS_CHANGED: "Ärendets status har ändrats",
        CaseEventKind.COMPLETION_REQUESTED: "Komplettering begärd",
        CaseEventKind.COMPLETION_RECEIVED: "Komplettering har kommit in",
        CaseEventKind.REFERRAL_SENT: "Remiss skickad",
        CaseEventKind.REFERRAL_ANSWERED: "Remissvar har kommit in",
        CaseEventKind.ASSIGNMENT_GIVEN: "Uppdrag lämnat",
        CaseEventKind.ASSIGNMENT_COMPLETED: "Uppdraget är utfört",
        CaseEventKind.FORWARDED: "Ärendet har lämnats vidare",
        CaseEventKind.DECIDED: "Beslut fattat",
        CaseEventKind.NOTICE: "Meddelande i ärendet",
        CaseEventKind.DELAYED: "Handläggningen är försenad",
        CaseEventKind.CLOSED: "Ärendet är avslutat",
    }
)

PersonOf = Callable[[str], PersonView]


def redact_case(
    case: Case,
    level: Disclosure,
    caller: Caller,
    persons: Mapping[str, Person],
    policy: Policy,
    *,
    represented: Collection[str] = (),
) -> CaseView | None:
    """The case as a caller with `level` may see it; None for NONE.

    `persons`: the population-register records of the case's persons (missing ones
    are treated as protected). `represented`: whom a citizen caller acts for.
    """
    if level is Disclosure.NONE:
        return None
    summary = level >= Disclosure.SUMMARY
    full = level is Disclosure.FULL
    owning = (case.unit.code,)

    def person(pnr: str) -> PersonView:
        return person_view(pnr, caller, persons, owning, represented=represented)

    show_internal = full and caller.role is Role.CASE_OFFICER and case.unit.code in caller.units
    events = tuple(_event(e, level, person) for e in case.events if show_internal or not e.internal)
    return CaseView(
        ref=case.ref,
        level=level,
        case_number=case.case_number,
        main_case_number=case.main_case_number,
        type=case.type,
        title=case.title if summary else policy.case_type_name(case.type),
        status=case.status,
        unit=case.unit,
        subject=person(case.subject) if summary and case.subject else None,
        channel=case.channel if summary else None,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        confidential=case.confidential,
        secrecy_ground=case.secrecy_ground if full and caller.role.is_staff else None,
        link=case.link if summary else None,
        events=events,
        documents=tuple(_document(d) for d in case.documents if full or not d.confidential)
        if summary
        else None,
        collaborations=tuple(_collaboration(c) for c in case.collaborations) if summary else None,
    )


def _event(event: CaseEvent, level: Disclosure, person: PersonOf) -> EventView:
    if level < Disclosure.SUMMARY:
        return EventView(
            id=event.id,
            occurred_at=event.occurred_at,
            kind=event.kind,
            summary=GENERIC_SUMMARIES[event.kind],
            description=None,
            diary_event=event.diary_event,
            concerns=None,
            link=None,
        )
    return EventView(
        id=event.id,
        occurred_at=event.occurred_at,
        kind=event.kind,
        summary=event.summary,
        description=event.description if level is Disclosure.FULL else None,
        diary_event=event.diary_event,
        concerns=person(event.concerns) if event.concerns else None,
        link=event.link,
    )


def _document(doc: Document) -> DocumentView:
    return DocumentView(
        id=doc.id,
        title=doc.title,
        direction=doc.direction,
        registered_at=doc.registered_at,
        confidential=doc.confidential,
    )


def _collaboration(collab: Collaboration) -> CollaborationView:
    return CollaborationView(
        kind=collab.kind,
        from_unit=collab.from_unit,
        to_unit=collab.to_unit,
        started_at=collab.started_at,
        completed_at=collab.completed_at,
        responsibility_retained=collab.responsibility_retained,
        follow_up_retained=collab.follow_up_retained,
        counterpart=collab.counterpart,
    )
