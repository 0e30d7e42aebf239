"""The sandbox municipality's case-type catalogue: who owns what, and the service promises.

Every case type lives in exactly one source system and one unit (the unit a
form goes to, for the e-services). Promises are in calendar days, roughly what
Swedish municipalities publish (ten weeks for a building permit, four months for
a preschool place, a year for a citizen proposal).
"""

from __future__ import annotations

from .world import CaseTypeDef

SAMHALLSBYGGNAD = "Samhällsbyggnad"
SOCIALTJANST = "Socialtjänst"
UTBILDNING = "Utbildning"
MILJO = "Miljö och hälsa"
TEKNIK = "Teknik"
KULTUR = "Kultur och fritid"
DEMOKRATI = "Demokrati"
SERVICE = "Service"

AREAS = (SAMHALLSBYGGNAD, SOCIALTJANST, UTBILDNING, MILJO, TEKNIK, KULTUR, DEMOKRATI, SERVICE)

SOCIAL_SECRECY = "OSL 26 kap. 1 §"
SCHOOL_HEALTH_SECRECY = "OSL 25 kap. 1 §"


def _def(
    code: str,
    name: str,
    area: str,
    system: str,
    unit: str,
    promise_days: int,
    secrecy_ground: str | None = None,
) -> tuple[str, CaseTypeDef]:
    return code, CaseTypeDef(
        code=code,
        name=name,
        area=area,
        system=system,
        unit=unit,
        promise_days=promise_days,
        confidential=secrecy_ground is not None,
        secrecy_ground=secrecy_ground,
    )


CASE_TYPES: dict[str, CaseTypeDef] = dict(
    [
        # registry (diarium)
        _def("KF-MEDBORGARFORSLAG", "Medborgarförslag", DEMOKRATI, "diarium", "KF", 365),
        _def("KS-ALLMANT", "Allmänt ärende", DEMOKRATI, "diarium", "KS", 90),
        _def("KS-BEREDNING", "Beredning av fullmäktigeärende", DEMOKRATI, "diarium", "KS", 120),
        _def("KFN-KULTURSTIPENDIUM", "Kulturstipendium", KULTUR, "diarium", "KFN", 90),
        _def("KFN-FORENINGSBIDRAG", "Föreningsbidrag", KULTUR, "diarium", "KFN", 60),
        _def("KFN-YTTRANDE", "Yttrande över remiss", KULTUR, "diarium", "KFN", 45),
        _def("BUN-SKOLSKJUTS", "Skolskjuts", UTBILDNING, "diarium", "BUN", 30),
        _def("BUN-YTTRANDE", "Yttrande över remiss", UTBILDNING, "diarium", "BUN", 45),
        # building permits (byggr)
        _def("BYGG-LOV", "Bygglov", SAMHALLSBYGGNAD, "byggr", "BN", 70),
        _def("BYGG-RIVNING", "Rivningslov", SAMHALLSBYGGNAD, "byggr", "BN", 70),
        _def("BYGG-ANMALAN", "Anmälan", SAMHALLSBYGGNAD, "byggr", "BN", 28),
        _def("BYGG-FORHANDSBESKED", "Förhandsbesked", SAMHALLSBYGGNAD, "byggr", "BN", 70),
        # social services (procapita), all under secrecy
        _def("SOC-SABO", "Särskilt boende", SOCIALTJANST, "procapita", "SN", 90, SOCIAL_SECRECY),
        _def("SOC-HEMTJANST", "Hemtjänst", SOCIALTJANST, "procapita", "SN", 21, SOCIAL_SECRECY),
        _def("SOC-EKB", "Ekonomiskt bistånd", SOCIALTJANST, "procapita", "SN", 14, SOCIAL_SECRECY),
        # environment and health (ecos)
        _def("MILJO-NEDSKRAPNING", "Nedskräpning", MILJO, "ecos", "MBN", 30),
        _def("MILJO-LIVSMEDEL", "Livsmedelskontroll", MILJO, "ecos", "MBN", 60),
        _def("MILJO-AVLOPP", "Enskilt avlopp", MILJO, "ecos", "MBN", 90),
        _def("MILJO-BULLER", "Klagomål buller", MILJO, "ecos", "MBN", 60),
        _def("MILJO-YTTRANDE", "Yttrande till byggnadsnämnden", MILJO, "ecos", "MBN", 21),
        # technical office (teknik)
        _def("TEK-GATA", "Felanmälan gata", TEKNIK, "teknik", "TN", 14),
        _def("TEK-BELYSNING", "Felanmälan belysning", TEKNIK, "teknik", "TN", 10),
        _def("TEK-STAD", "Skräpplockning/städning", TEKNIK, "teknik", "TN", 7),
        # preschool and school (edu)
        _def("EDU-FORSKOLA", "Förskoleplats", UTBILDNING, "edu", "BUN", 120),
        _def("EDU-SKOLVAL", "Skolval", UTBILDNING, "edu", "BUN", 90),
        _def("EDU-ELEVHALSA", "Elevhälsa", UTBILDNING, "edu", "BUN", 30, SCHOOL_HEALTH_SECRECY),
        # contact centre (kontaktcenter)
        _def("KC-FRAGA", "Fråga till kommunen", SERVICE, "kontaktcenter", "KC", 2),
        _def("KC-SYNPUNKT", "Synpunkt", SERVICE, "kontaktcenter", "KC", 10),
        _def(
            "KC-MEDBORGARFORSLAG",
            "Medborgarförslag (mottaget)",
            DEMOKRATI,
            "kontaktcenter",
            "KC",
            5,
        ),
        # e-services (eservice): the unit is the one the form goes to
        _def("ES-NEDSKRAPNING", "Anmälan om nedskräpning", MILJO, "eservice", "MBN", 30),
        _def("ES-PARKERINGSTILLSTAND", "Parkeringstillstånd", TEKNIK, "eservice", "TN", 30),
        _def("ES-FORSKOLA", "Ansökan förskoleplats", UTBILDNING, "eservice", "BUN", 120),
        _def("ES-KULTURSTIPENDIUM", "Ansökan kulturstipendium", KULTUR, "eservice", "KFN", 90),
    ]
)


def types_of(system: str) -> list[CaseTypeDef]:
    """The case types a system owns, in catalogue order."""
    return [t for t in CASE_TYPES.values() if t.system == system]
