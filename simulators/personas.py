"""The sandbox's personas and their scenarios, the same at every seed and scale.

Timelines are placed a number of days before the reference date, so the demo
always looks current; case numbers carry the year the case was opened in, so
use `persona_cases(reference_date)` to learn them. Mass data never reuses a
persona's personal number, case id or case number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from . import names
from .gen_steps import Step, StepMaker
from .world import TZ, Case, Collaboration, Custody, Document, Event, Mandate, Person

KALLE = "195606055555"
GRETA = "193404124129"
NILS = "201903142386"
ANNA = "197801012340"
BENGT = "199212249875"
SARA = "198509231661"
LISA = "194505173213"
TOLVAN = "191212121212"
SARA_CHILD = "202108152485"

PERSONAS = (KALLE, GRETA, NILS, ANNA, BENGT, SARA, LISA, TOLVAN, SARA_CHILD)
KALLE_MANDATE_ID = "FM-000001"

# keys of the persona cases in `persona_cases(...)`
KALLE_BYGGLOV = "kalle-bygglov"
KALLE_KULTURSTIPENDIUM = "kalle-kulturstipendium"
GRETA_SABO = "greta-sabo"
NILS_FORSKOLA = "nils-forskola"
ANNA_ESERVICE = "anna-eservice"
ANNA_ECOS = "anna-ecos"
ANNA_TEKNIK = "anna-teknik"
BENGT_KONTAKTCENTER = "bengt-kontaktcenter"
BENGT_KF = "bengt-kf"
BENGT_KS = "bengt-ks"
BENGT_KFN = "bengt-kfn"
SARA_EKB = "sara-ekb"
SARA_CHILD_FORSKOLA = "sara-child-forskola"
LISA_BYGGLOV = "lisa-bygglov"
TOLVAN_FELANMALAN = "tolvan-felanmalan"
TOLVAN_ESERVICE = "tolvan-eservice"


class PersonaCase(NamedTuple):
    system: str
    id: str
    number: str
    main_number: str | None


@dataclass
class PersonaData:
    """Persons, relations and cases of the personas for one reference date."""

    persons: dict[str, Person]
    custody: list[Custody]
    mandates: list[Mandate]
    cases: dict[str, Case] = field(default_factory=dict)  # key -> case


def _address(street: str, number: int) -> tuple[str, str]:
    return f"{street} {number}", names.POSTAL_CODES[names.STREETS.index(street)]


def persona_persons() -> dict[str, Person]:
    home = _address("Lönnvägen", 4)
    people = [
        Person(KALLE, "Kalle", "Testson", False, *home),
        Person(GRETA, "Greta", "Testson", False, *_address("Vallhornsvägen", 2)),
        Person(NILS, "Nils", "Testson", False, *home),
        Person(ANNA, "Anna", "Andersson", False, *_address("Strandvägen", 12)),
        Person(BENGT, "Bengt", "Berg", False, *_address("Kyrkogatan", 3)),
        Person(SARA, "Sara", "Skyddad", True),
        Person(SARA_CHILD, "Elsa", "Skyddad", True),
        Person(LISA, "Lisa", "Lund", False, *_address("Lönnvägen", 6)),
        Person(TOLVAN, "Tolvan", "Tolvansson", False, *_address("Storgatan", 12)),
    ]
    return {p.pnr: p for p in people}


def build_personas(reference_date: date) -> PersonaData:
    """All persona data; the scenarios are those of DESIGN.md's persona table."""
    data = PersonaData(
        persons=persona_persons(),
        custody=[Custody(KALLE, NILS), Custody(SARA, SARA_CHILD)],
        mandates=[
            Mandate(
                KALLE_MANDATE_ID,
                GRETA,
                KALLE,
                ("SOC-SABO", "SOC-HEMTJANST"),
                reference_date - timedelta(days=400),
                reference_date + timedelta(days=730),
            )
        ],
    )
    b = _Builder(reference_date, data)
    _kalle(b)
    _greta_nils(b)
    _anna(b)
    _bengt(b)
    _others(b)
    return data


