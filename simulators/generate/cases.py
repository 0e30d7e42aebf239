"""Mass cases: people, titles, events, documents and cross-system chains.

Times are integer minutes (see `timeline`) turned into aware datetimes
only once per event. A share of cases stalls before its end, which gives old
open and overdue cases; nothing is kept after the end of the reference date.

Identifiers are not set here: `numbers` numbers every system in opening
order afterwards and then resolves the collaboration and main-number links
recorded in `links`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..catalogue import CASE_TYPES
from ..world import CASE_SYSTEMS, TZ, Case, Collaboration, Document, Event
from .population import Population
from .profiles import STALL, VOLUMES, profiles
from .steps import Collab, Profile, Step, unit_name
from .timeline import DAY, WORK_SPAN, WORK_START, plan_steps, plan_times
from .titles import fill

DAYS_BACK = 3 * 365
MAX_DEPTH = 3
#: systems where cases arrive and are passed on; the receiving case's number is the main one
INTAKE = frozenset({"eservice", "kontaktcenter"})
# E-services are used around the clock, mostly in the daytime; 01-05 never (no DST gaps).
HOURS = tuple(
    h
    for h, w in enumerate((1, 0, 0, 0, 0, 1, 2, 4, 7, 8, 8, 8, 7, 7, 7, 7, 6, 6, 6, 6, 5, 4, 3, 2))
    for _ in range(w)
)
CHANNEL_TEXT = {
    "E_SERVICE": "e-tjänst",
    "CONTACT_CENTRE": "kontaktcenter",
    "VISIT": "besök",
    "PHONE": "telefon",
    "MAIL": "brev",
    "EMAIL": "e-post",
    "INTERNAL": "intern hantering",
}


@dataclass
class Links:
    """References between generated cases, resolved once every case has its identifiers."""

    collaborations: list[tuple[Collaboration, Case]] = field(default_factory=list)
    main: dict[int, tuple[Case, Case]] = field(default_factory=dict)  # id(case) -> (case, main)


class CaseFactory:
    """Generates the mass cases of every system from one random stream."""

    def __init__(self, rng: random.Random, pop: Population, reference_date: date) -> None:
        self.rng = rng
        self.pop = pop
        self.profiles = profiles()
        ref = reference_date.toordinal()
        self.ref_day = ref
        self.first_day = ref - DAYS_BACK
        self.cutoff = (ref + 1) * DAY - 1
        self.base_day = self.first_day - 1
        self.midnights: list[datetime] = []
        self.years: list[int] = []
        for ordinal in range(self.base_day, ref + 2):
            d = date.fromordinal(ordinal)
            self.midnights.append(datetime(d.year, d.month, d.day, tzinfo=TZ))
            self.years.append(d.year)
        self.minutes = [timedelta(minutes=m) for m in range(DAY)]
        self.cases: dict[str, list[Case]] = {s: [] for s in CASE_SYSTEMS}
        self.links = Links()
        self.pools: dict[str, list[str]] = {
            "adults": pop.adults,
            "working": pop.working,
            "elderly": pop.elderly,
            "preschool": pop.preschool,
            "school": pop.school,
            "pupils": pop.pupils,
        }
        self.grantors = list(pop.agent_of)
        self.channels = {
            code: [c for c, w in p.channels for _ in range(w)] for code, p in self.profiles.items()
        }

    # --- time ---------------------------------------------------------------------------

    def dt(self, t: int) -> datetime:
        day, minute = divmod(t, DAY)
        return self.midnights[day - self.base_day] + self.minutes[minute]

    def opening(self, day: int, channel: str) -> int:
        rng = self.rng
        if channel == "E_SERVICE":
            return day * DAY + HOURS[int(rng.random() * len(HOURS))] * 60 + int(rng.random() * 60)
        weekday = (day + 6) % 7
        if weekday >= 5:
            day -= weekday - 4  # back to Friday: never past the reference date
        return day * DAY + WORK_START + int(rng.random() * WORK_SPAN)

    # --- mass generation ----------------------------------------------------------------

    def generate(self, scale: float) -> dict[str, list[Case]]:
        for system in CASE_SYSTEMS:
            count = max(1, round(VOLUMES[system] * scale))
            own = [p for p in self.profiles.values() if p.weight and _system(p) == system]
            kinds = self.rng.choices(own, weights=[p.weight for p in own], k=count)
            period = self.ref_day + 1 - self.first_day
            days = sorted(self.first_day + int(self.rng.random() * period) for _ in kinds)
            for profile, day in zip(kinds, days, strict=True):
                self.make(profile, day=day)
        return self.cases

    def make(
        self,
        profile: Profile,
        *,
        day: int = 0,
        origin: Case | None = None,
        start: int = 0,
        must_close: bool = False,
        force_open: bool = False,
        main: Case | None = None,
        depth: int = 0,
    ) -> tuple[Case, int]:
        """One case with its events and documents, and the minute of its last event.

        A counterpart case (`origin` given) inherits the origin's people; it never
        stalls when the origin has received its answer (`must_close`) and always
        stalls when the origin still waits for it (`force_open`).
        """
        rng = self.rng
        tdef = CASE_TYPES[profile.code]
        if origin is None:
            channels = self.channels[profile.code]
            channel = channels[int(rng.random() * len(channels))]
            t0 = self.opening(day, channel)
            title, subject, applicant = self.people_and_title(profile, t0)
        else:
            channel = origin.channel if origin.system in INTAKE else "INTERNAL"
            t0 = start
            subject, applicant = origin.subject, origin.applicant
            title = profile.counterpart_title.format(origin=origin.title)
        script, collab, retained = plan_steps(self.rng, profile)
        times = plan_times(self.rng, profile, script, t0, collab, retained)
        stall = force_open or (not must_close and rng.random() < STALL[tdef.system])
        if stall and len(script) > 2:
            cut = 2 + int(rng.random() * (len(script) - 2))  # keeps 2 .. n-1 steps
            script, times = script[:cut], times[:cut]
        self.clip(script, times)
        case = Case(
            system=tdef.system,
            id="",
            number="",
            type_code=tdef.code,
            title=title,
            unit=tdef.unit,
            status="",
            opened_at=self.dt(t0),
            description=f"{title}. {tdef.name}, inkom via {CHANNEL_TEXT[channel]}. "
            f"Handläggs av {unit_name(tdef.unit)}.",
            subject=subject,
            applicant=applicant,
            channel=channel,
            confidential=tdef.confidential,
            secrecy_ground=tdef.secrecy_ground,
        )
        if origin is not None:
            self.links.main[id(case)] = (case, main or case)
        self.cases[tdef.system].append(case)
        if collab is not None and collab.out in script:
            self.collaborate(case, collab, retained, script, times, depth)
        case.status = script[-1].status
        self.fill_events(case, script, times)
        return case, times[-1]

    def clip(self, script: list[Step], times: list[int]) -> None:
        """Drop what lies after the reference date, keeping the first two events."""
        if times[-1] <= self.cutoff:
            return
        if times[1] > self.cutoff:
            times[1] = times[0] + (self.cutoff - times[0]) // 2
        keep = 2 + sum(1 for t in times[2:] if t <= self.cutoff)
        del script[keep:], times[keep:]

    def people_and_title(self, profile: Profile, t0: int) -> tuple[str, str | None, str | None]:
        rng = self.rng
        year = self.years[t0 // DAY - self.base_day]
        if profile.p_org and rng.random() < profile.p_org:
            template = profile.org_titles[int(rng.random() * len(profile.org_titles))]
            return fill(template, rng, None, year), None, None
        subject, applicant = self.people(profile)
        person = self.pop.persons[subject] if subject else None
        templates = profile.titles
        if person and profile.p_named and rng.random() < profile.p_named:
            templates = profile.named_titles
        template = templates[int(rng.random() * len(templates))]
        return fill(template, rng, person, year), subject, applicant

    def people(self, profile: Profile) -> tuple[str | None, str | None]:
        rng = self.rng
        if profile.p_no_subject and rng.random() < profile.p_no_subject:
            return None, None
        pool = self.pools[profile.subject] or self.pop.adults
        if not pool:
            return None, None
        if profile.subject == "elderly" and self.grantors and rng.random() < 0.3:
            subject = self.grantors[int(rng.random() * len(self.grantors))]
        else:
            subject = pool[int(rng.random() * len(pool))]
        applicant = None
        if profile.p_applicant and rng.random() < profile.p_applicant:
            if profile.subject == "elderly":
                applicant = self.pop.agent_of.get(subject)
            else:
                guardians = self.pop.custodians.get(subject)
                applicant = guardians[int(rng.random() * len(guardians))] if guardians else None
        return subject, applicant

    # --- timelines ----------------------------------------------------------------------

    def fill_events(self, case: Case, script: list[Step], times: list[int]) -> None:
        concerns = case.subject if case.applicant and case.applicant != case.subject else None
        events = case.events
        documents = case.documents
        confidential = case.confidential
        at = case.opened_at
        for step, t in zip(script, times, strict=True):
            at = self.dt(t)
            events.append(
                Event(
                    "",
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
            for title, direction in step.docs:
                documents.append(Document("", title, direction, at, confidential))
        if case.status == "CLOSED":
            case.closed_at = at

    # --- collaborations -----------------------------------------------------------------

    def collaborate(
        self,
        case: Case,
        collab: Collab,
        retained: bool,
        script: list[Step],
        times: list[int],
        depth: int,
    ) -> None:
        """Record the collaboration; maybe open the receiving case and wait for it.

        When the sender waits (referral, assignment, forwarding keeping follow-up)
        its answer step comes after the counterpart's end, so the origin's later
        steps move; when the counterpart is still open, the origin still waits.
        """
        rng = self.rng
        i = script.index(collab.out)
        waits = collab.kind != "FORWARDING" or retained
        answered = i + 1 < len(script)
        counterpart = None
        if (
            collab.counterpart is not None
            and depth < MAX_DEPTH
            and rng.random() < collab.p_counterpart
            and times[i] + 60 < self.cutoff
        ):
            main = self.links.main.get(id(case), (case, None))[1]
            if main is None and case.system not in INTAKE:
                main = case
            counterpart, last = self.make(
                self.profiles[collab.counterpart],
                origin=case,
                start=min(times[i] + 5 + int(rng.random() * 240), (times[i] + self.cutoff) // 2),
                must_close=waits and answered,
                force_open=waits and not answered,
                main=main,
                depth=depth + 1,
            )
            self.links.main[id(case)] = (case, main or counterpart)
            if waits and answered:
                if counterpart.status != "CLOSED":
                    del script[i + 1 :], times[i + 1 :]
                elif last >= times[i + 1]:
                    shift = last - times[i + 1] + 30 + int(rng.random() * 3 * DAY)
                    for j in range(i + 1, len(times)):
                        times[j] += shift
                    self.clip(script, times)
        done = times[i + 1] if waits and i + 1 < len(times) else None
        record = Collaboration(
            collab.kind,
            case.unit,
            collab.to_unit,
            self.dt(times[i]),
            self.dt(done) if done is not None else (None if waits else self.dt(times[i])),
            retained,
        )
        case.collaborations.append(record)
        if counterpart is None:
            return
        mirror = Collaboration(
            collab.kind,
            case.unit,
            collab.to_unit,
            record.started_at,
            record.completed_at,
            retained,
        )
        counterpart.collaborations.insert(0, mirror)
        self.links.collaborations.append((record, counterpart))
        self.links.collaborations.append((mirror, case))


def _system(profile: Profile) -> str:
    return CASE_TYPES[profile.code].system
