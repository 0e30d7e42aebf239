"""Connector for the e-service platform (Open ePlatform-like): REST JSON `/api/flowinstances`.

Upstream: `GET /api/flowinstances` searched by `citizenIdentifier`,
`flowInstanceIDs` or `referenceNumber` (comma lists of at most 200),
`GET /api/flowinstances/changed?fromDate=&toDate=`; page-number paging whose next
page is named by a relative `Link: <...>; rel="next"` header; local times without
offset (Europe/Stockholm). The mapping tables below are the contract.

The platform also pushes signed status callbacks; `verify_callback` checks one
for the gateway's webhook endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx
from aiocache.base import BaseCache

from . import jsonread as j
from . import paging
from .batched import BatchedCaseSource, plausible_listed_key, require_aware, twelve_digits
from .domain import (
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
    SystemInfo,
    SystemKind,
    Unit,
)
from .errors import ValidationError
from .http import UpstreamClient, contract_errors, read_json

log = logging.getLogger(__name__)

INFO = SystemInfo("eservice", "E-tjänsteplattformen", SystemKind.E_SERVICE)

FLOW_INSTANCES = "/api/flowinstances"
CHANGED = "/api/flowinstances/changed"
PER_PAGE = 500
CACHE_PREFIX = "eservice:case:"
SIGNATURE_PREFIX = "sha256="
MAX_CALLBACK_BYTES = 16 * 1024

#: The installation's configured statuses by `statusID`, each with the OEP content type
#: it must carry (a status whose content type differs is not the one we know).
STATUS: dict[int, tuple[str, CaseStatus]] = {
    1: ("SUBMITTED", CaseStatus.RECEIVED),
    2: ("IN_PROGRESS", CaseStatus.IN_PROGRESS),
    3: ("WAITING_FOR_COMPLETION", CaseStatus.WAITING_FOR_CITIZEN),
    4: ("IN_PROGRESS", CaseStatus.WAITING_FOR_OTHER_PARTY),
    5: ("ARCHIVED", CaseStatus.DECIDED),
    6: ("ARCHIVED", CaseStatus.CLOSED),
    7: ("ARCHIVED", CaseStatus.FORWARDED),
}

EVENT_KIND: dict[str, CaseEventKind] = {
    "SUBMITTED": CaseEventKind.SUBMITTED,
    "REGISTERED": CaseEventKind.REGISTERED,
    "STATUS_CHANGED": CaseEventKind.STATUS_CHANGED,
    "COMPLETION_REQUEST": CaseEventKind.COMPLETION_REQUESTED,
    "COMPLETION_SUBMITTED": CaseEventKind.COMPLETION_RECEIVED,
    "REFERRAL_SENT": CaseEventKind.REFERRAL_SENT,
    "REFERRAL_ANSWERED": CaseEventKind.REFERRAL_ANSWERED,
    "ASSIGNMENT": CaseEventKind.ASSIGNMENT_GIVEN,
    "ASSIGNMENT_DONE": CaseEventKind.ASSIGNMENT_COMPLETED,
    "FORWARDED": CaseEventKind.FORWARDED,
    "DECISION": CaseEventKind.DECIDED,
    "MESSAGE": CaseEventKind.NOTICE,
    "DELAY": CaseEventKind.DELAYED,
    "ARCHIVED": CaseEventKind.CLOSED,
}

CHANNEL: dict[str, Channel] = {
    "ETJANST": Channel.E_SERVICE,
    "KONTAKTCENTER": Channel.CONTACT_CENTRE,
    "BESOK": Channel.VISIT,
    "TELEFON": Channel.PHONE,
    "BREV": Channel.MAIL,
    "EPOST": Channel.EMAIL,
    "INTERN": Channel.INTERNAL,
}

DIRECTION: dict[str, DocumentDirection] = {
    "INKOMMANDE": DocumentDirection.INCOMING,
    "UTGAENDE": DocumentDirection.OUTGOING,
    "UPPRATTAD": DocumentDirection.DRAFTED,
}

HANDOVER: dict[str, CollaborationKind] = {
    "REMISS": CollaborationKind.REFERRAL,
    "UPPDRAG": CollaborationKind.ASSIGNMENT,
    "VIDAREBEFORDRAN": CollaborationKind.FORWARDING,
}


class EserviceConnector(BatchedCaseSource):
    """The e-service platform through `GET /api/flowinstances...`."""

    default_info = INFO
    default_page_size = PER_PAGE

    def __init__(
        self,
        client: UpstreamClient,
        info: SystemInfo = INFO,
        *,
        cache: BaseCache | None = None,
        per_page: int = PER_PAGE,
    ) -> None:
        super().__init__(client, info, cache=cache, page_size=per_page)

    @property
    def _case_prefix(self) -> str:
        return CACHE_PREFIX

    async def cases_for_persons(self, personal_numbers: Sequence[str]) -> list[Case]:
        """`GET /api/flowinstances?citizenIdentifier=a,b,..` (Link-header paging)."""
        fetch = self._search("citizenIdentifier")
        return await self._batched(personal_numbers, twelve_digits, fetch)

    async def cases_by_ids(self, local_ids: Sequence[str]) -> list[Case]:
        """`GET /api/flowinstances?flowInstanceIDs=..` for the ids not in the cache."""
        fetch = self._search("flowInstanceIDs")
        return await self._cached_by_id(local_ids, plausible_listed_key, fetch)

    async def cases_by_numbers(self, numbers: Sequence[str]) -> list[Case]:
        """`GET /api/flowinstances?referenceNumber=..` (reference or main reference number)."""
        return await self._batched(numbers, plausible_listed_key, self._search("referenceNumber"))

    async def changed_cases(self, since: datetime, until: datetime) -> list[Case]:
        """`GET /api/flowinstances/changed?fromDate=&toDate=` (all pages of [since, until))."""
        params = {"fromDate": _iso(since), "toDate": _iso(until), "perPage": self._page_size}
        return paging.unique_cases(await self._pages(CHANGED, params, paging.MAX_SYNC_PAGES))

    async def forget(self, local_ids: Sequence[str]) -> None:
        """Drop cached flow instances (after a status callback said they changed)."""
        if self._cache is None or not local_ids:
            return
        try:
            for local_id in dict.fromkeys(local_ids):
                await self._cache.delete(CACHE_PREFIX + local_id)
        except Exception:  # a cache outage must not fail the callback; the TTL is short
            log.warning("case cache unavailable for %s", CACHE_PREFIX, exc_info=True)

    def _search(self, name: str) -> paging.Fetch:
        async def fetch(keys: Sequence[str]) -> list[Case]:
            params = {name: ",".join(keys), "perPage": self._page_size}
            return await self._pages(FLOW_INSTANCES, params, paging.MAX_PAGES)

        return fetch

    async def _pages(self, path: str, params: dict[str, Any], max_pages: int) -> list[Case]:
        async def page(next_url: str | None) -> tuple[list[Case], str | None]:
            if next_url is None:
                response = await self._client.request("GET", path, params=params)
            else:
                response = await self._client.request("GET", next_url)
            with contract_errors(self.system.id):
                cases = [to_case(rec, self.system.id) for rec in _records(read_json(response))]
                return cases, next_link(response, path)

        return await paging.follow_cursor(self.system.id, page, max_pages)


def _iso(at: datetime) -> str:
    return require_aware(at).isoformat()


# --- upstream shapes: pages and callbacks ------------------------------------------------------


def _records(body: object) -> list[j.Json]:
    if not isinstance(body, list):
        raise TypeError("expected a JSON array of flow instances")
    return [j.as_object(item) for item in body]


def next_link(response: httpx.Response, path: str) -> str | None:
    """The relative URL of the next page, which must stay on the path we asked.

    An absolute or foreign link is refused: we never follow a system to another host.
    """
    link = response.links.get("next")
    if link is None:
        return None
    url = link.get("url", "")
    if not url.startswith(path + "?") or url.startswith("//"):
        raise ValueError("the next-page link leaves the listing")
    return url


def verify_callback(body: bytes, signature: str | None, secret: str) -> CaseRef:
    """Check a status callback's `X-Signature: sha256=<hex>` (HMAC-SHA256 of the raw body with
    `secret`, compared in constant time) and return the flow instance it names.

    Raises `ValidationError` (code INVALID_SIGNATURE) when unsigned, wrongly signed or when
    no secret is configured, and `UpstreamContractError` for a signed but unusable payload.
    """
    if not secret or not signature or not signature.startswith(SIGNATURE_PREFIX):
        raise _bad_signature()
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = signature[len(SIGNATURE_PREFIX) :].strip().lower()
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii", "replace")):
        raise _bad_signature()
    with contract_errors(INFO.id):
        if len(body) > MAX_CALLBACK_BYTES:
            raise ValueError("callback too large")
        payload = j.as_object(json.loads(body))
        if j.req_str(payload, "event") != "status_changed":
            raise ValueError("unknown callback event")
        j.req_str(payload, "status")
        j.req_time(payload, "occurred")
        local_id = j.id_text(payload, "flowInstanceID")
    return CaseRef(INFO.id, local_id)


def _bad_signature() -> ValidationError:
    return ValidationError("Anropets signatur är ogiltig.", code="INVALID_SIGNATURE")


# --- mapping into the domain -------------------------------------------------------------------


def local_time(text: str) -> datetime:
    """The platform's local "YYYY-MM-DD HH:MM:SS" as an aware Europe/Stockholm datetime."""
    # fromisoformat is many times faster than strptime; the shape check keeps it as strict
    if len(text) != 19 or text[10] != " " or not text[:4].isdigit():
        raise ValueError("expected YYYY-MM-DD HH:MM:SS")
    return datetime.fromisoformat(text).replace(tzinfo=j.TZ)


