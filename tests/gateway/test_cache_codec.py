"""The shared cache's typed JSON codec: domain objects round-trip, nothing else gets in."""

from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors import domain
from gateway.cache_codec import DomainSerializer

TZ = ZoneInfo("Europe/Stockholm")
T0 = datetime(2026, 3, 11, 9, 30, tzinfo=TZ)


def _case() -> domain.Case:
    unit, other = (
        domain.Unit("MBN", "Miljö- och hälsoskyddsnämnden"),
        domain.Unit("TN", "Tekniska nämnden"),
    )
    return domain.Case(
        ref=domain.CaseRef("ecos", "837"),
        case_number="MK-2026-837",
        type=domain.CaseType("MILJO-NEDSKRAPNING", "Nedskräpning", "Miljö och hälsa"),
        title="Nedskräpning vid Strandvägen",
        status=domain.CaseStatus.FORWARDED,
        unit=unit,
        opened_at=T0,
        main_case_number="MK-2026-837",
        description="Skräp vid badplatsen",
        subject="197801012340",
        parties=("197801012340",),
        channel=domain.Channel.E_SERVICE,
        closed_at=None,
        confidential=False,
        link="https://etjanster.exempelby.se/arende/837",
        events=(
            domain.CaseEvent(
                "ecos:1",
                T0,
                domain.CaseEventKind.REGISTERED,
                "Ärendet registrerat",
                diary_event=True,
            ),
        ),
        documents=(domain.Document("d1", "Anmälan", domain.DocumentDirection.INCOMING, T0),),
        collaborations=(
            domain.Collaboration(
                domain.CollaborationKind.FORWARDING,
                unit,
                other,
                T0 + timedelta(days=1),
                follow_up_retained=True,
                counterpart=domain.CaseRef("teknik", "fr-1"),
                counterpart_number="FEL-1",
            ),
        ),
    )


def test_domain_objects_round_trip() -> None:
    codec = DomainSerializer()
    values = [
        _case(),
        (domain.Person("195606055555", "Kalle", "Testson"),),
        (domain.Custody("195606055555", "201903142386"),),
        (
            domain.Mandate(
                "FM-1",
                "193404124129",
                "195606055555",
                frozenset({"SOC-SABO"}),
                date(2025, 1, 1),
                None,
            ),
        ),
        (),
    ]
    for value in values:
        assert codec.loads(codec.dumps(value)) == value


@pytest.mark.parametrize(
    "entry",
    [
        pickle.dumps(_case()).decode("latin-1"),
        '{"dc": "Popen", "f": {"args": ["sh"]}}',
        '{"e": "Role", "v": "CITIZEN"}',
        '{"x": 1}',
        "not json",
    ],
)
def test_anything_else_is_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        DomainSerializer().loads(entry)


def test_it_will_not_store_foreign_objects() -> None:
    with pytest.raises(TypeError):
        DomainSerializer().dumps(object())
