"""The simulated e-service platform: shapes, Link-header paging, the citizen's completion
and the signed status callbacks (webhooks)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from kp_service_worlds import ES_FILLERS as FILLERS
from kp_service_worlds import NILS, eservice_world
from kp_worlds import ANNA, KALLE, TOLVAN, at
from starlette.applications import Starlette

from simulators import eservice as es
from simulators import eservice_shapes as shapes
from simulators import world as w
from simulators.faults import FaultInjector

SECRET = "delad-hemlighet"
HOOK = "http://gateway.test/hooks/eservice"


@dataclass
class Hook:
    """A webhook receiver: records callbacks, answers with `status`."""

    status: int = 200
    fail_with: Exception | None = None

    def __post_init__(self) -> None:
        self.received: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        if self.fail_with is not None:
            raise self.fail_with
        return httpx.Response(self.status)


@dataclass
class Env:
    app: Starlette
    http: httpx.AsyncClient
    hook: Hook
    world: w.World


@contextlib.asynccontextmanager
async def environment(hook: Hook, url: str | None = HOOK) -> AsyncIterator[Env]:
    world = eservice_world()
    app = es.create_app(
        world, callback_url=url, callback_secret=SECRET, transport=httpx.MockTransport(hook.handle)
    )
    app.state.notifier.backoff = 0.0
    transport = httpx.ASGITransport(app=FaultInjector(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://eservice.test") as c:
        yield Env(app, c, hook, world)
        await app.state.notifier.join()


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with environment(Hook()) as e:
        yield e


WAITING_JSON = {
    "flowInstanceID": 104240,
    "flow": {"flowID": "ES-NEDSKRAPNING", "name": "Anmälan om nedskräpning"},
    "referenceNumber": "ES-2025-0901",
    "mainReferenceNumber": None,
    "summary": "Skräp vid badplatsen",
    "details": None,
    "status": {
        "statusID": 3,
        "name": "Väntar på komplettering",
        "contentType": "WAITING_FOR_COMPLETION",
    },
    "poster": {"citizenIdentifier": TOLVAN},
    "concerns": {"citizenIdentifier": TOLVAN},
    "managingUnit": {"unitCode": "MBN", "unitName": "Miljö- och hälsoskyddsnämnden"},
    "submittedVia": "ETJANST",
    "added": "2025-03-11 09:30:00",
    "lastStatusChange": "2025-03-12 11:30:00",
    "closed": None,
    "secret": False,
    "secrecyReference": None,
    "url": "https://etjanster.exempelby.se/oversikt/flowinstance/104240",
    "events": [
        {
            "eventID": "104240-1",
            "eventType": "SUBMITTED",
            "added": "2025-03-11 09:30:00",
            "details": "Anmälan inskickad",
            "description": None,
            "diaryEvent": False,
            "internal": False,
            "concernsCitizen": None,
        },
        {
            "eventID": "104240-2",
            "eventType": "COMPLETION_REQUEST",
            "added": "2025-03-12 11:30:00",
            "details": "Komplettering begärd",
            "description": "Bifoga gärna en bild.",
            "diaryEvent": False,
            "internal": False,
            "concernsCitizen": None,
        },
    ],
    "attachments": [],
    "handovers": [],
}


async def test_search_by_citizen_renders_the_whole_flow_instance(env: Env) -> None:
    r = await env.http.get("/api/flowinstances", params={"citizenIdentifier": TOLVAN})
    assert r.status_code == 200
    assert r.headers["x-total-count"] == "1" and "link" not in r.headers
    assert r.json() == [WAITING_JSON]


async def test_poster_concerns_and_handover_of_a_childs_case(env: Env) -> None:
    r = await env.http.get("/api/flowinstances", params={"citizenIdentifier": KALLE})
    (child,) = r.json()
    assert child["poster"] == {"citizenIdentifier": KALLE}
    assert child["concerns"] == {"citizenIdentifier": NILS}
    assert (child["secret"], child["secrecyReference"]) == (True, "OSL 23 kap. 1 §")
    assert child["attachments"] == [
        {
            "fileID": "f-1",
            "fileName": "Ansökan",
            "direction": "INKOMMANDE",
            "added": "2025-03-11 10:30:00",
            "secret": True,
        }
    ]
    assert child["handovers"] == [
        {
            "type": "VIDAREBEFORDRAN",
            "fromUnit": {"unitCode": "BUN", "unitName": "Barn- och utbildningsnämnden"},
            "toUnit": {"unitCode": "BUN", "unitName": "Barn- och utbildningsnämnden"},
            "started": "2025-03-11 11:30:00",
            "completed": None,
            "followUpRetained": True,
            "externalSystem": "edu",
            "externalID": "P-77",
            "externalReference": "BUN 2025/0301",
        }
    ]


async def test_link_header_paging(env: Env) -> None:
    url: str | None = f"/api/flowinstances?citizenIdentifier={ANNA}&perPage=5"
    ids: list[int] = []
    links: list[str] = []
    while url is not None:
        r = await env.http.get(url)
        assert r.headers["x-total-count"] == str(FILLERS)
        ids.extend(f["flowInstanceID"] for f in r.json())
        url = r.links.get("next", {}).get("url")
        if url is not None:
            links.append(url)
    assert ids == [105000 + i for i in range(FILLERS)]
    assert links == [
        f"/api/flowinstances?citizenIdentifier={ANNA}&page=2&perPage=5",
        f"/api/flowinstances?citizenIdentifier={ANNA}&page=3&perPage=5",
    ]
    statuses = {
        f["status"]["statusID"]
        for f in (await env.http.get(f"/api/flowinstances?citizenIdentifier={ANNA}")).json()
    }
    assert statuses == {s[0] for s in shapes.STATUSES.values()}


async def test_by_ids_by_reference_and_changed(env: Env) -> None:
    r = await env.http.get("/api/flowinstances", params={"flowInstanceIDs": "104250,1,104240"})
    assert [f["flowInstanceID"] for f in r.json()] == [104250, 104240]
    r = await env.http.get("/api/flowinstances", params={"referenceNumber": "BUN 2025/0301"})
    assert [f["flowInstanceID"] for f in r.json()] == [104250]
    r = await env.http.get(
        "/api/flowinstances/changed",
        params={"fromDate": at(0).isoformat(), "toDate": at(27).isoformat()},
    )
    assert [f["flowInstanceID"] for f in r.json()] == [104250, 104240]


async def test_one_and_unknown(env: Env) -> None:
    assert (await env.http.get("/api/flowinstances/104240")).json() == WAITING_JSON
    r = await env.http.get("/api/flowinstances/999")
    assert r.status_code == 404
    assert r.json() == {
        "status": 404,
        "error": "FLOW_INSTANCE_NOT_FOUND",
        "message": "No such flow instance",
    }


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("/api/flowinstances", "INVALID_SEARCH"),
        ("/api/flowinstances?citizenIdentifier=19121212", "INVALID_PARAMETER"),
        (f"/api/flowinstances?citizenIdentifier={ANNA}&page=0", "INVALID_PARAMETER"),
        (f"/api/flowinstances?citizenIdentifier={ANNA}&perPage=9999", "INVALID_PARAMETER"),
        ("/api/flowinstances/changed?fromDate=2025-01-01T00:00:00Z", "MISSING_PARAMETER"),
        (
            "/api/flowinstances/changed?fromDate=2025-02-01T00:00:00Z&toDate=2025-01-01T00:00:00Z",
            "INVALID_INTERVAL",
        ),
    ],
)
async def test_bad_requests_are_400(env: Env, query: str, code: str) -> None:
    r = await env.http.get(query)
    assert r.status_code == 400
    assert r.json()["error"] == code


async def test_completion_changes_status_and_sends_a_signed_callback(env: Env) -> None:
    r = await env.http.post(
        "/api/flowinstances/104240/complete", json={"citizenIdentifier": TOLVAN}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == {
        "statusID": 2,
        "name": "Under behandling",
        "contentType": "IN_PROGRESS",
    }
    assert body["events"][-1]["eventType"] == "COMPLETION_SUBMITTED"
    assert body["lastStatusChange"] == body["events"][-1]["added"]
    case = env.world.case("eservice", "104240")
    assert case is not None and case.status == "IN_PROGRESS"
    assert case.events[-1].kind == "COMPLETION_RECEIVED"
    assert env.world.changed("eservice", case.events[-1].at, case.events[-1].at + timedelta(1))
    await env.app.state.notifier.join()
    (callback,) = env.hook.received
    assert str(callback.url) == HOOK
    raw = callback.content
    expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert callback.headers["x-signature"] == f"sha256={expected}"
    payload = json.loads(raw)
    assert payload == {
        "event": "status_changed",
        "flowInstanceID": 104240,
        "status": "Under behandling",
        "occurred": case.events[-1].at.isoformat(),
    }
    assert datetime.fromisoformat(payload["occurred"]).tzinfo is not None
    # a second completion is not awaited any more
    r = await env.http.post("/api/flowinstances/104240/complete")
    assert r.status_code == 409 and r.json()["error"] == "NOT_WAITING_FOR_COMPLETION"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/flowinstances/999/complete", b"", 404),
        ("/api/flowinstances/104240/complete", b"{broken", 400),
        ("/api/flowinstances/104240/complete", b"[1, 2]", 400),
        ("/api/flowinstances/104240/complete", json.dumps({"citizenIdentifier": ANNA}), 403),
        ("/api/flowinstances/104240/complete", json.dumps({"citizenIdentifier": 5}), 403),
        ("/api/flowinstances/104250/complete", b"", 409),
    ],
)
async def test_refused_completions(env: Env, path: str, body: bytes | str, status: int) -> None:
    r = await env.http.post(path, content=body)
    assert r.status_code == status
    assert env.hook.received == []
    case = env.world.case("eservice", "104240")
    assert case is not None and case.status == "WAITING_FOR_CITIZEN"


@pytest.mark.parametrize("hook", [Hook(status=500), Hook(fail_with=httpx.ConnectError("down"))])
async def test_failed_delivery_is_retried_and_never_breaks_the_platform(hook: Hook) -> None:
    async with environment(hook) as env:
        r = await env.http.post("/api/flowinstances/104240/complete")
        assert r.status_code == 200
        await env.app.state.notifier.join()
        assert len(hook.received) == 3
        state = (await env.http.get("/_admin/webhook")).json()
        assert state == {
            "url": HOOK,
            "signed": True,
            "delivered": 0,
            "failed": 1,
            "pending": 0,
        }
        assert (await env.http.get("/api/flowinstances/104240")).status_code == 200


async def test_no_webhook_no_callback() -> None:
    hook = Hook()
    async with environment(hook, url=None) as env:
        assert (await env.http.post("/api/flowinstances/104240/complete")).status_code == 200
        await env.app.state.notifier.join()
    assert hook.received == []


async def test_webhook_set_at_run_time(env: Env) -> None:
    r = await env.http.put(
        "/_admin/webhook", json={"url": "http://other.test/hook", "secret": "ny"}
    )
    assert r.status_code == 200
    assert r.json()["url"] == "http://other.test/hook" and "ny" not in r.text
    await env.http.post("/api/flowinstances/104240/complete")
    await env.app.state.notifier.join()
    (callback,) = env.hook.received
    assert str(callback.url) == "http://other.test/hook"
    expected = hmac.new(b"ny", callback.content, hashlib.sha256).hexdigest()
    assert callback.headers["x-signature"] == f"sha256={expected}"


@pytest.mark.parametrize(
    "body",
    [b"", b"{nope", b'{"url": "ftp://x"}', b'{"url": 5}', b'{"url": "http://x", "secret": 1}'],
)
async def test_bad_webhook_settings_are_400(env: Env, body: bytes) -> None:
    r = await env.http.put("/_admin/webhook", content=body)
    assert r.status_code == 400
    assert (await env.http.get("/_admin/webhook")).json()["url"] == HOOK


async def test_openapi_describes_the_real_paths(env: Env) -> None:
    doc = (await env.http.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/flowinstances",
        "/api/flowinstances/changed",
        "/api/flowinstances/{flowInstanceID}",
        "/api/flowinstances/{flowInstanceID}/complete",
    }
    assert "StatusCallback" in doc["components"]["schemas"]
