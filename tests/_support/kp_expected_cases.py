"""The domain cases the connectors must make of the hand-built cases in the sandbox worlds
(`kp_system_worlds`, `kp_service_worlds`), written out in full as an independent oracle.

The diary-style systems' full case is `kp_full_case.expected_case(spec, link)`; the
constants here are the REST systems' own cases.
"""

from __future__ import annotations

from kp_service_worlds import BENGT, NILS
from kp_worlds import ANNA, KALLE, T0, TOLVAN, at

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

MBN = Unit("MBN", "Miljö- och hälsoskyddsnämnden")
TN = Unit("TN", "Tekniska nämnden")
BUN = Unit("BUN", "Barn- och utbildningsnämnden")
KC = Unit("KC", "Kontaktcenter")

# ecos 4711: forwarded to teknik, about ANNA, TOLVAN applies
LITTERING = Case(
    ref=CaseRef("ecos", "4711"),
    case_number="MK-2025-837",
    main_case_number="MK-2025-837",
    type=CaseType("MILJO-NEDSKRAPNING", "Nedskräpning"),
    title="Nedskräpning vid återvinningsstationen",
    description="Soppåsar dumpade bakom containrarna.",
    status=CaseStatus.FORWARDED,
    unit=MBN,
    subject=ANNA,
    parties=(TOLVAN,),
    channel=Channel.E_SERVICE,
    opened_at=at(0),
    closed_at=None,
    confidential=True,
    secrecy_ground="OSL 21 kap. 7 §",
    link="https://etjanster.exempelby.se/miljo/arende/4711",
    events=(
        CaseEvent(
            "ecos:4711-e1", at(0), CaseEventKind.SUBMITTED, "Anmälan inkommen", diary_event=True
        ),
        CaseEvent(
            "ecos:4711-e2",
            at(2),
            CaseEventKind.REGISTERED,
            "Registrerad",
            "Intern notering",
            internal=True,
        ),
        CaseEvent(
            "ecos:4711-e3", at(5), CaseEventKind.FORWARDED, "Överlämnad till TN", concerns=TOLVAN
        ),
    ),
    documents=(
        Document("4711-d1", "Anmälan", DocumentDirection.INCOMING, at(0)),
        Document(
            "4711-d2", "Tjänsteanteckning", DocumentDirection.DRAFTED, at(3), confidential=True
        ),
    ),
    collaborations=(
        Collaboration(
            CollaborationKind.FORWARDING,
            MBN,
            Unit("TN", "Tekniska nämnden"),
            at(5),
            at(9),
            follow_up_retained=True,
            counterpart=CaseRef("teknik", "fr-2025-00042"),
            counterpart_number="FEL-2025-00042",
        ),
        Collaboration(CollaborationKind.REFERRAL, MBN, Unit("BN", "Byggnadsnämnden"), at(6)),
    ),
)

# teknik fr-2025-00042: the cleanup ecos 4711 was forwarded to
CLEANUP = Case(
    ref=CaseRef("teknik", "fr-2025-00042"),
    case_number="FEL-2025-00042",
    main_case_number="MK-2025-837",
    type=CaseType("TEK-STAD", "Skräpplockning/städning"),
    title="Städning vid återvinningsstationen",
    description="Överlämnat från miljö.",
    status=CaseStatus.CLOSED,
    unit=TN,
    subject=ANNA,
    parties=(TOLVAN,),
    channel=Channel.INTERNAL,
    opened_at=at(0),
    closed_at=at(48),
    confidential=False,
    secrecy_ground=None,
    link="https://felanmalan.example/42",
    events=(
        CaseEvent(
            "teknik:fr42-e1", at(0), CaseEventKind.REGISTERED, "Mottaget från MBN", diary_event=True
        ),
        CaseEvent(
            "teknik:fr42-e2",
            at(3),
            CaseEventKind.ASSIGNMENT_GIVEN,
            "Uppdrag till AME",
            "Plocka skräp",
            concerns=ANNA,
        ),
        CaseEvent(
            "teknik:fr42-e3",
            at(40),
            CaseEventKind.ASSIGNMENT_COMPLETED,
            "Klarmarkerat av AME",
            internal=True,
        ),
        CaseEvent("teknik:fr42-e4", at(48), CaseEventKind.CLOSED, "Avslutat"),
    ),
    documents=(Document("fr42-d1", "Uppdrag", DocumentDirection.OUTGOING, at(3)),),
    collaborations=(
        Collaboration(
            CollaborationKind.ASSIGNMENT, TN, Unit("AME", "Arbetsmarknadsenheten"), at(3), at(40)
        ),
        Collaboration(
            CollaborationKind.FORWARDING,
            MBN,
            TN,
            at(0),
            follow_up_retained=True,
            counterpart=CaseRef("ecos", "4711"),
            counterpart_number="MK-2025-837",
        ),
    ),
)

