"""One sandbox world per register and service system, shared by its connector and simulator
tests (the case systems are in `kp_system_worlds`).

folkbokforing_world()   KALLE and SARA (protected) have custody of NILS; TOLVAN; 250 `MANY`
ombud_world()           GRETA and LISA gave KALLE mandates (one expired), GRETA's to TOLVAN
                        is revoked, TOLVAN gave LISA eleven
"""

from __future__ import annotations

from datetime import date

from kp_worlds import ANNA, KALLE, LISA, T0, TOLVAN, at, status_cases, world_of

from connectors.personal_number import luhn_digit
from simulators import eservice_shapes as shapes
from simulators import world as w

NILS = "201903142386"
SARA = "198509231661"
GRETA = "193404124129"
KARIN = "198001012392"
BENGT = "199212249875"
KC_FILLERS = 35
ES_FILLERS = 14
REGISTER_DATE = date(2025, 12, 31)


def pnr(n: int) -> str:
    """A valid personal number born 1980-01-01 with serial `n`."""
    nine = f"800101{n:03d}"
    return f"19{nine}{luhn_digit(nine)}"


MANY = [pnr(n) for n in range(250)]


def folkbokforing_world() -> w.World:
    """LISA is valid but not in the register."""
    persons = [
        w.Person(KALLE, "Kalle", "Testson", street="Storgatan 1", postal_code="123 45"),
        w.Person(NILS, "Nils", "Testson", street="Storgatan 1", postal_code="123 45"),
        w.Person(SARA, "Sara", "Skyddad", protected=True, street="Hemlig 2"),
        w.Person(TOLVAN, "Tolvan", "Tolvansson", street="Tolvgatan 12", city="Byn"),
        *(w.Person(p, "Test", f"Person{i}") for i, p in enumerate(MANY)),
    ]
    return world_of(
        persons=persons,
        custody=[w.Custody(KALLE, NILS), w.Custody(SARA, NILS)],
        seed=1,
        reference_date=REGISTER_DATE,
    )


def ombud_world() -> w.World:
    types = [
        w.CaseTypeDef(
            "SN-SABO", "Särskilt boende", "Omsorg", "procapita", "SN", 90, confidential=True
        )
    ]
    mandates = [
        w.Mandate("F-1", GRETA, KALLE, ("SN-SABO", "SN-HEMTJANST"), date(2024, 1, 1), None),
        w.Mandate("F-2", LISA, KALLE, ("BN-BYGGLOV",), date(2023, 1, 1), date(2023, 12, 31)),
        w.Mandate("F-3", GRETA, TOLVAN, ("SN-SABO",), date(2024, 1, 1), None, revoked=True),
        *(
            w.Mandate(f"M-{i:02d}", TOLVAN, LISA, ("KC-FRAGA",), date(2025, 1, 1), None)
            for i in range(11)
        ),
    ]
    return world_of(types=types, mandates=mandates, seed=1, reference_date=REGISTER_DATE)


