"""The cross-system persona chains: Anna's littering report and Bengt's citizen proposal.

Each chain's cases carry collaborations with counterpart references in both
directions and share one main case number (the ecos number, the KF number).
"""

from __future__ import annotations

from ..personas import (
    ANNA,
    ANNA_ECOS,
    ANNA_ESERVICE,
    ANNA_TEKNIK,
    BENGT,
    BENGT_KF,
    BENGT_KFN,
    BENGT_KONTAKTCENTER,
    BENGT_KS,
)
from ..world import Collaboration
from .persona_kit import Builder, link, share_main_number
from .steps import StepMaker


def add_chain_scenarios(b: Builder) -> None:
    _anna(b)
    _bengt(b)


def _anna(b: Builder) -> None:
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


def _bengt(b: Builder) -> None:
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