def _req_local(obj: j.Json, key: str) -> datetime:
    return local_time(j.req_str(obj, key))


def _opt_local(obj: j.Json, key: str) -> datetime | None:
    text = j.opt_str(obj, key)
    return None if text is None else local_time(text)


def _citizen(obj: j.Json, key: str) -> str | None:
    value = j.opt_object(obj, key)
    return None if value is None else j.req_str(value, "citizenIdentifier")


def _status(obj: j.Json) -> CaseStatus:
    content_type, status = j.code(STATUS, j.req_int(obj, "statusID"))
    if j.req_str(obj, "contentType") != content_type:
        raise ValueError("status and content type disagree")
    return status


def to_case(rec: j.Json, system: str) -> Case:
    """One flow instance as a domain `Case` (events oldest first)."""
    local_id = j.id_text(rec, "flowInstanceID")
    flow = j.req_object(rec, "flow")
    subject = _citizen(rec, "concerns")
    poster = _citizen(rec, "poster")
    events = sorted((_event(e, system) for e in j.objects(rec, "events")), key=_when)
    return Case(
        ref=CaseRef(system, local_id),
        case_number=j.req_str(rec, "referenceNumber"),
        main_case_number=j.opt_str(rec, "mainReferenceNumber"),
        type=CaseType(j.req_str(flow, "flowID"), j.req_str(flow, "name")),
        title=j.req_str(rec, "summary"),
        description=j.opt_str(rec, "details"),
        status=_status(j.req_object(rec, "status")),
        unit=_unit(j.req_object(rec, "managingUnit")),
        subject=subject,
        parties=(poster,) if poster and poster != subject else (),
        channel=j.code(CHANNEL, j.req_str(rec, "submittedVia")),
        opened_at=_req_local(rec, "added"),
        closed_at=_opt_local(rec, "closed"),
        confidential=j.req_bool(rec, "secret"),
        secrecy_ground=j.opt_str(rec, "secrecyReference"),
        link=j.req_str(rec, "url"),
        events=tuple(events),
        documents=tuple(_document(d) for d in j.objects(rec, "attachments")),
        collaborations=tuple(_handover(h) for h in j.objects(rec, "handovers")),
    )