def persona_cases(reference_date: date) -> dict[str, PersonaCase]:
    """System, id, number and main number of every persona case, by persona-case key."""
    cases = build_personas(reference_date).cases
    return {k: PersonaCase(c.system, c.id, c.number, c.main_number) for k, c in cases.items()}


Timed = tuple[Step, int, str]  # step, days before the reference date, "HH:MM"


class _Builder:
    def __init__(self, reference_date: date, data: PersonaData) -> None:
        self.ref = reference_date
        self.data = data

    def at(self, days_before: int, hhmm: str) -> datetime:
        d = self.ref - timedelta(days=days_before)
        hour, minute = (int(x) for x in hhmm.split(":"))
        return datetime(d.year, d.month, d.day, hour, minute, tzinfo=TZ)

    def year(self, days_before: int) -> int:
        return (self.ref - timedelta(days=days_before)).year

    def case(
        self,
        key: str,
        maker: StepMaker,
        ids: tuple[str, str],
        title: str,
        subject: str,
        timeline: list[Timed],
        *,
        channel: str,
        applicant: str | None = None,
        concerns: str | None = None,
        link: bool = False,
    ) -> Case:
        local_id, number = ids
        opened = self.at(timeline[0][1], timeline[0][2])
        tdef = maker.type
        case = Case(
            system=tdef.system,
            id=local_id,
            number=number,
            type_code=tdef.code,
            title=title,
            unit=tdef.unit,
            status=timeline[-1][0].status,
            opened_at=opened,
            description=f"{title}. {tdef.name}, handläggs av {maker.unit}.",
            subject=subject,
            applicant=applicant,
            channel=channel,
            confidential=tdef.confidential,
            secrecy_ground=tdef.secrecy_ground,
            link=f"https://etjanster.exempelby.se/arende/{local_id}" if link else None,
        )
        for n, (step, days, hhmm) in enumerate(timeline, start=1):
            at = self.at(days, hhmm)
            case.events.append(
                Event(
                    f"{local_id}-e{n}",
                    at,
                    step.kind,
                    step.summary,
                    step.description,
                    step.diary,
                    step.internal,
                    concerns,
                    step.status,
                )
            )
            for title_, direction in step.docs:
                doc_id = f"{local_id}-d{len(case.documents) + 1}"
                case.documents.append(Document(doc_id, title_, direction, at, tdef.confidential))
        if case.status == "CLOSED":
            case.closed_at = case.events[-1].at
        self.data.cases[key] = case
        return case


def link(
    kind: str,
    source: Case,
    target: Case,
    started: datetime,
    completed: datetime | None,
    retained: bool = False,
) -> None:
    """A collaboration from `source` to `target`'s unit, recorded on both cases."""
    for here, there in ((source, target), (target, source)):
        here.collaborations.append(
            Collaboration(
                kind,
                source.unit,
                target.unit,
                started,
                completed,
                retained,
                there.system,
                there.id,
                there.number,
            )
        )


def share_main_number(*cases: Case) -> None:
    for case in cases:
        case.main_number = cases[0].number