# edu: NILS's preschool place (KALLE is a custodian) and his confidential health case
PRESCHOOL = Case(
    ref=CaseRef("edu", "100234"),
    case_number="FSK-2025-00012",
    main_case_number="FSK-2025-00010",
    type=CaseType("EDU-FORSKOLA", "Förskoleplats"),
    title="Förskoleplats för Nils",
    description="Önskar Nyckelpigan i första hand.",
    status=CaseStatus.DECIDED,
    unit=BUN,
    subject=NILS,
    parties=(KALLE,),
    channel=Channel.E_SERVICE,
    opened_at=at(0),
    link="https://etjanster.exempelby.se/forskola/ansokan/100234",
    events=(
        CaseEvent(
            "edu:100234-e1",
            at(0),
            CaseEventKind.SUBMITTED,
            "Förskoleplats sökt",
            "Via e-tjänst",
            concerns=NILS,
        ),
        CaseEvent(
            "edu:100234-e2",
            at(24),
            CaseEventKind.STATUS_CHANGED,
            "Förskoleansökan ändrad",
            concerns=NILS,
        ),
        CaseEvent(
            "edu:100234-e3",
            at(48),
            CaseEventKind.DECIDED,
            "Förskoleplats tilldelad i Nyckelpigan",
            diary_event=True,
        ),
    ),
    documents=(Document("100234-d1", "Placeringsbesked", DocumentDirection.OUTGOING, at(48)),),
    collaborations=(
        Collaboration(
            CollaborationKind.REFERRAL,
            BUN,
            Unit("KS", "Kommunstyrelsen"),
            at(30),
            at(40),
            counterpart=CaseRef("diarium", "100412"),
            counterpart_number="KS 2025/0412",
        ),
    ),
)

HEALTH = Case(
    ref=CaseRef("edu", "100235"),
    case_number="EH-2025-00001",
    type=CaseType("EDU-ELEVHALSA", "Elevhälsa"),
    title="Elevhälsoärende",
    status=CaseStatus.WAITING_FOR_CITIZEN,
    unit=BUN,
    subject=NILS,
    channel=Channel.INTERNAL,
    opened_at=at(1),
    confidential=True,
    secrecy_ground="OSL 25 kap. 1 §",
    link="https://etjanster.exempelby.se/forskola/ansokan/100235",
    events=(
        CaseEvent(
            "edu:100235-e1",
            at(2),
            CaseEventKind.COMPLETION_REQUESTED,
            "Komplettering begärd",
            internal=True,
        ),
    ),
    documents=(
        Document(
            "100235-d1", "Journalanteckning", DocumentDirection.DRAFTED, at(2), confidential=True
        ),
    ),
)

# kontaktcenter: BENGT's proposal (forwarded to diarium) and TOLVAN's closed question
PROPOSAL = Case(
    ref=CaseRef("kontaktcenter", "7001"),
    case_number="KC-2025-0042",
    main_case_number="KF 2025/0117",
    type=CaseType("KC-MEDBORGARFORSLAG", "Medborgarförslag"),
    title="Medborgarförslag om utegym",
    description="Förslag om ett utegym i Stadsparken.",
    status=CaseStatus.FORWARDED,
    unit=KC,
    subject=BENGT,
    parties=(),
    channel=Channel.CONTACT_CENTRE,
    opened_at=T0,
    closed_at=None,
    confidential=False,
    secrecy_ground=None,
    link="https://etjanster.exempelby.se/kontaktcenter/arende/7001",
    events=(
        CaseEvent(
            "kontaktcenter:e1",
            T0,
            CaseEventKind.SUBMITTED,
            "Förslaget togs emot",
            description="Via telefon",
        ),
        CaseEvent(
            "kontaktcenter:e2",
            at(2),
            CaseEventKind.FORWARDED,
            "Överlämnat till registraturen",
            diary_event=True,
        ),
        CaseEvent(
            "kontaktcenter:e3", at(3), CaseEventKind.NOTICE, "Intern notering", internal=True
        ),
    ),
    documents=(
        Document("d1", "Medborgarförslag", DocumentDirection.INCOMING, T0),
        Document("d2", "Tjänsteanteckning", DocumentDirection.DRAFTED, at(1), confidential=True),
    ),
    collaborations=(
        Collaboration(
            CollaborationKind.FORWARDING,
            KC,
            Unit("KF", "Kommunfullmäktige"),
            at(2),
            follow_up_retained=False,
            counterpart=CaseRef("diarium", "D-1001"),
            counterpart_number="KF 2025/0117",
        ),
        Collaboration(
            CollaborationKind.FORWARDING,
            KC,
            Unit("KS", "Kommunstyrelsen"),
            at(3),
            follow_up_retained=True,
        ),
        Collaboration(
            CollaborationKind.REFERRAL,
            KC,
            Unit("TN", "Tekniska nämnden"),
            at(4),
            completed_at=at(30),
        ),
    ),
)

