"""How cases of each type look and flow in the sandbox: volumes, channels, titles, steps.

One `Profile` per case type in the catalogue. The texts follow the pre-study's
Figur 4 ("Ansökan om kulturstipendium inkommen", "Barnomsorgsplats tilldelad i
Nyckelpigan"): short, bank-statement style summaries a citizen understands.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from ..names import ELDERLY_HOMES
from .profiles_services import service_profiles
from .steps import (
    APPLY,
    INTERNAL,
    REGISTRY,
    REPORT,
    SOCIAL,
    Profile,
    StepMaker,
)

#: mass cases per system at scale 1 (before cross-system counterparts are added)
VOLUMES: dict[str, int] = {
    "diarium": 5_500,
    "byggr": 4_500,
    "procapita": 5_000,
    "ecos": 5_000,
    "teknik": 13_000,
    "edu": 5_000,
    "kontaktcenter": 14_000,
    "eservice": 12_000,
}

#: chance a case of the system stalls before its end (old open cases, overdue ones)
STALL: dict[str, float] = {
    "diarium": 0.3,
    "byggr": 0.28,
    "procapita": 0.28,
    "ecos": 0.32,
    "teknik": 0.2,
    "edu": 0.24,
    "kontaktcenter": 0.18,
    "eservice": 0.22,
}


@cache
def profiles() -> dict[str, Profile]:
    """Every case type's profile, keyed by case-type code."""
    found = [
        *_registry(),
        *_building(),
        *_social(),
        *_environment(),
        *service_profiles(),
    ]
    result: dict[str, Profile] = {}
    for profile in found:
        if profile.completion is None and profile.p_completion > 0:
            profile = replace(profile, completion=StepMaker(profile.code).completion())
        result[profile.code] = profile
    return result


TO_KS = "Medborgarförslaget överlämnat till kommunstyrelsen för beredning"