def _kalle(b: _Builder) -> None:
    bn = StepMaker("BYGG-LOV")
    y = b.year(75)
    b.case(
        KALLE_BYGGLOV,
        bn,
        (f"BYGG-{y}-000193", f"BN {y}/0193"),
        f"Bygglov för nybyggnad av garage, Lönnen 4, sökande Kalle Testson {names.dashed(KALLE)}",
        KALLE,
        [
            (bn.received("Bygglovsansökan inkommen för fastigheten Lönnen 4"), 75, "10:12"),
            (bn.registered(), 74, "09:03"),
            (
                bn.step(
                    "REFERRAL_SENT",
                    "WAITING_FOR_OTHER_PARTY",
                    "Grannehörande skickat",
                    "Grannehörande skickat till Lisa Lund, ägare till grannfastigheten Lönnen 5.",
                ),
                60,
                "13:40",
            ),
            (
                bn.step(
                    "REFERRAL_ANSWERED",
                    "IN_PROGRESS",
                    "Grannehörande besvarat",
                    "Lisa Lund har svarat på grannehörandet och har inget att invända.",
                ),
                45,
                "08:55",
            ),
            (bn.decided("Bygglov beviljat"), 20, "14:30"),
        ],
        channel="E_SERVICE",
    )
    kfn = StepMaker("KFN-KULTURSTIPENDIUM")
    y = b.year(200)
    b.case(
        KALLE_KULTURSTIPENDIUM,
        kfn,
        ("100047", f"KFN {y}/0047"),
        f"Ansökan om kulturstipendium {y}, Kalle Testson",
        KALLE,
        [
            (kfn.received("Ansökan om kulturstipendium inkommen"), 200, "11:20"),
            (
                kfn.delayed("Kulturstipendiebeslut dröjer på grund av handläggares sjukdom"),
                150,
                "09:45",
            ),
            (kfn.decided("Ansökan om kulturstipendium avslagen"), 120, "15:10"),
            (kfn.closed(), 118, "10:00"),
        ],
        channel="E_SERVICE",
    )


def _greta_nils(b: _Builder) -> None:
    sn = StepMaker("SOC-SABO")
    y = b.year(140)
    b.case(
        GRETA_SABO,
        sn,
        ("PC00010112", f"SN {y}/0112"),
        "Ansökan om särskilt boende",
        GRETA,
        [
            (sn.received("Ansökan om särskilt boende inkommen"), 140, "10:30"),
            (sn.delayed("Inga platser i särskilt boende ännu lediga"), 100, "14:05"),
            (sn.decided("Plats i särskilt boende tilldelad i Vallhornet"), 12, "11:15"),
        ],
        channel="VISIT",
        concerns=GRETA,
    )
    edu = StepMaker("EDU-FORSKOLA", "Ansökan om förskoleplats")
    changed = edu.progress(
        "Förskoleansökan ändrad", "Ansökan har ändrats av vårdnadshavaren.", "RECEIVED"
    )
    y = b.year(160)
    b.case(
        NILS_FORSKOLA,
        edu,
        ("500042", f"FSK-{y}-00042"),
        "Ansökan om förskoleplats",
        NILS,
        [
            (edu.received("Förskoleplats sökt"), 160, "20:15"),
            (changed, 150, "19:02"),
            (changed, 110, "21:40"),
            (edu.decided("Förskoleplats tilldelad i Nyckelpigan"), 30, "10:00"),
        ],
        channel="E_SERVICE",
        applicant=KALLE,
        concerns=NILS,
    )


