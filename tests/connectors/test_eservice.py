"""EserviceConnector's own behaviour (what it shares with the other case connectors is in
test_case_systems.py): statuses with their content types, forgetting cached cases, the
signed status callbacks, Link paging that stays on the listing, bad bodies, its local
times and the generated sandbox."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiocache import SimpleMemoryCache
from kp_case_systems import (
    CaseSystem,
    connected,
    contract_error,
    mocked,
    simulated,
)
from kp_case_table import ESERVICE_SYSTEM
from kp_expected_cases import WAITING
from kp_service_worlds import eservice_world
from kp_testing import CountingTransport as Counting
from kp_worlds import ANNA, TOLVAN, mock_http

from connectors import eservice as es
from connectors.domain import (
    CaseEventKind,
    CaseRef,
    CaseStatus,
    Channel,
    CollaborationKind,
    DocumentDirection,
)
from connectors.errors import UpstreamContractError, ValidationError
from connectors.http import UpstreamClient
from simulators import eservice as es_sim
from simulators import eservice_shapes as shapes
from simulators import world as w
from simulators.generate import generate

SECRET = "delad-hemlighet"


@pytest.fixture
def system() -> CaseSystem[Any]:
    return ESERVICE_SYSTEM


async def test_every_status_event_channel_and_handover_maps(connector: Any) -> None:
    for neutral, (status_id, _, content_type) in shapes.STATUSES.items():
        assert es.STATUS[status_id] == (content_type, CaseStatus(neutral))
    cases = await connector.cases_for_persons([ANNA])
    assert {c.status for c in cases} == set(CaseStatus)
    assert {e.kind for c in cases for e in c.events} == set(CaseEventKind)
    assert {c.channel for c in cases} == set(Channel)
    assert {d.direction for c in cases for d in c.documents} == set(DocumentDirection)
    assert {k.kind for c in cases for k in c.collaborations} == set(CollaborationKind)
    for i, case in enumerate(cases):
        assert case.status is CaseStatus(w.STATUSES[i % len(w.STATUSES)])
        assert case.events[0].kind is CaseEventKind(w.EVENT_KINDS[i])


async def test_forget_drops_cached_cases(counting: Counting) -> None:
    async with connected(ESERVICE_SYSTEM, counting, cache=SimpleMemoryCache()) as cached:
        assert await cached.cases_by_ids(["104240"]) == [WAITING]
        assert await cached.cases_by_ids(["104240"]) == [WAITING]
        assert len(counting.requests) == 1
        await cached.forget(["104240"])
        assert await cached.cases_by_ids(["104240"]) == [WAITING]
        assert len(counting.requests) == 2


async def test_a_callback_end_to_end() -> None:
    """The citizen completes; the platform calls back; the callback verifies; a fresh read
    shows the new status."""
    received: list[httpx.Request] = []

    def hook(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    app = es_sim.create_app(
        eservice_world(),
        callback_url="http://gateway.test/hooks/eservice",
        callback_secret=SECRET,
        transport=httpx.MockTransport(hook),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://eservice.test") as http:
        connector = es.EserviceConnector(UpstreamClient("eservice", http))
        citizen = await http.post("/api/flowinstances/104240/complete")
        assert citizen.status_code == 200
        await app.state.notifier.join()
        (callback,) = received
        ref = es.verify_callback(callback.content, callback.headers["x-signature"], SECRET)
        assert ref == CaseRef("eservice", "104240")
        (case,) = await connector.cases_by_ids([ref.local_id])
    assert case.status is CaseStatus.IN_PROGRESS
    assert case.events[-1].kind is CaseEventKind.COMPLETION_RECEIVED
    assert case.events[-1].id.startswith("eservice:")


def _signed(payload: object, secret: str = SECRET) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    return body, "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


GOOD = {
    "event": "status_changed",
    "flowInstanceID": 104240,
    "status": "Under behandling",
    "occurred": "2025-03-12T10:00:00+01:00",
}


def test_verify_callback_accepts_a_good_signature() -> None:
    body, signature = _signed(GOOD)
    assert es.verify_callback(body, signature, SECRET) == CaseRef("eservice", "104240")
    body, signature = _signed({**GOOD, "flowInstanceID": "A-17"})
    assert es.verify_callback(body, signature.upper().replace("SHA256=", "sha256="), SECRET) == (
        CaseRef("eservice", "A-17")
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda body, sig: (body, None),
        lambda body, sig: (body, ""),
        lambda body, sig: (body, sig.removeprefix("sha256=")),
        lambda body, sig: (body, "sha1=" + sig.removeprefix("sha256=")),
        lambda body, sig: (body + b" ", sig),
        lambda body, sig: (body, sig[:-1] + ("0" if sig[-1] != "0" else "1")),
        lambda body, sig: (body, _signed(GOOD, "fel-hemlighet")[1]),
        lambda body, sig: (body, "sha256=åäö"),
    ],
)
def test_verify_callback_refuses_bad_signatures(
    mangle: Callable[[bytes, str], tuple[bytes, str | None]],
) -> None:
    body, signature = mangle(*_signed(GOOD))
    with pytest.raises(ValidationError) as caught:
        es.verify_callback(body, signature, SECRET)
    assert caught.value.code == "INVALID_SIGNATURE"


def test_verify_callback_fails_closed_without_a_secret() -> None:
    body, signature = _signed(GOOD, "")
    with pytest.raises(ValidationError) as caught:
        es.verify_callback(body, signature, "")
    assert caught.value.code == "INVALID_SIGNATURE"


@pytest.mark.parametrize(
    "payload",
    [
        [GOOD],
        {**GOOD, "event": "deleted"},
        {k: v for k, v in GOOD.items() if k != "flowInstanceID"},
        {**GOOD, "flowInstanceID": None},
        {**GOOD, "occurred": "igår"},
        {**GOOD, "occurred": "2025-03-12T10:00:00"},
        {**GOOD, "status": 2},
    ],
)
def test_verify_callback_signed_garbage_is_a_contract_error(payload: object) -> None:
    body, signature = _signed(payload)
    with pytest.raises(UpstreamContractError):
        es.verify_callback(body, signature, SECRET)
    body = b"\xff{not json"
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(UpstreamContractError):
        es.verify_callback(body, signature, SECRET)


def _record() -> dict[str, object]:
    world = eservice_world()
    case = world.case("eservice", "104240")
    assert case is not None
    return shapes.render_case(case, world.case_types)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"items": []}',
        json.dumps([{**_record(), "status": {"statusID": 9, "contentType": "X"}}]).encode(),
        json.dumps(
            [{**_record(), "status": {"statusID": 3, "name": "x", "contentType": "ARCHIVED"}}]
        ).encode(),
        json.dumps([{**_record(), "added": "2025-03-11T09:30:00+01:00"}]).encode(),
        json.dumps([{**_record(), "submittedVia": "DUVA"}]).encode(),
        json.dumps([{**_record(), "flowInstanceID": -4}]).encode(),
        json.dumps([{**_record(), "poster": "191212121212"}]).encode(),
        json.dumps([{k: v for k, v in _record().items() if k != "url"}]).encode(),
    ],
)
async def test_malformed_pages_are_contract_errors(body: bytes) -> None:
    await contract_error(ESERVICE_SYSTEM, body, lambda c: c.cases_by_ids(["104240"]))


@pytest.mark.parametrize(
    "link",
    [
        '<http://evil.example/api/flowinstances?page=2>; rel="next"',
        '<//evil.example/api/flowinstances?page=2>; rel="next"',
        '</api/other?page=2>; rel="next"',
        '</api/flowinstances/changed?page=2>; rel="next"',
    ],
)
async def test_a_next_link_off_the_listing_is_a_contract_error(link: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[_record()], headers={"Link": link})

    with pytest.raises(UpstreamContractError):
        await mocked(ESERVICE_SYSTEM, handler).cases_by_ids(["104240"])
    assert len(seen) == 1


async def test_a_repeating_next_link_is_a_contract_error() -> None:
    link = '</api/flowinstances?flowInstanceIDs=104240&page=2>; rel="next"'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[_record()], headers={"Link": link})

    async with mock_http("eservice", handler) as http:
        client = UpstreamClient("eservice", http)
        with pytest.raises(UpstreamContractError):
            await es.EserviceConnector(client).cases_by_ids(["104240"])
    assert client.calls == 2


def test_local_times_become_aware_stockholm_times() -> None:
    winter = es.local_time("2025-01-15 08:00:00")
    summer = es.local_time("2025-07-15 08:00:00")
    assert winter.utcoffset() == timedelta(hours=1)
    assert summer.utcoffset() == timedelta(hours=2)


async def test_generated_sandbox_personas_and_every_case_maps() -> None:
    world = generate(seed=1, reference_date=date(2026, 11, 1), scale=0.05)
    async with connected(ESERVICE_SYSTEM, simulated(ESERVICE_SYSTEM, world)) as connector:
        anna = await connector.cases_for_persons([ANNA])
        tolvan = await connector.cases_for_persons([TOLVAN])
        everything = await connector.changed_cases(
            datetime(2000, 1, 1, tzinfo=w.TZ), datetime(2100, 1, 1, tzinfo=w.TZ)
        )
    (littering,) = [c for c in anna if c.type.code == "ES-NEDSKRAPNING"]
    assert littering.main_case_number is not None
    assert littering.main_case_number.startswith("MK-")
    (handover,) = littering.collaborations
    assert handover.counterpart is not None and handover.counterpart.system == "ecos"
    assert littering.link == (
        f"https://etjanster.exempelby.se/oversikt/flowinstance/{littering.ref.local_id}"
    )
    waiting = [c for c in tolvan if c.status is CaseStatus.WAITING_FOR_CITIZEN]
    assert len(waiting) == 1
    assert waiting[0].events[-1].kind is CaseEventKind.COMPLETION_REQUESTED
    assert len(everything) == len(world.cases["eservice"])


@pytest.mark.parametrize(
    "text",
    ["2025-01-15T08:00:00", "2025-01-15 08:00", "2025-01-15 08:00:00+01", "15/01/2025 08:00:00"],
)
def test_other_time_shapes_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        es.local_time(text)