def _registry() -> list[Profile]:
    kf = StepMaker("KF-MEDBORGARFORSLAG", "Medborgarförslag")
    ks = StepMaker("KS-ALLMANT", "Inkommen skrivelse")
    ksb = StepMaker("KS-BEREDNING", "Uppdrag från kommunfullmäktige")
    kult = StepMaker("KFN-KULTURSTIPENDIUM")
    bidr = StepMaker("KFN-FORENINGSBIDRAG")
    kfny = StepMaker("KFN-YTTRANDE", "Remiss")
    skj = StepMaker("BUN-SKOLSKJUTS")
    buny = StepMaker("BUN-YTTRANDE", "Remiss")
    return [
        Profile(
            "KF-MEDBORGARFORSLAG", 8, REGISTRY, "adults", ("Medborgarförslag om {topic}",),
            kf.received("Medborgarförslag inkommet"), kf.closed(),
            registered=kf.registered("Medborgarförslaget anmält i kommunfullmäktige"),
            extras=(((kf.delayed("Beredningen av medborgarförslaget är försenad"),), 0.1),),
            decided=(kf.decided("Medborgarförslaget bifallet"),
                     kf.decided("Medborgarförslaget besvarat")),
            rejected=kf.decided("Medborgarförslaget avslaget"), p_rejected=0.5,
            collabs=(kf.assignment("KS", 0.35, "KS-BEREDNING", 0.6, given=TO_KS),),
            named_titles=("Medborgarförslag från {name} om {topic}",), p_named=0.4,
        ),
        Profile(
            "KS-ALLMANT", 25, REGISTRY, "adults",
            ("Yttrande över remiss från Länsstyrelsen om {ks}", "Revidering av {policy}",
             "Begäran om utlämnande av allmän handling", "Skrivelse om {synpunkt}"),
            ks.received("Handling inkommen"), ks.closed(),
            registered=ks.registered("Ärendet diariefört"),
            extras=(((ks.internal("Intern beredning"),), 0.15),),
            decided=(ks.decided("Beslut fattat i kommunstyrelsen"),),
            collabs=(ks.referral("KFN", 0.05, "KFN-YTTRANDE", 0.6),
                     ks.referral("BUN", 0.05, "BUN-YTTRANDE", 0.6), ks.referral("TN", 0.04)),
            p_no_subject=0.75,
            named_titles=("Begäran om allmän handling från {name}",
                          "Skrivelse från {name} {pnr} om {synpunkt}"),
            p_named=0.5,
            org_titles=("Avtal med {org} om {ks}",
                        "Delegationsbeslut om {ks}, handläggare {official}"),
            p_org=0.3,
        ),
        Profile(
            "KS-BEREDNING", 0, INTERNAL, "adults", ("Beredning av {topic}",),
            ksb.received("Uppdrag från kommunfullmäktige mottaget"),
            ksb.closed("Beredning klar, ärendet avslutat"),
            registered=ksb.registered("Beredning påbörjad"),
            decided=(ksb.decided("Förslag till beslut överlämnat till kommunfullmäktige"),),
            collabs=(ksb.referral("KFN", 0.3, "KFN-YTTRANDE", 0.5),),
            counterpart_title="Beredning: {origin}",
        ),
        Profile(
            "KFN-KULTURSTIPENDIUM", 8, APPLY, "adults", ("Ansökan om kulturstipendium {year}",),
            kult.received("Ansökan om kulturstipendium inkommen"), kult.closed(),
            registered=kult.registered("Ansökan registrerad"),
            extras=(((kult.delayed("Kulturstipendiebeslut dröjer"),), 0.1),),
            decided=(kult.decided("Ansökan om kulturstipendium beviljad"),),
            rejected=kult.decided("Ansökan om kulturstipendium avslagen"), p_rejected=0.6,
            named_titles=("Ansökan om kulturstipendium {year}, {name}",
                          "Ansökan om kulturstipendium {year}, {name} {pnr}"), p_named=0.5,
        ),
        Profile(
            "KFN-FORENINGSBIDRAG", 12, APPLY, "adults", ("Ansökan om föreningsbidrag",),
            bidr.received("Ansökan om föreningsbidrag inkommen"), bidr.closed(),
            registered=bidr.registered("Ansökan registrerad"),
            decided=(bidr.decided("Föreningsbidrag beviljat"),),
            rejected=bidr.decided("Ansökan om föreningsbidrag avslagen"), p_rejected=0.25,
            org_titles=("Ansökan om föreningsbidrag {year}, {forening}",), p_org=0.9,
        ),
        Profile(
            "KFN-YTTRANDE", 0, INTERNAL, "adults", ("Remiss",),
            kfny.received("Remiss inkommen"), kfny.closed(),
            decided=(kfny.decided("Yttrande lämnat"),),
            p_completion=0, counterpart_title="Remiss: {origin}",
        ),
        Profile(
            "BUN-SKOLSKJUTS", 20, APPLY, "school", ("Ansökan om skolskjuts till {school}",),
            skj.received("Ansökan om skolskjuts inkommen"), skj.closed(),
            registered=skj.registered("Ansökan registrerad"),
            decided=(skj.decided("Skolskjuts beviljad"),),
            rejected=skj.decided("Ansökan om skolskjuts avslagen"), p_rejected=0.3,
            p_applicant=0.95,
            named_titles=("Ansökan om skolskjuts för {name}",), p_named=0.3,
        ),
        Profile(
            "BUN-YTTRANDE", 0, INTERNAL, "adults", ("Remiss",),
            buny.received("Remiss inkommen"), buny.closed(),
            decided=(buny.decided("Yttrande lämnat"),),
            p_completion=0, counterpart_title="Remiss: {origin}",
        ),
    ]  # fmt: skip