def edu_world() -> w.World:
    """100234 (NILS's preschool place, KALLE applies), 100235 (NILS's confidential pupil
    health), statuses `300 + n`, fillers `200000 + i` (KARIN applies, main number
    FSK-2025-00499) from 100 h; KALLE and KARIN have custody of NILS."""
    types = {
        "EDU-FORSKOLA": w.CaseTypeDef(
            "EDU-FORSKOLA", "Förskoleplats", "Utbildning", "edu", "BUN", 120
        ),
        "EDU-ELEVHALSA": w.CaseTypeDef(
            "EDU-ELEVHALSA", "Elevhälsa", "Utbildning", "edu", "BUN", 30, True, "OSL 25 kap. 1 §"
        ),
    }
    preschool = w.Case(
        system="edu",
        id="100234",
        number="FSK-2025-00012",
        main_number="FSK-2025-00010",
        type_code="EDU-FORSKOLA",
        title="Förskoleplats för Nils",
        description="Önskar Nyckelpigan i första hand.",
        unit="BUN",
        status="DECIDED",
        opened_at=at(0),
        subject=NILS,
        applicant=KALLE,
        events=[
            w.Event("100234-e2", at(24), "STATUS_CHANGED", "Förskoleansökan ändrad", concerns=NILS),
            w.Event(
                "100234-e1", at(0), "SUBMITTED", "Förskoleplats sökt", "Via e-tjänst", concerns=NILS
            ),
            w.Event(
                "100234-e3", at(48), "DECIDED", "Förskoleplats tilldelad i Nyckelpigan", diary=True
            ),
        ],
        documents=[w.Document("100234-d1", "Placeringsbesked", "OUTGOING", at(48))],
        collaborations=[
            w.Collaboration(
                "REFERRAL",
                "BUN",
                "KS",
                at(30),
                at(40),
                counterpart_system="diarium",
                counterpart_id="100412",
                counterpart_number="KS 2025/0412",
            )
        ],
    )
    health = w.Case(
        system="edu",
        id="100235",
        number="EH-2025-00001",
        type_code="EDU-ELEVHALSA",
        title="Elevhälsoärende",
        unit="BUN",
        status="WAITING_FOR_CITIZEN",
        opened_at=at(1),
        closed_at=None,
        subject=NILS,
        channel="INTERNAL",
        confidential=True,
        secrecy_ground="OSL 25 kap. 1 §",
        events=[
            w.Event(
                "100235-e1", at(2), "COMPLETION_REQUESTED", "Komplettering begärd", internal=True
            )
        ],
        documents=[
            w.Document("100235-d1", "Journalanteckning", "DRAFTED", at(2), confidential=True)
        ],
    )
    per_status = status_cases(
        "edu",
        type_code="EDU-FORSKOLA",
        unit="BUN",
        id=lambda n: str(300 + n),
        number=lambda n: f"FSK-2024-{n:05d}",
        event_id=lambda n, k: f"{300 + n}-e{k}",
        summary=str,
        title=str,
    )
    fillers = [
        w.Case(
            system="edu",
            id=str(200000 + i),
            number=f"FSK-2025-{500 + i:05d}",
            main_number="FSK-2025-00499",
            type_code="EDU-FORSKOLA",
            title=f"Förskoleplats {i}",
            unit="BUN",
            status="RECEIVED",
            opened_at=at(100 + i),
            subject=f"20200101{i:04d}",
            applicant=KARIN,
        )
        for i in range(31)
    ]
    custody = [w.Custody(KALLE, NILS), w.Custody(KARIN, NILS)]
    return world_of(preschool, health, *per_status, *fillers, types=types.values(), custody=custody)


def kontaktcenter_world() -> w.World:
    """7001 (BENGT's proposal, forwarded to diarium), 7002 (TOLVAN's closed confidential
    question, KALLE applies), fillers `7100 + i` about BENGT, one a day from 24 h, cycling
    through statuses, channels, event kinds and document directions."""
    types = {
        "KC-MEDBORGARFORSLAG": w.CaseTypeDef(
            "KC-MEDBORGARFORSLAG", "Medborgarförslag", "Demokrati", "kontaktcenter", "KC", 5
        ),
        "KC-FRAGA": w.CaseTypeDef(
            "KC-FRAGA", "Fråga till kommunen", "Service", "kontaktcenter", "KC", 2
        ),
    }
    proposal = w.Case(
        system="kontaktcenter",
        id="7001",
        number="KC-2025-0042",
        main_number="KF 2025/0117",
        type_code="KC-MEDBORGARFORSLAG",
        title="Medborgarförslag om utegym",
        description="Förslag om ett utegym i Stadsparken.",
        unit="KC",
        status="FORWARDED",
        opened_at=T0,
        subject=BENGT,
        channel="CONTACT_CENTRE",
        events=[
            w.Event("e1", T0, "SUBMITTED", "Förslaget togs emot", description="Via telefon"),
            w.Event("e2", at(2), "FORWARDED", "Överlämnat till registraturen", diary=True),
            w.Event("e3", at(3), "NOTICE", "Intern notering", internal=True),
        ],
        documents=[
            w.Document("d1", "Medborgarförslag", "INCOMING", T0),
            w.Document("d2", "Tjänsteanteckning", "DRAFTED", at(1), confidential=True),
        ],
        collaborations=[
            w.Collaboration(
                "FORWARDING",
                "KC",
                "KF",
                at(2),
                counterpart_system="diarium",
                counterpart_id="D-1001",
                counterpart_number="KF 2025/0117",
            ),
            w.Collaboration("FORWARDING", "KC", "KS", at(3), follow_up_retained=True),
            w.Collaboration("REFERRAL", "KC", "TN", at(4), completed_at=at(30)),
        ],
    )
    secret = w.Case(
        system="kontaktcenter",
        id="7002",
        number="KC-2025-0043",
        type_code="KC-FRAGA",
        title="Fråga om försörjningsstöd",
        unit="KC",
        status="CLOSED",
        opened_at=at(5),
        closed_at=at(6),
        subject=TOLVAN,
        applicant=KALLE,
        channel="VISIT",
        confidential=True,
        secrecy_ground="OSL 26 kap. 1 §",
        link="https://kontaktcenter.exempelby.se/fall/7002",
        events=[w.Event("s1", at(5), "SUBMITTED", "Besök i receptionen", concerns=TOLVAN)],
    )
    channels = ("PHONE", "VISIT", "EMAIL", "CONTACT_CENTRE", "E_SERVICE", "MAIL", "INTERNAL")
    fillers = [
        w.Case(
            system="kontaktcenter",
            id=f"{7100 + i}",
            number=f"KC-2025-{100 + i:04d}",
            type_code="KC-FRAGA",
            title=f"Fråga nummer {i}",
            unit="KC",
            status=w.STATUSES[i % len(w.STATUSES)],
            opened_at=at(24 * (i + 1)),
            subject=BENGT,
            channel=channels[i % len(channels)],
            events=[
                w.Event(
                    f"f{i}",
                    at(24 * (i + 1) + 1),
                    w.EVENT_KINDS[i % len(w.EVENT_KINDS)],
                    "Händelse",
                )
            ],
            documents=[
                w.Document(
                    f"fd{i}", "Bilaga", ("INCOMING", "OUTGOING", "DRAFTED")[i % 3], at(24 * (i + 1))
                )
            ],
        )
        for i in range(KC_FILLERS)
    ]
    return world_of(
        proposal, secret, *fillers, types=types.values(), seed=1, reference_date=date(2025, 12, 31)
    )


