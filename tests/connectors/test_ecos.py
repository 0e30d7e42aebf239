"""EcosConnector's own behaviour (what it shares with the other case connectors is in
test_case_systems.py): broken bodies, its page tokens, UTC times and the cap on huge answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from kp_case_systems import contract_error, mocked
from kp_case_table import ECOS_SYSTEM
from kp_expected_cases import LITTERING
from kp_system_worlds import ecos_world
from kp_worlds import ANNA, at

from connectors import paging
from connectors.domain import CaseRef
from connectors.errors import UpstreamContractError
from simulators import ecos as ecos_sim


def _record(**changes: object) -> dict[str, object]:
    rec = json.loads(json.dumps(ecos_sim._case(ecos_world().case("ecos", "4711"), {})))  # type: ignore[arg-type]
    rec.update(changes)
    return rec


def _mock(handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    return mocked(ECOS_SYSTEM, handler)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\x00<<garbage",
        b"[]",
        b'{"items": {}}',
        b'{"nextPageToken": null}',
        json.dumps({"items": [_record(statusCode="PAUSAD")], "nextPageToken": None}).encode(),
        json.dumps({"items": [_record(statusCode=3)], "nextPageToken": None}).encode(),
        json.dumps(
            {"items": [_record(registeredDate="2025-03-11 08:30")], "nextPageToken": None}
        ).encode(),
        json.dumps({"items": [_record(isConfidential="no")], "nextPageToken": None}).encode(),
        json.dumps(
            {
                "items": [_record(parties=[{"role": "AGENT", "personalIdentityNumber": ANNA}])],
                "nextPageToken": None,
            }
        ).encode(),
        json.dumps({"items": [_record(occurrences=[{"id": "x"}])], "nextPageToken": None}).encode(),
        json.dumps({"items": [_record(id=None)], "nextPageToken": None}).encode(),
        json.dumps({"items": [_record()], "nextPageToken": 7}).encode(),
    ],
)
async def test_malformed_answers_are_contract_errors(body: bytes) -> None:
    error = await contract_error(ECOS_SYSTEM, body, lambda c: c.cases_for_persons([ANNA]))
    assert "garbage" not in error.message


async def test_a_repeating_cursor_is_a_contract_error() -> None:
    body = {"items": [_record()], "nextPageToken": "same"}
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=body)

    with pytest.raises(UpstreamContractError):
        await _mock(handler).cases_by_ids(["4711"])
    assert len(calls) == 2


async def test_endless_paging_is_cut_at_the_bound() -> None:
    counter = iter(range(10_000))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [], "nextPageToken": f"t{next(counter)}"})

    with pytest.raises(UpstreamContractError):
        await _mock(handler).cases_by_numbers(["MK-2025-837"])
    assert next(counter) == 50


async def test_utc_times_become_aware_stockholm_times() -> None:
    body = {"items": [_record()], "nextPageToken": None}
    (case,) = await _mock(lambda r: httpx.Response(200, json=body)).cases_for_persons([ANNA])
    assert case.opened_at == datetime(2025, 3, 11, 8, 30, tzinfo=UTC)
    assert case.opened_at.utcoffset() == timedelta(hours=1)


def test_huge_answers_keep_the_newest_cases() -> None:
    cases = [replace(LITTERING, ref=CaseRef("ecos", str(i)), opened_at=at(i)) for i in range(7)]
    kept = paging.capped(cases, limit=3)
    assert [c.ref.local_id for c in kept] == ["6", "5", "4"]
    assert paging.capped(cases) is cases