def _anna(b: _Builder) -> None:
    es = StepMaker("ES-NEDSKRAPNING", "E-blankett: anmälan om nedskräpning")
    mbn = StepMaker("MILJO-NEDSKRAPNING", "Anmälan om nedskräpning")
    tn = StepMaker("TEK-STAD")
    title = "Anmälan om nedskräpning vid badplatsen vid Exempelby sjö"
    y = b.year(40)
    eservice = b.case(
        ANNA_ESERVICE,
        es,
        ("3f2b8c1e-5a7d-4c19-a2e4-7d1f0b6c9a55", f"ES-{y}-004711"),
        title,
        ANNA,
        [
            (es.received("Anmälan om nedskräpning inkommen via e-tjänst"), 40, "21:14"),
            (es.forwarding("MBN", 1).out, 39, "08:20"),
            (es.closed("Ärendet avslutat efter överlämning"), 39, "08:21"),
        ],
        channel="E_SERVICE",
        link=True,
    )
    y = b.year(39)
    ecos = b.case(
        ANNA_ECOS,
        mbn,
        ("40837", f"MK-{y}-837"),
        title,
        ANNA,
        [
            (mbn.received("Anmälan om nedskräpning mottagen från e-tjänst"), 39, "08:25"),
            (mbn.registered("Anmälan registrerad"), 38, "10:02"),
            (mbn.forwarding("TN", 1).out, 35, "13:30"),
            (mbn.closed("Klarmarkerat av Tekniska nämnden, ärendet avslutat"), 20, "09:10"),
        ],
        channel="E_SERVICE",
    )
    y = b.year(35)
    teknik = b.case(
        ANNA_TEKNIK,
        tn,
        (f"fr-{y}-01234", f"FEL-{y}-01234"),
        "Skräpplockning: nedskräpning, badplatsen vid Exempelby sjö",
        ANNA,
        [
            (tn.received("Ärende mottaget från Miljö- och hälsoskyddsnämnden"), 35, "13:45"),
            (
                tn.assignment(
                    "AME", 1, given="Uppdrag till Arbetsmarknadsenheten: skräpplockning"
                ).out,
                34,
                "08:30",
            ),
            (tn.assignment("AME", 1).back, 22, "15:20"),
            (tn.closed("Platsen städad, ärendet avslutat"), 21, "08:05"),
        ],
        channel="E_SERVICE",
    )
    link("FORWARDING", eservice, ecos, eservice.events[1].at, eservice.events[1].at)
    link("FORWARDING", ecos, teknik, ecos.events[2].at, ecos.events[3].at, retained=True)
    teknik.collaborations.append(
        Collaboration("ASSIGNMENT", "TN", "AME", teknik.events[1].at, teknik.events[2].at)
    )
    share_main_number(ecos, eservice, teknik)


def _bengt(b: _Builder) -> None:
    kc = StepMaker("KC-MEDBORGARFORSLAG")
    kf = StepMaker("KF-MEDBORGARFORSLAG", "Medborgarförslag")
    ks = StepMaker("KS-BEREDNING", "Uppdrag från kommunfullmäktige")
    kfn = StepMaker("KFN-YTTRANDE", "Remiss")
    title = "Medborgarförslag från Bengt Berg om utegym vid badplatsen"
    y = b.year(300)
    centre = b.case(
        BENGT_KONTAKTCENTER,
        kc,
        ("sf-00b3a91c7e", f"KC-{y}-000318"),
        "Medborgarförslag om utegym vid badplatsen",
        BENGT,
        [
            (kc.received("Medborgarförslag mottaget av kontaktcenter"), 300, "10:40"),
            (kc.forwarding("KF", 1).out, 299, "09:15"),
            (kc.closed("Ärendet avslutat efter överlämning"), 299, "09:16"),
        ],
        channel="CONTACT_CENTRE",
    )
    y = b.year(298)
    council = b.case(
        BENGT_KF,
        kf,
        ("100031", f"KF {y}/0031"),
        title,
        BENGT,
        [
            (kf.received("Medborgarförslag inkommet"), 298, "08:30"),
            (kf.registered("Medborgarförslaget anmält i kommunfullmäktige"), 280, "18:00"),
            (
                kf.assignment(
                    "KS",
                    1,
                    given="Medborgarförslaget överlämnat till kommunstyrelsen för beredning",
                ).out,
                270,
                "09:00",
            ),
            (kf.assignment("KS", 1).back, 90, "16:00"),
            (kf.decided("Medborgarförslaget bifallet"), 60, "19:30"),
            (kf.closed(), 55, "10:00"),
        ],
        channel="CONTACT_CENTRE",
    )
    y = b.year(269)
    board = b.case(
        BENGT_KS,
        ks,
        ("100412", f"KS {y}/0412"),
        f"Beredning: {title}",
        BENGT,
        [
            (ks.received("Uppdrag från kommunfullmäktige mottaget"), 269, "10:00"),
            (ks.referral("KFN", 1).out, 250, "11:30"),
            (ks.referral("KFN", 1).back, 150, "14:00"),
            (ks.decided("Förslag till beslut överlämnat till kommunfullmäktige"), 95, "15:00"),
            (ks.closed("Beredning klar, ärendet avslutat"), 92, "09:00"),
        ],
        channel="INTERNAL",
    )
    y = b.year(249)
    culture = b.case(
        BENGT_KFN,
        kfn,
        ("100058", f"KFN {y}/0058"),
        f"Remiss: {title}",
        BENGT,
        [
            (kfn.received("Remiss inkommen"), 249, "13:00"),
            (kfn.decided("Yttrande lämnat"), 155, "18:30"),
            (kfn.closed(), 152, "09:30"),
        ],
        channel="INTERNAL",
    )
    link("FORWARDING", centre, council, centre.events[1].at, centre.events[1].at)
    link("ASSIGNMENT", council, board, council.events[2].at, council.events[3].at)
    link("REFERRAL", board, culture, board.events[1].at, board.events[2].at)
    share_main_number(council, centre, board, culture)


