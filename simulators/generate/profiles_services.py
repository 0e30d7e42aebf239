"""Profiles of the service-heavy types: technical office, school, contact centre, e-service."""

from __future__ import annotations

from ..names import PRESCHOOLS, SCHOOLS
from .steps import CENTRE, FAULTS, SCHOOL, WEB, Profile, StepMaker


def service_profiles() -> list[Profile]:
    return [*_technical(), *_school(), *_contact_centre(), *_eservice()]


def _technical() -> list[Profile]:
    gata = StepMaker("TEK-GATA")
    ljus = StepMaker("TEK-BELYSNING")
    stad = StepMaker("TEK-STAD")
    return [
        Profile(
            "TEK-GATA", 45, FAULTS, "adults", ("Felanmälan: {gata}, {street}",),
            gata.received("Felanmälan inkommen"), gata.closed("Felet åtgärdat, ärendet avslutat"),
            registered=gata.registered("Felanmälan mottagen och prioriterad"),
            extras=(((gata.notice("Asfaltbolag preliminärbokat för lagning"),), 0.2),
                    ((gata.delayed("Åtgärden försenad på grund av väderlek"),), 0.05),
                    ((gata.internal("Arbetsorder skapad"),), 0.15)),
            collabs=(gata.assignment("AME", 0.04),), p_completion=0.12, p_no_subject=0.25,
        ),
        Profile(
            "TEK-BELYSNING", 30, FAULTS, "adults", ("Felanmälan: {ljus}, {street}",),
            ljus.received("Felanmälan inkommen"),
            ljus.closed("Belysningen lagad, ärendet avslutat"),
            registered=ljus.registered("Felanmälan mottagen och prioriterad"),
            extras=(((ljus.notice("Elektriker beställd"),), 0.3), ((ljus.delayed(),), 0.05),
                    ((ljus.internal("Arbetsorder skapad"),), 0.1)),
            p_completion=0.12, p_no_subject=0.25,
        ),
        Profile(
            "TEK-STAD", 25, FAULTS, "adults", ("Skräpplockning: {skrap}, {place}",),
            stad.received("Anmälan om skräp inkommen"),
            stad.closed("Platsen städad, ärendet avslutat"),
            registered=stad.registered("Anmälan mottagen och prioriterad"),
            collabs=(stad.assignment("AME", 0.5,
            given="Uppdrag till Arbetsmarknadsenheten: skräpplockning"),),
            p_completion=0.12, p_no_subject=0.3,
        ),
    ]  # fmt: skip


def _school() -> list[Profile]:
    fsk = StepMaker("EDU-FORSKOLA", "Ansökan om förskoleplats")
    val = StepMaker("EDU-SKOLVAL", "Skolval")
    eh = StepMaker("EDU-ELEVHALSA", "Anmälan till elevhälsan")
    changed = fsk.progress(
        "Förskoleansökan ändrad", "Ansökan har ändrats av vårdnadshavaren.", "RECEIVED"
    )
    return [
        Profile(
            "EDU-FORSKOLA", 50, SCHOOL, "preschool", ("Ansökan om förskoleplats",),
            fsk.received("Förskoleplats sökt"), fsk.closed("Placering påbörjad, ärendet avslutat"),
            extras=(((changed,), 0.25), ((changed,), 0.1),
                    ((fsk.delayed("Förskoleplats kan inte erbjudas på önskat datum"),), 0.05)),
            p_completion=0.15,
            decided=tuple(fsk.decided(f"Förskoleplats tilldelad i {p}") for p in PRESCHOOLS),
            rejected=fsk.decided("Förskoleansökan återkallad"), p_rejected=0.05, p_applicant=1.0,
        ),
        Profile(
            "EDU-SKOLVAL", 35, SCHOOL, "school", ("Skolval, önskad skola {school}",),
            val.received("Skolval inkommet"), val.closed(),
            decided=tuple(val.decided(f"Placering vid {s}") for s in SCHOOLS),
            rejected=val.decided("Placering enligt närhetsprincipen"), p_rejected=0.2,
            p_completion=0.15, p_applicant=1.0,
        ),
        Profile(
            "EDU-ELEVHALSA", 15, (("INTERNAL", 60), ("PHONE", 20), ("VISIT", 20)), "pupils",
            ("Elevhälsoärende",),
            eh.received("Elevhälsoärende upprättat"), eh.closed(),
            registered=eh.registered("Elevhälsoteamet har påbörjat utredning"),
            extras=(((eh.internal("Intern bedömning i elevhälsoteamet"),), 0.3),),
            decided=(eh.decided("Åtgärdsprogram upprättat"),),
            rejected=eh.decided("Ingen särskild åtgärd behövs"), p_rejected=0.4, p_completion=0,
            p_applicant=0.5,
        ),
    ]  # fmt: skip