def _when(event: CaseEvent) -> datetime:
    return event.occurred_at


def _unit(obj: j.Json) -> Unit:
    return Unit(j.req_str(obj, "unitCode"), j.req_str(obj, "unitName"))


def _event(obj: j.Json, system: str) -> CaseEvent:
    return CaseEvent(
        id=f"{system}:{j.id_text(obj, 'eventID')}",
        occurred_at=_req_local(obj, "added"),
        kind=j.code(EVENT_KIND, j.req_str(obj, "eventType")),
        summary=j.req_str(obj, "details"),
        description=j.opt_str(obj, "description"),
        diary_event=j.req_bool(obj, "diaryEvent"),
        internal=j.req_bool(obj, "internal"),
        concerns=j.opt_str(obj, "concernsCitizen"),
    )


def _document(obj: j.Json) -> Document:
    return Document(
        id=j.id_text(obj, "fileID"),
        title=j.req_str(obj, "fileName"),
        direction=j.code(DIRECTION, j.req_str(obj, "direction")),
        registered_at=_req_local(obj, "added"),
        confidential=j.req_bool(obj, "secret"),
    )


def _handover(obj: j.Json) -> Collaboration:
    other_system = j.opt_str(obj, "externalSystem")
    other_id = j.opt_str(obj, "externalID")
    return Collaboration(
        kind=j.code(HANDOVER, j.req_str(obj, "type")),
        from_unit=_unit(j.req_object(obj, "fromUnit")),
        to_unit=_unit(j.req_object(obj, "toUnit")),
        started_at=_req_local(obj, "started"),
        completed_at=_opt_local(obj, "completed"),
        follow_up_retained=j.req_bool(obj, "followUpRetained"),
        counterpart=CaseRef(other_system, other_id) if other_system and other_id else None,
        counterpart_number=j.opt_str(obj, "externalReference"),
    )