def _others(b: _Builder) -> None:
    sn = StepMaker("SOC-EKB")
    y = b.year(25)
    b.case(
        SARA_EKB,
        sn,
        ("PC00011187", f"SN {y}/1187"),
        "Ansökan om ekonomiskt bistånd",
        SARA,
        [
            (sn.received("Ansökan om ekonomiskt bistånd inkommen"), 25, "09:10"),
            (sn.registered("Utredning påbörjad"), 24, "13:00"),
            (sn.decided("Ekonomiskt bistånd beviljat"), 10, "10:45"),
        ],
        channel="E_SERVICE",
    )
    edu = StepMaker("EDU-FORSKOLA", "Ansökan om förskoleplats")
    y = b.year(90)
    b.case(
        SARA_CHILD_FORSKOLA,
        edu,
        ("500043", f"FSK-{y}-00043"),
        "Ansökan om förskoleplats",
        SARA_CHILD,
        [
            (edu.received("Förskoleplats sökt"), 90, "12:00"),
            (edu.decided("Förskoleplats tilldelad i Solrosen"), 15, "10:30"),
        ],
        channel="E_SERVICE",
        applicant=SARA,
        concerns=SARA_CHILD,
    )
    bn = StepMaker("BYGG-LOV")
    request, answer = bn.completion("ritningar saknas")
    y = b.year(400)
    b.case(
        LISA_BYGGLOV,
        bn,
        (f"BYGG-{y}-000201", f"BN {y}/0201"),
        "Bygglov för tillbyggnad med uterum, Lönnen 5",
        LISA,
        [
            (bn.received("Ansökan om bygglov inkommen"), 400, "09:30"),
            (bn.registered(), 399, "10:15"),
            (request, 370, "14:00"),
            (answer, 355, "11:20"),
            (bn.decided("Bygglov beviljat"), 330, "15:45"),
            (bn.closed("Slutbesked lämnat, ärendet avslutat"), 200, "09:00"),
        ],
        channel="MAIL",
    )
    tn = StepMaker("TEK-GATA")
    y = b.year(9)
    b.case(
        TOLVAN_FELANMALAN,
        tn,
        (f"fr-{y}-00777", f"FEL-{y}-00777"),
        "Felanmälan: hål i vägen, Storgatan 12",
        TOLVAN,
        [
            (tn.received("Felanmälan inkommen"), 9, "07:55"),
            (tn.registered("Felanmälan mottagen och prioriterad"), 8, "09:20"),
            (tn.notice("Asfaltbolag preliminärbokat för lagning"), 5, "13:10"),
        ],
        channel="E_SERVICE",
    )
    es = StepMaker("ES-PARKERINGSTILLSTAND", "E-blankett: ansökan om parkeringstillstånd")
    y = b.year(14)
    b.case(
        TOLVAN_ESERVICE,
        es,
        ("9c4e2a71-0b3f-4d88-a6c5-1e7f3b2d4a60", f"ES-{y}-000812"),
        "Ansökan om parkeringstillstånd för rörelsehindrad",
        TOLVAN,
        [
            (es.received("Ansökan om parkeringstillstånd inkommen via e-tjänst"), 14, "18:40"),
            (es.completion("läkarintyg saknas")[0], 12, "10:05"),
        ],
        channel="E_SERVICE",
        link=True,
    )