def _building() -> list[Profile]:
    lov = StepMaker("BYGG-LOV")
    riv = StepMaker("BYGG-RIVNING")
    anm = StepMaker("BYGG-ANMALAN")
    fhb = StepMaker("BYGG-FORHANDSBESKED")
    neighbours = (
        lov.step("REFERRAL_SENT", "WAITING_FOR_OTHER_PARTY", "Grannehörande skickat",
                 "Berörda grannar har fått tillfälle att yttra sig över ansökan."),
        lov.step("REFERRAL_ANSWERED", "IN_PROGRESS", "Grannehörande besvarat",
                 "Tiden för grannarnas yttranden har gått ut och handläggningen fortsätter."),
    )  # fmt: skip
    return [
        Profile(
            "BYGG-LOV", 50, APPLY, "adults", ("Bygglov för {bygg}, {prop}",),
            lov.received("Ansökan om bygglov inkommen"),
            lov.closed("Slutbesked lämnat, ärendet avslutat"),
            registered=lov.registered(), completion=lov.completion("ritningar saknas"),
            p_completion=0.4,
            extras=((neighbours, 0.3), ((lov.internal(),), 0.05),
                    ((lov.delayed("Handläggningen försenad på grund av hög arbetsbelastning"),),
                    0.06)),
            collabs=(lov.referral("MBN", 0.06, "MILJO-YTTRANDE", 0.6),),
            decided=(lov.decided("Bygglov beviljat"),),
            rejected=lov.decided("Ansökan om bygglov avslagen"), p_rejected=0.1,
            named_titles=("Bygglov för {bygg}, {prop}, sökande {name} {pnr}",), p_named=0.35,
            org_titles=("Bygglov för {bygg_org}, {prop}, sökande {org}",), p_org=0.12,
        ),
        Profile(
            "BYGG-RIVNING", 5, APPLY, "adults", ("Rivningslov för {riv}, {prop}",),
            riv.received("Ansökan om rivningslov inkommen"), riv.closed(),
            registered=riv.registered(),
            decided=(riv.decided("Rivningslov beviljat"),),
            rejected=riv.decided("Ansökan om rivningslov avslagen"), p_rejected=0.1,
            named_titles=("Rivningslov för {riv}, {prop}, sökande {name}",), p_named=0.3,
        ),
        Profile(
            "BYGG-ANMALAN", 30, APPLY, "adults", ("Anmälan om {anm}, {prop}",),
            anm.received("Anmälan inkommen"), anm.closed(), registered=anm.registered(),
            completion=anm.completion("kontrollplan saknas"), p_completion=0.2,
            decided=(anm.decided("Startbesked lämnat"),),
            rejected=anm.decided("Anmälan avslagen"), p_rejected=0.03,
            named_titles=("Anmälan om {anm}, {prop}, {name} {pnr}",), p_named=0.3,
        ),
        Profile(
            "BYGG-FORHANDSBESKED", 15, APPLY, "adults",
            ("Förhandsbesked för nybyggnad av enbostadshus, {prop}",),
            fhb.received("Ansökan om förhandsbesked inkommen"), fhb.closed(),
            registered=fhb.registered(),
            collabs=(fhb.referral("MBN", 0.1, "MILJO-YTTRANDE", 0.5),),
            decided=(fhb.decided("Positivt förhandsbesked lämnat"),),
            rejected=fhb.decided("Negativt förhandsbesked lämnat"), p_rejected=0.3,
            org_titles=("Förhandsbesked för {bygg_org}, {prop}, sökande {org}",), p_org=0.1,
        ),
    ]  # fmt: skip


def _social() -> list[Profile]:
    sabo = StepMaker("SOC-SABO")
    hem = StepMaker("SOC-HEMTJANST")
    ekb = StepMaker("SOC-EKB")
    return [
        Profile(
            "SOC-SABO", 20, SOCIAL, "elderly", ("Ansökan om särskilt boende",),
            sabo.received("Ansökan om särskilt boende inkommen"), sabo.closed(),
            registered=sabo.registered("Utredning påbörjad"),
            extras=(((sabo.delayed("Inga platser i särskilt boende ännu lediga"),), 0.3),
                    ((sabo.internal(),), 0.1)),
            decided=tuple(sabo.decided(f"Plats i särskilt boende tilldelad i {h}")
                          for h in ELDERLY_HOMES),
            rejected=sabo.decided("Ansökan om särskilt boende avslagen"), p_rejected=0.15,
            p_applicant=0.3,
        ),
        Profile(
            "SOC-HEMTJANST", 35, SOCIAL, "elderly", ("Ansökan om hemtjänst",),
            hem.received("Ansökan om hemtjänst inkommen"), hem.closed(),
            registered=hem.registered("Utredning påbörjad"), extras=(((hem.internal(),), 0.1),),
            decided=(hem.decided("Hemtjänst beviljad"),),
            rejected=hem.decided("Ansökan om hemtjänst avslagen"), p_rejected=0.1, p_applicant=0.3,
        ),
        Profile(
            "SOC-EKB", 45, SOCIAL, "working", ("Ansökan om ekonomiskt bistånd",),
            ekb.received("Ansökan om ekonomiskt bistånd inkommen"), ekb.closed(),
            registered=ekb.registered("Utredning påbörjad"),
            completion=ekb.completion("kontoutdrag saknas"), p_completion=0.25,
            extras=(((ekb.internal(),), 0.1), ((ekb.delayed(),), 0.03)),
            decided=(ekb.decided("Ekonomiskt bistånd beviljat"),),
            rejected=ekb.decided("Ansökan om ekonomiskt bistånd avslagen"), p_rejected=0.3,
        ),
    ]  # fmt: skip


