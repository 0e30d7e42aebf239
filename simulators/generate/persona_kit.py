"""Helpers to write persona scenarios: a calendar-placing case builder and chain links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..world import TZ, Case, Collaboration, Custody, Document, Event, Mandate, Person
from .steps import Step, StepMaker

Timed = tuple[Step, int, str]  # step, days before the reference date, "HH:MM"


@dataclass
class PersonaData:
    """Persons, relations and cases of the personas for one reference date."""

    persons: dict[str, Person]
    custody: list[Custody]
    mandates: list[Mandate]
    cases: dict[str, Case] = field(default_factory=dict)  # key -> case


class Builder:
    """Places persona cases on the calendar and records them in the `PersonaData`."""

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