def _contact_centre() -> list[Profile]:
    fr = StepMaker("KC-FRAGA")
    syn = StepMaker("KC-SYNPUNKT")
    mf = StepMaker("KC-MEDBORGARFORSLAG")
    return [
        Profile(
            "KC-FRAGA", 70, CENTRE, "adults", ("Fråga om {fraga}",),
            fr.received("Fråga mottagen av kontaktcenter"),
            fr.closed("Fråga besvarad, ärendet avslutat"),
            extras=(((fr.internal("Intern anteckning"),), 0.05),),
            collabs=tuple(fr.forwarding(u, 0.03, p_retained=0.3)
                          for u in ("TN", "BN", "MBN", "BUN", "SN")),
            p_completion=0.1, p_no_subject=0.2,
        ),
        Profile(
            "KC-SYNPUNKT", 25, CENTRE, "adults", ("Synpunkt på {synpunkt}",),
            syn.received("Synpunkt mottagen"), syn.closed("Synpunkten besvarad, ärendet avslutat"),
            registered=syn.registered("Synpunkten registrerad"),
            collabs=(syn.forwarding("TN", 0.3, "TEK-GATA", 0.05, p_retained=0.5),
                     syn.forwarding("BUN", 0.05), syn.forwarding("KFN", 0.05)),
            p_completion=0.05, p_no_subject=0.15,
        ),
        Profile(
            "KC-MEDBORGARFORSLAG", 5, CENTRE, "adults", ("Medborgarförslag om {topic}",),
            mf.received("Medborgarförslag mottaget av kontaktcenter"), mf.closed(),
            collabs=(mf.forwarding("KF", 1.0, "KF-MEDBORGARFORSLAG", 0.3),), p_completion=0,
        ),
    ]  # fmt: skip


def _eservice() -> list[Profile]:
    ned = StepMaker("ES-NEDSKRAPNING", "E-blankett: anmälan om nedskräpning")
    prk = StepMaker("ES-PARKERINGSTILLSTAND", "E-blankett: ansökan om parkeringstillstånd")
    fsk = StepMaker("ES-FORSKOLA", "E-blankett: ansökan om förskoleplats")
    kul = StepMaker("ES-KULTURSTIPENDIUM", "E-blankett: ansökan om kulturstipendium")
    return [
        Profile(
            "ES-NEDSKRAPNING", 20, WEB, "adults", ("Anmälan om nedskräpning vid {place}",),
            ned.received("Anmälan om nedskräpning inkommen via e-tjänst"), ned.closed(),
            collabs=(ned.forwarding("MBN", 1.0, "MILJO-NEDSKRAPNING", 0.06, p_retained=0.3),),
            p_completion=0.2,
        ),
        Profile(
            "ES-PARKERINGSTILLSTAND", 15, WEB, "elderly",
            ("Ansökan om parkeringstillstånd för rörelsehindrad",),
            prk.received("Ansökan om parkeringstillstånd inkommen via e-tjänst"), prk.closed(),
            completion=prk.completion("läkarintyg saknas"), p_completion=0.3,
            decided=(prk.decided("Parkeringstillstånd beviljat"),),
            rejected=prk.decided("Ansökan om parkeringstillstånd avslagen"), p_rejected=0.3,
        ),
        Profile(
            "ES-FORSKOLA", 40, WEB, "preschool", ("Ansökan om förskoleplats",),
            fsk.received("Ansökan om förskoleplats skickad via e-tjänst"), fsk.closed(),
            collabs=(fsk.forwarding("BUN", 1.0, "EDU-FORSKOLA", 0.04),), p_completion=0.2,
            p_applicant=1.0,
        ),
        Profile(
            "ES-KULTURSTIPENDIUM", 5, WEB, "adults", ("Ansökan om kulturstipendium {year}",),
            kul.received("Ansökan om kulturstipendium skickad via e-tjänst"), kul.closed(),
            collabs=(kul.forwarding("KFN", 1.0, "KFN-KULTURSTIPENDIUM", 0.3, p_retained=0.3),),
            p_completion=0.2,
        ),
    ]  # fmt: skip
