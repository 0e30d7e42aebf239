"""The skeleton every batched case connector shares.

`BatchedCaseSource` holds what all case connectors do alike: their state (client,
system, case cache, page size), key hygiene, chunked look-ups by person or case
number, look-ups by id through the case cache, and the cap of `MAX_CASES_PER_CALL`
cases per call. A connector subclasses it and keeps only what is its own: endpoint
paths or operations, parameter names, paging style, mapping tables and record
mapping. Its public methods stay thin, name the upstream operation they call, and
hand a per-chunk `fetch` with the system's key filter to `_batched` or `_cached_by_id`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from aiocache.base import BaseCache

from . import paging
from .domain import Case, SystemInfo
from .http import UpstreamClient, contract_errors

T = TypeVar("T")

#: How long a case fetched by id is served from the cache.
CASE_TTL = 30


def plausible_key(key: str) -> bool:
    """A case id or number a system could hold: non-empty, at most 64 characters."""
    return bool(key) and len(key) <= 64


def plausible_listed_key(key: str) -> bool:
    """A plausible key sent in a comma list: a comma would split it upstream, so such
    keys cannot exist there."""
    return plausible_key(key) and "," not in key


def twelve_digits(key: str) -> bool:
    """The person-key filter of the e-service platform and the contact centre: twelve
    ASCII digits (full-width or other Unicode digits never name a person)."""
    return key.isascii() and key.isdigit() and len(key) == 12


def require_aware(at: datetime) -> datetime:
    """A change-window end, refused when naive (its instant would be a guess)."""
    if at.tzinfo is None:
        raise ValueError("change windows need timezone-aware datetimes")
    return at


class BatchedCaseSource:
    """State and batched look-ups shared by the case connectors (see module doc)."""

    #: The system and page size used when the caller names none.
    default_info: ClassVar[SystemInfo]
    default_page_size: ClassVar[int]
    case_ttl: ClassVar[int] = CASE_TTL

    def __init__(
        self,
        client: UpstreamClient,
        info: SystemInfo | None = None,
        *,
        cache: BaseCache | None = None,
        page_size: int | None = None,
    ) -> None:
        self.system = self.default_info if info is None else info
        self._client = client
        self._cache = cache
        self._page_size = self.default_page_size if page_size is None else page_size

    @property
    def _case_prefix(self) -> str:
        """Cache keys of cases fetched by id: `<system>:case:<local id>`."""
        return f"{self.system.id}:case:"

    async def _batched(
        self, keys: Sequence[str], accept: Callable[[str], bool], fetch: paging.Fetch
    ) -> list[Case]:
        """The cases for the unique `keys` that `accept` lets through (the others cannot
        exist upstream and cost no call): one `fetch` per chunk, in parallel, capped."""
        wanted = paging.unique_keys(keys, accept)
        return paging.capped(await paging.gather_chunks(wanted, fetch))

    async def _cached_by_id(
        self, local_ids: Sequence[str], accept: Callable[[str], bool], fetch: paging.Fetch
    ) -> list[Case]:
        """Like `_batched` for local ids, with hits served from the case cache and only
        the missing ids fetched (and then cached for `case_ttl` seconds)."""
        keys = paging.unique_keys(local_ids, accept)
        found = await paging.cached_by_id(
            self._cache,
            self._case_prefix,
            keys,
            lambda ids: paging.gather_chunks(ids, fetch),
            self.case_ttl,
        )
        return paging.capped(found)

    async def _get(self, path: str, params: Mapping[str, Any], read: Callable[[object], T]) -> T:
        """`GET path?params`, its JSON body read by `read` inside the contract check."""
        response = await self._client.request("GET", path, params=params)
        with contract_errors(self.system.id):
            return read(response.json())
