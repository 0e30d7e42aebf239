"""Connector for the power-of-attorney register (Mina ombud-like): REST JSON `/v2/fullmakter`.

Upstream: `GET /v2/fullmakter?fullmaktshavare=a,b` (at most 200 grantees; or
`fullmaktsgivare=a,b` for the grantors, to find who may act for a person; page
numbers `sida` up to `antalSidor`). Revoked mandates (status ÅTERKALLAD) are left
out: the domain `Mandate` has no revoked flag, and a revoked mandate gives no right.
Expired ones are returned; policies check the validity dates. Each grantee's
mandates are cached (`ombud:grantee:<pnr>`), grantees without any for a shorter time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import date

from aiocache.base import BaseCache

from . import jsonread as j
from . import paging
from .domain import Mandate, SystemInfo, SystemKind
from .http import UpstreamClient, contract_errors
from .personal_number import luhn_digit
from .register_cache import cached_per_key

INFO = SystemInfo("ombud", "Mina ombud", SystemKind.MANDATE_REGISTER)

MANDATES = "/v2/fullmakter"
PAGE_SIZE = 500
#: How long a grantee's mandates are served from the cache.
MANDATE_TTL = 60
#: How long "no mandates for this grantee" is remembered.
MISS_TTL = 30
PREFIX = "ombud:grantee:"
GRANTOR_PREFIX = "ombud:grantor:"
GRANTEE, GRANTOR = "fullmaktshavare", "fullmaktsgivare"

#: The register's statuses: does a mandate in this status count at all?
STATUS: dict[str, bool] = {
    "AKTIV": True,
    "ÅTERKALLAD": False,
}


def _canonical(pnr: str) -> bool:
    return (
        len(pnr) == 12 and pnr.isascii() and pnr.isdigit() and luhn_digit(pnr[2:11]) == int(pnr[11])
    )


class OmbudConnector:
    """The mandate register through `GET /v2/fullmakter?fullmaktshavare=..`."""

    def __init__(
        self,
        client: UpstreamClient,
        info: SystemInfo = INFO,
        *,
        cache: BaseCache | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.system = info
        self._client = client
        self._cache = cache
        self._page_size = page_size

    async def mandates_for_grantees(self, personal_numbers: Sequence[str]) -> list[Mandate]:
        """`GET /v2/fullmakter?fullmaktshavare=a,b,..` for the grantees not in the cache
        (revoked mandates left out)."""
        return await self._lookup(GRANTEE, PREFIX, personal_numbers)

    async def mandates_for_grantors(self, personal_numbers: Sequence[str]) -> list[Mandate]:
        """`GET /v2/fullmakter?fullmaktsgivare=a,b,..`: who may act for these persons
        (revoked mandates left out; cached per grantor like the grantees)."""
        return await self._lookup(GRANTOR, GRANTOR_PREFIX, personal_numbers)

    async def _lookup(
        self, field: str, prefix: str, personal_numbers: Sequence[str]
    ) -> list[Mandate]:
        keys = [k for k in dict.fromkeys(personal_numbers) if _canonical(k)]

        async def fetch(wanted: Sequence[str]) -> Mapping[str, tuple[Mandate, ...]]:
            return await self._fetch(field, wanted)

        found = await cached_per_key(
            self._cache, prefix, keys, fetch, ttl=MANDATE_TTL, miss_ttl=MISS_TTL
        )
        unique = {m.id: m for key in keys for m in found[key]}
        return list(unique.values())

    async def _fetch(self, field: str, keys: Sequence[str]) -> Mapping[str, tuple[Mandate, ...]]:
        parts = await asyncio.gather(*(self._chunk(field, c) for c in paging.chunks(keys)))
        wanted = set(keys)
        grouped: dict[str, list[Mandate]] = {}
        for mandate in (m for part in parts for m in part):
            key = mandate.grantee if field == GRANTEE else mandate.grantor
            if key in wanted:
                grouped.setdefault(key, []).append(mandate)
        return {k: tuple(v) for k, v in grouped.items()}

    async def _chunk(self, field: str, keys: Sequence[str]) -> list[Mandate]:
        async def page(number: int) -> tuple[list[Mandate], int]:
            params = {
                field: ",".join(keys),
                "sida": number,
                "antalPerSida": self._page_size,
            }
            response = await self._client.request("GET", MANDATES, params=params)
            with contract_errors(self.system.id):
                return read_page(response.json(), number)

        return await paging.follow_page_numbers(self.system.id, page)


# --- upstream shape and mapping ----------------------------------------------------------------


def read_page(body: object, number: int) -> tuple[list[Mandate], int]:
    """`{"fullmakter": [...], "sida", "antalSidor"}`: the mandates that count, the page count."""
    page = j.as_object(body)
    if j.req_int(page, "sida") != number:
        raise ValueError("the register answered another page")
    pages = j.req_int(page, "antalSidor")
    found = []
    for rec in j.objects(page, "fullmakter"):
        mandate, counts = to_mandate(rec)
        if counts:
            found.append(mandate)
    return found, pages


def to_mandate(rec: j.Json) -> tuple[Mandate, bool]:
    """One register entry as a `Mandate`, and whether its status lets it count."""
    counts = j.code(STATUS, j.req_str(rec, "status"))
    until = j.opt_str(rec, "giltigTom")
    mandate = Mandate(
        id=j.req_str(rec, "fullmaktId"),
        grantor=j.req_str(j.req_object(rec, "fullmaktsgivare"), "personnummer"),
        grantee=j.req_str(j.req_object(rec, "fullmaktshavare"), "personnummer"),
        scope=frozenset(j.req_str(b, "kod") for b in j.objects(rec, "behorigheter")),
        valid_from=date.fromisoformat(j.req_str(rec, "giltigFrom")),
        valid_until=date.fromisoformat(until) if until else None,
    )
    return mandate, counts
