"""A typed JSON serializer for the shared (Redis) cache.

The cache holds the connectors' domain objects. Pickle would let anyone who can
write to the Redis run code in every gateway; this codec only ever builds the
domain dataclasses and enums it knows, from tagged JSON, and refuses anything else
(the connectors then treat the entry as a cache miss).
"""

from __future__ import annotations

import dataclasses
import enum
import json
from datetime import date, datetime
from typing import Any

from aiocache.serializers import BaseSerializer

from connectors import domain

_DATACLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        domain.SystemInfo,
        domain.Unit,
        domain.CaseType,
        domain.CaseRef,
        domain.Person,
        domain.Custody,
        domain.Mandate,
        domain.CaseEvent,
        domain.Document,
        domain.Collaboration,
        domain.Case,
    )
}
_ENUMS: dict[str, type[enum.Enum]] = {
    cls.__name__: cls
    for cls in (
        domain.CaseStatus,
        domain.CaseEventKind,
        domain.Channel,
        domain.DocumentDirection,
        domain.CollaborationKind,
        domain.SystemKind,
    )
}


def encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum) and type(value).__name__ in _ENUMS:
        return {"e": type(value).__name__, "v": value.value}
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, tuple):
        return {"t": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, frozenset):
        return {"fs": sorted(encode(v) for v in value)}
    if dataclasses.is_dataclass(value) and type(value).__name__ in _DATACLASSES:
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"dc": type(value).__name__, "f": fields}
    raise TypeError(f"the cache cannot hold a {type(value).__name__}")


def decode(data: Any) -> Any:
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise ValueError("not a cache entry")
    if "dc" in data:
        cls = _DATACLASSES[data["dc"]]  # KeyError for anything not whitelisted
        fields = data["f"]
        if not isinstance(fields, dict):
            raise ValueError("not a cache entry")
        return cls(**{k: decode(v) for k, v in fields.items()})
    if "e" in data:
        return _ENUMS[data["e"]](data["v"])
    if "dt" in data:
        return datetime.fromisoformat(data["dt"])
    if "d" in data:
        return date.fromisoformat(data["d"])
    if "t" in data:
        return tuple(decode(v) for v in data["t"])
    if "fs" in data:
        return frozenset(decode(v) for v in data["fs"])
    raise ValueError("not a cache entry")


class DomainSerializer(BaseSerializer):  # type: ignore[misc]
    """aiocache serializer over `encode`/`decode`; a bad entry raises, i.e. a cache miss."""

    DEFAULT_ENCODING = "utf-8"

    def dumps(self, value: Any) -> str:
        return json.dumps(encode(value), separators=(",", ":"), ensure_ascii=False)

    def loads(self, value: str | bytes | None) -> Any:
        if value is None:
            return None
        try:
            return decode(json.loads(value))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("unreadable cache entry") from exc