QUESTION = Case(
    ref=CaseRef("kontaktcenter", "7002"),
    case_number="KC-2025-0043",
    type=CaseType("KC-FRAGA", "Fråga till kommunen"),
    title="Fråga om försörjningsstöd",
    status=CaseStatus.CLOSED,
    unit=KC,
    subject=TOLVAN,
    parties=(KALLE,),
    channel=Channel.VISIT,
    opened_at=at(5),
    closed_at=at(6),
    confidential=True,
    secrecy_ground="OSL 26 kap. 1 §",
    link="https://kontaktcenter.exempelby.se/fall/7002",
    events=(
        CaseEvent(
            "kontaktcenter:s1",
            at(5),
            CaseEventKind.SUBMITTED,
            "Besök i receptionen",
            concerns=TOLVAN,
        ),
    ),
)

# eservice: TOLVAN's report waiting for completion and NILS's preschool application
WAITING = Case(
    ref=CaseRef("eservice", "104240"),
    case_number="ES-2025-0901",
    type=CaseType("ES-NEDSKRAPNING", "Anmälan om nedskräpning"),
    title="Skräp vid badplatsen",
    status=CaseStatus.WAITING_FOR_CITIZEN,
    unit=MBN,
    subject=TOLVAN,
    channel=Channel.E_SERVICE,
    opened_at=T0,
    link="https://etjanster.exempelby.se/oversikt/flowinstance/104240",
    events=(
        CaseEvent("eservice:104240-1", T0, CaseEventKind.SUBMITTED, "Anmälan inskickad"),
        CaseEvent(
            "eservice:104240-2",
            at(26),
            CaseEventKind.COMPLETION_REQUESTED,
            "Komplettering begärd",
            description="Bifoga gärna en bild.",
        ),
    ),
)

CHILD = Case(
    ref=CaseRef("eservice", "104250"),
    case_number="ES-2025-0950",
    main_case_number="BUN 2025/0301",
    type=CaseType("ES-FORSKOLA", "Ansökan förskoleplats"),
    title="Ansökan om förskoleplats",
    description="Önskar plats från augusti.",
    status=CaseStatus.FORWARDED,
    unit=BUN,
    subject=NILS,
    parties=(KALLE,),
    channel=Channel.E_SERVICE,
    opened_at=at(1),
    closed_at=at(2),
    confidential=True,
    secrecy_ground="OSL 23 kap. 1 §",
    link="https://etjanster.exempelby.se/oversikt/flowinstance/104250",
    events=(
        CaseEvent(
            "eservice:104250-1", at(1), CaseEventKind.SUBMITTED, "Ansökan inskickad", concerns=NILS
        ),
        CaseEvent(
            "eservice:104250-2",
            at(2),
            CaseEventKind.FORWARDED,
            "Skickad till förskolan",
            diary_event=True,
        ),
    ),
    documents=(Document("f-1", "Ansökan", DocumentDirection.INCOMING, at(1), confidential=True),),
    collaborations=(
        Collaboration(
            CollaborationKind.FORWARDING,
            BUN,
            BUN,
            at(2),
            follow_up_retained=True,
            counterpart=CaseRef("edu", "P-77"),
            counterpart_number="BUN 2025/0301",
        ),
    ),
)
