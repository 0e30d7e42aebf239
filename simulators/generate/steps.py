"""Building blocks of case timelines: steps (event templates) and collaborations.

A `Step` is everything about an event except its time and id: kind, the status
the case has afterwards, the Swedish summary and description, whether the
registry records it, and the documents it produces. Steps are built once per
case type and shared by every generated event, which keeps mass data small.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalogue import CASE_TYPES
from ..world import UNITS

#: kinds each system also registers in the registry (diary events)
DIARY_KINDS: dict[str, frozenset[str]] = {
    "diarium": frozenset(
        {
            "SUBMITTED",
            "REGISTERED",
            "COMPLETION_REQUESTED",
            "COMPLETION_RECEIVED",
            "REFERRAL_SENT",
            "REFERRAL_ANSWERED",
            "ASSIGNMENT_GIVEN",
            "ASSIGNMENT_COMPLETED",
            "FORWARDED",
            "DECIDED",
            "CLOSED",
        }
    ),
    "byggr": frozenset({"SUBMITTED", "REFERRAL_SENT", "REFERRAL_ANSWERED", "DECIDED", "CLOSED"}),
    "procapita": frozenset({"SUBMITTED", "DECIDED"}),
    "ecos": frozenset({"SUBMITTED", "FORWARDED", "DECIDED"}),
    "edu": frozenset({"DECIDED"}),
}

#: systems that keep documents (the others keep none or only the submitted form)
DOCUMENT_SYSTEMS = frozenset({"diarium", "byggr", "procapita", "ecos", "edu"})

Docs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Step:
    """An event template: what happens, in the citizen's words, and what it leaves behind."""

    kind: str
    status: str
    summary: str
    description: str
    diary: bool = False
    internal: bool = False
    docs: Docs = ()


@dataclass(frozen=True, slots=True)
class Collab:
    """A collaboration a case of some type may start: referral, assignment or forwarding."""

    kind: str  # "REFERRAL" | "ASSIGNMENT" | "FORWARDING"
    to_unit: str
    prob: float
    out: Step  # REFERRAL_SENT / ASSIGNMENT_GIVEN / FORWARDED
    back: Step  # the answer, the done signal, or the closing after a forwarding
    counterpart: str | None = None  # case-type code of the receiving case
    p_counterpart: float = 0.0
    p_retained: float = 0.0  # forwarding: chance the sender keeps follow-up
    retained_back: Step | None = None  # forwarding with follow-up: closing on the done signal


def unit_name(code: str) -> str:
    return UNITS[code]


