"""Connector for the population register (Navet-like): REST JSON under `/api/v1/personer`.

Upstream: `POST /api/v1/personer/sok` and `POST /api/v1/personer/relationer`, both
with `{"personnummer": [...]}` (at most 200); unknown persons are simply absent.
Persons and each person's custody relations are cached per personal number
(`folkbokforing:person:<pnr>`, `folkbokforing:custody:<pnr>`), unknown ones too,
for a shorter time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from aiocache.base import BaseCache

from . import jsonread as j
from .domain import Custody, Person, SystemInfo, SystemKind
from .http import UpstreamClient, contract_errors, read_json
from .paging import BATCH_LIMIT, chunks
from .personal_number import luhn_digit
from .register_cache import cached_per_key

T = TypeVar("T")

INFO = SystemInfo("folkbokforing", "Folkbokföringen", SystemKind.POPULATION_REGISTER)

SEARCH = "/api/v1/personer/sok"
RELATIONS = "/api/v1/personer/relationer"
#: How long a person and a person's custody relations are served from the cache.
PERSON_TTL = 300
CUSTODY_TTL = 300
#: How long "no such person" is remembered.
MISS_TTL = 60
PERSON_PREFIX = "folkbokforing:person:"
CUSTODY_PREFIX = "folkbokforing:custody:"


def is_canonical(pnr: str) -> bool:
    """12 digits with a right check digit: the only keys the register can know."""
    return (
        len(pnr) == 12 and pnr.isascii() and pnr.isdigit() and luhn_digit(pnr[2:11]) == int(pnr[11])
    )


class FolkbokforingConnector:
    """The population register through `POST /api/v1/personer/sok` and `.../relationer`."""

    def __init__(
        self, client: UpstreamClient, info: SystemInfo = INFO, *, cache: BaseCache | None = None
    ) -> None:
        self.system = info
        self._client = client
        self._cache = cache

    async def persons(self, personal_numbers: Sequence[str]) -> list[Person]:
        """`POST /api/v1/personer/sok` for the persons not in the cache."""
        keys = _keys(personal_numbers)
        found = await cached_per_key(
            self._cache,
            PERSON_PREFIX,
            keys,
            self._batched(SEARCH, read_persons),
            ttl=PERSON_TTL,
            miss_ttl=MISS_TTL,
        )
        return [person for key in keys for person in found[key]]

    async def custody(self, personal_numbers: Sequence[str]) -> list[Custody]:
        """`POST /api/v1/personer/relationer` for the persons not in the cache."""
        keys = _keys(personal_numbers)
        found = await cached_per_key(
            self._cache,
            CUSTODY_PREFIX,
            keys,
            self._batched(RELATIONS, read_relations),
            ttl=CUSTODY_TTL,
            miss_ttl=MISS_TTL,
        )
        return list(dict.fromkeys(rel for key in keys for rel in found[key]))

    def _batched(
        self, path: str, read: Callable[[object], dict[str, tuple[T, ...]]]
    ) -> Callable[[Sequence[str]], Awaitable[Mapping[str, tuple[T, ...]]]]:
        async def one(keys: Sequence[str]) -> dict[str, tuple[T, ...]]:
            # a look-up sent as POST (personal numbers stay out of URLs and logs): a read
            response = await self._client.request(
                "POST", path, json={"personnummer": list(keys)}, read=True
            )
            with contract_errors(self.system.id):
                return read(read_json(response))

        async def fetch(keys: Sequence[str]) -> Mapping[str, tuple[T, ...]]:
            parts = await asyncio.gather(*(one(chunk) for chunk in chunks(keys, BATCH_LIMIT)))
            merged: dict[str, tuple[T, ...]] = {}
            for part in parts:
                merged.update(part)
            return merged

        return fetch


def _keys(personal_numbers: Sequence[str]) -> list[str]:
    return [k for k in dict.fromkeys(personal_numbers) if is_canonical(k)]


# --- upstream shapes and mapping ---------------------------------------------------------------


def read_persons(body: object) -> dict[str, tuple[Person, ...]]:
    """`{"personer": [...]}` as a 1-tuple per known personal number."""
    found: dict[str, tuple[Person, ...]] = {}
    for rec in j.objects(j.as_object(body), "personer"):
        person = to_person(rec)
        found[person.personal_number] = (person,)
    return found


def to_person(rec: j.Json) -> Person:
    """One register entry as a `Person`; protected identity if either flag is set."""
    pnr = j.req_str(rec, "personnummer")
    if not is_canonical(pnr):
        raise ValueError("malformed personal number from the register")
    protected = j.req_bool(rec, "skyddadIdentitet") or j.req_bool(rec, "sekretessmarkering")
    return Person(
        personal_number=pnr,
        given_name=j.req_str(rec, "fornamn"),
        family_name=j.req_str(rec, "efternamn"),
        protected_identity=protected,
    )


def read_relations(body: object) -> dict[str, tuple[Custody, ...]]:
    """`{"relationer": [{"personnummer", "vardnadshavare": [..], "barn": [..]}]}` as the
    custody relations of each known person (as child, then as custodian)."""
    found: dict[str, tuple[Custody, ...]] = {}
    for rec in j.objects(j.as_object(body), "relationer"):
        pnr = j.req_str(rec, "personnummer")
        custodians = [j.req_str(p, "personnummer") for p in j.objects(rec, "vardnadshavare")]
        children = [j.req_str(p, "personnummer") for p in j.objects(rec, "barn")]
        found[pnr] = tuple(
            [Custody(custodian=c, child=pnr) for c in custodians]
            + [Custody(custodian=pnr, child=c) for c in children]
        )
    return found