def eservice_world() -> w.World:
    """104240 (TOLVAN's report, waiting for completion), 104250 (NILS's confidential preschool
    application by KALLE, forwarded to edu), fillers `105000 + i` about ANNA from 100 h, cycling
    through statuses, channels, event kinds, document directions and collaborations."""
    types = {
        "ES-NEDSKRAPNING": w.CaseTypeDef(
            "ES-NEDSKRAPNING", "Anmälan om nedskräpning", "Miljö", "eservice", "MBN", 30
        ),
        "ES-FORSKOLA": w.CaseTypeDef(
            "ES-FORSKOLA", "Ansökan förskoleplats", "Utbildning", "eservice", "BUN", 120
        ),
    }
    waiting = w.Case(
        system="eservice",
        id="104240",
        number="ES-2025-0901",
        type_code="ES-NEDSKRAPNING",
        title="Skräp vid badplatsen",
        unit="MBN",
        status="WAITING_FOR_CITIZEN",
        opened_at=T0,
        subject=TOLVAN,
        events=[
            w.Event("104240-1", T0, "SUBMITTED", "Anmälan inskickad", status_after="RECEIVED"),
            w.Event(
                "104240-2",
                at(26),
                "COMPLETION_REQUESTED",
                "Komplettering begärd",
                description="Bifoga gärna en bild.",
                status_after="WAITING_FOR_CITIZEN",
            ),
        ],
    )
    child = w.Case(
        system="eservice",
        id="104250",
        number="ES-2025-0950",
        main_number="BUN 2025/0301",
        type_code="ES-FORSKOLA",
        title="Ansökan om förskoleplats",
        description="Önskar plats från augusti.",
        unit="BUN",
        status="FORWARDED",
        opened_at=at(1),
        closed_at=at(2),
        subject=NILS,
        applicant=KALLE,
        confidential=True,
        secrecy_ground="OSL 23 kap. 1 §",
        events=[
            w.Event("104250-1", at(1), "SUBMITTED", "Ansökan inskickad", concerns=NILS),
            w.Event("104250-2", at(2), "FORWARDED", "Skickad till förskolan", diary=True),
        ],
        documents=[w.Document("f-1", "Ansökan", "INCOMING", at(1), confidential=True)],
        collaborations=[
            w.Collaboration(
                "FORWARDING",
                "BUN",
                "BUN",
                at(2),
                follow_up_retained=True,
                counterpart_system="edu",
                counterpart_id="P-77",
                counterpart_number="BUN 2025/0301",
            )
        ],
    )
    channels = tuple(shapes.CHANNELS)
    kinds = ("INCOMING", "OUTGOING", "DRAFTED")
    collab_kinds = ("REFERRAL", "ASSIGNMENT", "FORWARDING")
    fillers = [
        w.Case(
            system="eservice",
            id=f"{105000 + i}",
            number=f"ES-2025-{1000 + i}",
            type_code="ES-NEDSKRAPNING",
            title=f"Anmälan {i}",
            unit="MBN",
            status=w.STATUSES[i % len(w.STATUSES)],
            opened_at=at(100 + i),
            subject=ANNA,
            channel=channels[i % len(channels)],
            events=[w.Event(f"e{i}", at(100.5 + i), w.EVENT_KINDS[i], "Händelse")],
            documents=[w.Document(f"d{i}", "Fil", kinds[i % 3], at(100 + i))],
            collaborations=[w.Collaboration(collab_kinds[i % 3], "MBN", "TN", at(100 + i))],
        )
        for i in range(ES_FILLERS)
    ]
    return world_of(
        waiting, child, *fillers, types=types.values(), seed=1, reference_date=date(2025, 12, 31)
    )
