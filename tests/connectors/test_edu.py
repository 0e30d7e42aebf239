"""EduConnector's own behaviour (what it shares with the other case connectors is in
test_case_systems.py): broken bodies and integer application ids."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from kp_case_systems import contract_error, mocked
from kp_case_table import EDU_SYSTEM
from kp_expected_cases import PRESCHOOL
from kp_service_worlds import edu_world
from kp_worlds import KALLE

from connectors.domain import CaseRef
from simulators import edu as edu_sim


def _record(**changes: object) -> dict[str, object]:
    world = edu_world()
    app = edu_sim._EduApi(world)
    rec = json.loads(json.dumps(app._application(world.case("edu", "100234"))))  # type: ignore[arg-type]
    rec.update(changes)
    return rec


def _page(*records: dict[str, object], total_pages: object = 1) -> bytes:
    body = {
        "page": 1,
        "pageSize": 500,
        "totalPages": total_pages,
        "totalItems": len(records),
        "data": list(records),
    }
    return json.dumps(body).encode()


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    return mocked(EDU_SYSTEM, handler)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b'{"data": []}',
        _page(_record(statusCode=11)),
        _page(_record(statusCode="4")),
        _page(_record(createdMs=1.5e12)),
        _page(_record(createdMs=-1)),
        _page(_record(applicationId=True)),
        _page(_record(submittedVia=0)),
        _page(_record(guardians=[{"personalNumber": KALLE}])),
        _page(_record(history=[{"eventId": "e", "timestampMs": 1, "eventCode": 99, "text": "x"}])),
        _page(total_pages=2),  # page 1 empty although two pages promised
        _page(_record(), total_pages=51),
    ],
)
async def test_malformed_answers_are_contract_errors(body: bytes) -> None:
    await contract_error(EDU_SYSTEM, body, lambda c: c.cases_for_persons([KALLE]))


async def test_integer_ids_become_text() -> None:
    (case,) = await _mock(lambda r: httpx.Response(200, content=_page(_record()))).cases_by_ids(
        ["100234"]
    )
    assert case.ref == CaseRef("edu", "100234")
    assert case == PRESCHOOL
