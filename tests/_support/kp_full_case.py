"""A closed case with every part, as a simulator holds it and as a connector must map it.

`full_case(spec)` is the simulator's record (`simulators.world.Case`): opened at
`at(0)` and closed at `at(300)`, about KALLE and applied for by LISA, four events
(the submission, a diary-recorded referral about LISA, an internal note, the
closing), an incoming and a confidential drafted document, a referral to MBN
answered in ecos 4711 and an assignment to KS that keeps its follow-up.
`expected_case(spec, link)` is the domain `Case` every connector must make of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kp_worlds import KALLE, LISA, at, case

from connectors.domain import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseRef,
    CaseStatus,
    CaseType,
    Channel,
    Collaboration,
    CollaborationKind,
    Document,
    DocumentDirection,
    Unit,
)
from simulators import world as w

MBN = Unit("MBN", "Miljö- och hälsoskyddsnämnden")
KS = Unit("KS", "Kommunstyrelsen")


@dataclass(frozen=True)
class FullCase:
    """What differs between systems: identity, type, unit and the texts."""

    system: str
    id: str
    number: str
    main_number: str
    type: CaseType
    unit: Unit
    title: str
    description: str
    submitted: str  # the submission event's summary
    referral: tuple[str, str]  # the referral event's summary and description
    drafted: str  # the drafted document's title
    secrecy_ground: str | None = None  # confidential when set


def full_case(spec: FullCase) -> w.Case:
    unit = spec.unit.code
    return case(
        spec.system,
        spec.id,
        number=spec.number,
        main_number=spec.main_number,
        type_code=spec.type.code,
        title=spec.title,
        description=spec.description,
        unit=unit,
        status="CLOSED",
        opened_at=at(0),
        closed_at=at(300),
        subject=KALLE,
        applicant=LISA,
        channel="E_SERVICE",
        **(
            {"confidential": True, "secrecy_ground": spec.secrecy_ground}
            if spec.secrecy_ground
            else {}
        ),
        events=[
            w.Event(f"{spec.id}-e1", at(0), "SUBMITTED", spec.submitted),
            w.Event(
                f"{spec.id}-e2",
                at(24),
                "REFERRAL_SENT",
                *spec.referral,
                diary=True,
                concerns=LISA,
            ),
            w.Event(f"{spec.id}-e3", at(30), "NOTICE", "Intern bedömning", internal=True),
            w.Event(f"{spec.id}-e4", at(300), "CLOSED", "Ärendet avslutat"),
        ],
        documents=[
            w.Document(f"{spec.id}-d1", "Ansökan", "INCOMING", at(0)),
            w.Document(f"{spec.id}-d2", spec.drafted, "DRAFTED", at(25), confidential=True),
        ],
        collaborations=[
            w.Collaboration(
                "REFERRAL",
                unit,
                "MBN",
                at(24),
                completed_at=at(48),
                counterpart_system="ecos",
                counterpart_id="4711",
                counterpart_number="MK-2025-837",
            ),
            w.Collaboration("ASSIGNMENT", unit, "KS", at(26), follow_up_retained=True),
        ],
    )


def expected_case(spec: FullCase, link: str) -> Case:
    event = f"{spec.system}:{spec.id}"
    return Case(
        ref=CaseRef(spec.system, spec.id),
        case_number=spec.number,
        main_case_number=spec.main_number,
        type=spec.type,
        title=spec.title,
        description=spec.description,
        status=CaseStatus.CLOSED,
        unit=spec.unit,
        subject=KALLE,
        parties=(LISA,),
        channel=Channel.E_SERVICE,
        opened_at=at(0),
        closed_at=at(300),
        confidential=spec.secrecy_ground is not None,
        secrecy_ground=spec.secrecy_ground,
        link=link,
        events=(
            CaseEvent(f"{event}-e1", at(0), CaseEventKind.SUBMITTED, spec.submitted),
            CaseEvent(
                f"{event}-e2",
                at(24),
                CaseEventKind.REFERRAL_SENT,
                *spec.referral,
                diary_event=True,
                concerns=LISA,
            ),
            CaseEvent(
                f"{event}-e3", at(30), CaseEventKind.NOTICE, "Intern bedömning", internal=True
            ),
            CaseEvent(f"{event}-e4", at(300), CaseEventKind.CLOSED, "Ärendet avslutat"),
        ),
        documents=(
            Document(f"{spec.id}-d1", "Ansökan", DocumentDirection.INCOMING, at(0)),
            Document(
                f"{spec.id}-d2", spec.drafted, DocumentDirection.DRAFTED, at(25), confidential=True
            ),
        ),
        collaborations=(
            Collaboration(
                CollaborationKind.REFERRAL,
                spec.unit,
                MBN,
                at(24),
                at(48),
                counterpart=CaseRef("ecos", "4711"),
                counterpart_number="MK-2025-837",
            ),
            Collaboration(
                CollaborationKind.ASSIGNMENT, spec.unit, KS, at(26), follow_up_retained=True
            ),
        ),
    )