def _environment() -> list[Profile]:
    ned = StepMaker("MILJO-NEDSKRAPNING", "Anmälan om nedskräpning")
    liv = StepMaker("MILJO-LIVSMEDEL", "Kontrollrapport")
    avl = StepMaker("MILJO-AVLOPP")
    bul = StepMaker("MILJO-BULLER", "Klagomål")
    yttr = StepMaker("MILJO-YTTRANDE", "Remiss")
    return [
        Profile(
            "MILJO-NEDSKRAPNING", 30, REPORT, "adults", ("Anmälan om nedskräpning vid {place}",),
            ned.received("Anmälan om nedskräpning inkommen"), ned.closed(),
            registered=ned.registered("Anmälan registrerad"),
            collabs=(ned.forwarding("TN", 0.35, "TEK-STAD", 0.3, p_retained=1.0),),
            decided=(ned.decided("Tillsyn genomförd, fastighetsägaren ska städa"),),
            rejected=ned.decided("Tillsyn genomförd, ingen åtgärd behövs"), p_rejected=0.3,
            p_no_subject=0.2,
        ),
        Profile(
            "MILJO-LIVSMEDEL", 35, INTERNAL, "adults", ("Livsmedelskontroll",),
            liv.received("Kontrollärende upprättat"), liv.closed(),
            registered=liv.notice("Inspektion bokad"),
            extras=(((liv.internal(),), 0.1),),
            decided=(liv.decided("Kontroll utan anmärkning"),),
            rejected=liv.decided("Föreläggande om åtgärder"), p_rejected=0.25, p_completion=0,
            p_no_subject=1.0, org_titles=("Livsmedelskontroll, {livs}",), p_org=1.0,
        ),
        Profile(
            "MILJO-AVLOPP", 20, APPLY, "adults",
            ("Ansökan om tillstånd för enskilt avlopp, {prop}",),
            avl.received("Ansökan om enskilt avlopp inkommen"), avl.closed(),
            registered=avl.registered(),
            completion=avl.completion("situationsplan saknas"), p_completion=0.25,
            extras=(((avl.delayed(),), 0.08),),
            decided=(avl.decided("Tillstånd för enskilt avlopp beviljat"),),
            rejected=avl.decided("Ansökan om enskilt avlopp avslagen"), p_rejected=0.1,
        ),
        Profile(
            "MILJO-BULLER", 15, REPORT, "adults", ("Klagomål på buller från {buller}",),
            bul.received("Klagomål på buller inkommet"), bul.closed(), registered=bul.registered(),
            extras=(((bul.notice("Bullermätning bokad"),), 0.3),),
            decided=(bul.decided("Klagomålet utrett, åtgärd begärd"),),
            rejected=bul.decided("Klagomålet utrett, ingen åtgärd"), p_rejected=0.5,
        ),
        Profile(
            "MILJO-YTTRANDE", 0, INTERNAL, "adults", ("Remiss från byggnadsnämnden",),
            yttr.received("Remiss från byggnadsnämnden inkommen"), yttr.closed(),
            decided=(yttr.decided("Yttrande lämnat till byggnadsnämnden"),), p_completion=0,
            counterpart_title="Remiss: {origin}",
        ),
    ]  # fmt: skip
