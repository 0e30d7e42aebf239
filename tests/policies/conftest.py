"""Shared fixtures for the policy tests: the default policy and hand-built domain data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.domain import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseRef,
    CaseStatus,
    CaseType,
    Channel,
    Collaboration,
    CollaborationKind,
    Document,
    DocumentDirection,
    Unit,
)
from connectors.personal_number import luhn_digit
from policies.policy import Policy, load_policy

TZ = ZoneInfo("Europe/Stockholm")


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 10, day, hour, 0, tzinfo=TZ)


def make_pnr(yyyymmdd: str, serial: str) -> str:
    """A valid 12-digit number (coordination numbers: pass day + 60)."""
    nine = yyyymmdd[2:] + serial
    return yyyymmdd + serial + str(luhn_digit(nine))


def build_case(
    *,
    local_id: str = "c1",
    system: str = "byggr",
    number: str = "BN 2025/0193",
    type_code: str = "BYGG-LOV",
    type_name: str = "Bygglov",
    unit: str = "BN",
    subject: str | None = "195606055555",
    parties: tuple[str, ...] = (),
    confidential: bool = False,
    secrecy_ground: str | None = None,
    title: str = "Bygglov för garage, Lönnen 4",
) -> Case:
    """A case with every field set, so that any leak shows up in a redacted view."""
    concerned = subject
    return Case(
        ref=CaseRef(system, local_id),
        case_number=number,
        main_case_number=f"MAIN {number}",
        type=CaseType(type_code, type_name, "Källsystemets område"),
        title=title,
        status=CaseStatus.DECIDED,
        unit=Unit(unit, f"Namn {unit}"),
        opened_at=at(1),
        description="Ärendebeskrivning som aldrig lämnar policylagret",
        subject=subject,
        parties=parties,
        channel=Channel.E_SERVICE,
        closed_at=at(20),
        confidential=confidential,
        secrecy_ground=secrecy_ground,
        link=f"https://e.example/{local_id}",
        events=(
            CaseEvent(
                id=f"{local_id}-e1",
                occurred_at=at(1),
                kind=CaseEventKind.REGISTERED,
                summary="Ansökan om bygglov registrerad",
                description="Ansökan med ritningar registrerad i diariet",
                diary_event=True,
                concerns=concerned,
                link=f"https://e.example/{local_id}/e1",
            ),
            CaseEvent(
                id=f"{local_id}-e2",
                occurred_at=at(3),
                kind=CaseEventKind.COMPLETION_REQUESTED,
                summary="Komplettering av situationsplan begärd",
                description="Situationsplanen saknar måttsättning",
                concerns=concerned,
                link=f"https://e.example/{local_id}/e2",
            ),
            CaseEvent(
                id=f"{local_id}-e3",
                occurred_at=at(6),
                kind=CaseEventKind.NOTICE,
                summary="Intern bedömning",
                description="Handläggarens interna anteckning",
                internal=True,
                link=f"https://e.example/{local_id}/e3",
            ),
            CaseEvent(
                id=f"{local_id}-e4",
                occurred_at=at(20),
                kind=CaseEventKind.DECIDED,
                summary="Bygglov beviljat",
                description="Beslut om bygglov enligt PBL 9 kap. 30 §",
                diary_event=True,
                concerns=concerned,
                link=f"https://e.example/{local_id}/e4",
            ),
        ),
        documents=(
            Document(f"{local_id}-d1", "Ansökan", DocumentDirection.INCOMING, at(1)),
            Document(f"{local_id}-d2", "Utredning", DocumentDirection.DRAFTED, at(5), True),
        ),
        collaborations=(
            Collaboration(
                kind=CollaborationKind.REFERRAL,
                from_unit=Unit(unit, f"Namn {unit}"),
                to_unit=Unit("MBN", "Miljö- och hälsoskyddsnämnden"),
                started_at=at(4),
                completed_at=at(9),
                counterpart=CaseRef("ecos", "837"),
                counterpart_number="MK-2025-837",
            ),
        ),
    )


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def default_policy_text() -> str:
    return resources.files("policies").joinpath("default_policy.toml").read_text("utf-8")


@pytest.fixture
def case_factory() -> Callable[..., Case]:
    def factory(**kwargs: Any) -> Case:
        return build_case(**kwargs)

    return factory


@pytest.fixture
def pnr_factory() -> Callable[[str, str], str]:
    return make_pnr