class StepMaker:
    """Makes the steps of one case type with its system's diary and document habits."""

    def __init__(self, code: str, doc_in: str | None = None) -> None:
        self.type = CASE_TYPES[code]
        self.system = self.type.system
        self.diary = DIARY_KINDS.get(self.system, frozenset())
        self.documents = self.system in DOCUMENT_SYSTEMS
        self.doc_in = doc_in or f"Ansökan om {self.type.name.lower()}"
        self.unit = unit_name(self.type.unit)

    def step(
        self, kind: str, status: str, summary: str, description: str, *, internal: bool = False
    ) -> Step:
        diary = kind in self.diary and not internal
        return Step(kind, status, summary, description, diary, internal, self._docs(kind))

    def _docs(self, kind: str) -> Docs:
        if kind == "SUBMITTED" and (self.documents or self.system == "eservice"):
            return ((self.doc_in, "INCOMING"),)
        if not self.documents:
            return ()
        return {
            "COMPLETION_REQUESTED": (("Begäran om komplettering", "OUTGOING"),),
            "COMPLETION_RECEIVED": (("Komplettering", "INCOMING"),),
            "REFERRAL_SENT": (("Remiss", "OUTGOING"),),
            "REFERRAL_ANSWERED": (("Remissvar", "INCOMING"),),
            "DECIDED": (("Tjänsteskrivelse", "DRAFTED"), ("Beslut", "OUTGOING")),
        }.get(kind, ())

    # --- the common steps -------------------------------------------------------------

    def received(self, summary: str) -> Step:
        text = f"{summary}. Ärendet har tagits emot av {self.unit}."
        return self.step("SUBMITTED", "RECEIVED", summary, text)

    def registered(self, summary: str = "Ärendet registrerat") -> Step:
        text = f"{summary}. En handläggare hos {self.unit} har börjat arbeta med ärendet."
        return self.step("REGISTERED", "IN_PROGRESS", summary, text)

    def progress(self, summary: str, description: str, status: str = "IN_PROGRESS") -> Step:
        return self.step("STATUS_CHANGED", status, summary, description)

    def notice(self, summary: str) -> Step:
        return self.step("NOTICE", "IN_PROGRESS", summary, f"{summary}. Vi hör av oss igen.")

    def delayed(self, summary: str = "Handläggningen är försenad") -> Step:
        text = f"{summary}. Handläggningen tar längre tid än vanligt, vi ber om ursäkt."
        return self.step("DELAYED", "IN_PROGRESS", summary, text)

    def internal(self, summary: str = "Intern bedömning") -> Step:
        text = f"{summary}. Anteckning för handläggarna, visas inte för den enskilde."
        return self.step("STATUS_CHANGED", "IN_PROGRESS", summary, text, internal=True)

    def completion(self, what: str = "") -> tuple[Step, Step]:
        asked = f"Komplettering begärd{': ' + what if what else ''}"
        request = self.step(
            "COMPLETION_REQUESTED",
            "WAITING_FOR_CITIZEN",
            asked,
            f"{asked}. Handläggningstiden räknas inte medan kompletteringen inväntas.",
        )
        answer = self.step(
            "COMPLETION_RECEIVED",
            "IN_PROGRESS",
            "Komplettering inkommen",
            "Kompletteringen har kommit in och handläggningen fortsätter.",
        )
        return request, answer

    def decided(self, summary: str) -> Step:
        text = f"{summary}. Beslutet har skickats ut med information om hur man överklagar."
        return self.step("DECIDED", "DECIDED", summary, text)

    def closed(self, summary: str = "Ärendet avslutat") -> Step:
        text = f"{summary}. Handlingarna arkiveras enligt dokumenthanteringsplanen."
        return self.step("CLOSED", "CLOSED", summary, text)

    # --- collaborations ---------------------------------------------------------------

    def referral(
        self, to_unit: str, prob: float, counterpart: str | None = None, p_counterpart: float = 0
    ) -> Collab:
        name = unit_name(to_unit)
        out = self.step(
            "REFERRAL_SENT",
            "WAITING_FOR_OTHER_PARTY",
            f"Remiss skickad till {name}",
            f"Ärendet har skickats på remiss till {name}. Ansvaret för ärendet ligger kvar.",
        )
        back = self.step(
            "REFERRAL_ANSWERED",
            "IN_PROGRESS",
            f"Remissvar inkommet från {name}",
            f"{name} har lämnat sitt remissvar och handläggningen fortsätter.",
        )
        return Collab("REFERRAL", to_unit, prob, out, back, counterpart, p_counterpart)

    def assignment(
        self,
        to_unit: str,
        prob: float,
        counterpart: str | None = None,
        p_counterpart: float = 0,
        *,
        given: str | None = None,
    ) -> Collab:
        name = unit_name(to_unit)
        summary = given or f"Uppdrag lämnat till {name}"
        out = self.step(
            "ASSIGNMENT_GIVEN",
            "IN_PROGRESS",
            summary,
            f"{summary}. {self.unit} behåller ansvaret och följer upp uppdraget.",
        )
        back = self.step(
            "ASSIGNMENT_COMPLETED",
            "IN_PROGRESS",
            f"Klarmarkerat av {name}",
            f"{name} har meddelat att uppdraget är utfört.",
        )
        return Collab("ASSIGNMENT", to_unit, prob, out, back, counterpart, p_counterpart)

    def forwarding(
        self,
        to_unit: str,
        prob: float,
        counterpart: str | None = None,
        p_counterpart: float = 0,
        p_retained: float = 0,
    ) -> Collab:
        name = unit_name(to_unit)
        out = self.step(
            "FORWARDED",
            "FORWARDED",
            f"Ärendet överlämnat till {name}",
            f"Ärendet har överlämnats till {name}, som nu ansvarar för handläggningen.",
        )
        back = self.closed("Ärendet avslutat efter överlämning")
        retained = self.closed(f"Klarmarkerat av {name}, ärendet avslutat")
        return Collab(
            "FORWARDING",
            to_unit,
            prob,
            out,
            back,
            counterpart,
            p_counterpart,
            p_retained,
            retained,
        )


Weights = tuple[tuple[str, int], ...]

CENTRE: Weights = (("CONTACT_CENTRE", 45), ("PHONE", 30), ("EMAIL", 12), ("VISIT", 10), ("MAIL", 3))
FAULTS: Weights = (
    ("E_SERVICE", 45),
    ("CONTACT_CENTRE", 25),
    ("PHONE", 15),
    ("EMAIL", 10),
    ("INTERNAL", 5),
)
APPLY: Weights = (("E_SERVICE", 60), ("MAIL", 20), ("EMAIL", 15), ("VISIT", 5))
SOCIAL: Weights = (
    ("PHONE", 30),
    ("VISIT", 25),
    ("MAIL", 20),
    ("E_SERVICE", 20),
    ("CONTACT_CENTRE", 5),
)
REPORT: Weights = (("E_SERVICE", 45), ("CONTACT_CENTRE", 25), ("EMAIL", 15), ("PHONE", 15))
REGISTRY: Weights = (("EMAIL", 30), ("MAIL", 25), ("E_SERVICE", 25), ("INTERNAL", 15), ("VISIT", 5))
SCHOOL: Weights = (("E_SERVICE", 85), ("MAIL", 5), ("VISIT", 5), ("CONTACT_CENTRE", 5))
WEB: Weights = (("E_SERVICE", 100),)
INTERNAL: Weights = (("INTERNAL", 100),)


@dataclass(frozen=True, slots=True)
class Profile:
    """Volume, people, titles and the possible timeline of one case type."""

    code: str
    weight: int  # share of its system's mass volume; 0 = only as a counterpart
    channels: Weights
    subject: str  # a `Population` pool: adults, working, elderly, preschool, school, pupils
    titles: tuple[str, ...]
    received: Step
    closed: Step
    registered: Step | None = None
    decided: tuple[Step, ...] = ()
    rejected: Step | None = None
    p_rejected: float = 0.0
    extras: tuple[tuple[tuple[Step, ...], float], ...] = ()  # groups of steps
    completion: tuple[Step, Step] | None = None
    p_completion: float = 0.15
    collabs: tuple[Collab, ...] = ()
    p_no_subject: float = 0.0
    p_applicant: float = 0.0  # custodian for a child, agent for an elderly person
    named_titles: tuple[str, ...] = ()
    p_named: float = 0.0
    org_titles: tuple[str, ...] = ()
    p_org: float = 0.0
    counterpart_title: str = "{origin}"
