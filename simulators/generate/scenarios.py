"""The single-system persona scenarios: Kalle, Greta, Nils, Sara, Lisa and Tolvan."""

from __future__ import annotations

from .. import names
from ..personas import (
    GRETA,
    GRETA_SABO,
    KALLE,
    KALLE_BYGGLOV,
    KALLE_KULTURSTIPENDIUM,
    LISA,
    LISA_BYGGLOV,
    NILS,
    NILS_FORSKOLA,
    SARA,
    SARA_CHILD,
    SARA_CHILD_FORSKOLA,
    SARA_EKB,
    TOLVAN,
    TOLVAN_ESERVICE,
    TOLVAN_FELANMALAN,
)
from .persona_kit import Builder
from .steps import StepMaker


def add_single_scenarios(b: Builder) -> None:
    _kalle(b)
    _greta_nils(b)
    _others(b)


def _kalle(b: Builder) -> None:
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


def _greta_nils(b: Builder) -> None:
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


def _others(b: Builder) -> None:
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
