"""Checked reads from decoded upstream JSON.

Each reader raises `KeyError`, `TypeError` or `ValueError` when the answer is not
what the system promised; connectors call them inside `contract_errors(system)`,
which turns any of these into an `UpstreamContractError` (without the body).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

K = TypeVar("K")
V = TypeVar("V")

Json = Mapping[str, object]

#: Connectors hand out aware datetimes in the municipality's zone.
TZ = ZoneInfo("Europe/Stockholm")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Epoch milliseconds beyond year ~2255 or before 1970 are not a real case time.
MAX_MS = 9_000_000_000_000


def as_object(value: object) -> Json:
    if not isinstance(value, Mapping):
        raise TypeError("expected a JSON object")
    return value


def req_object(obj: Json, key: str) -> Json:
    return as_object(obj[key])


def opt_object(obj: Json, key: str) -> Json | None:
    value = obj.get(key)
    return None if value is None else as_object(value)


def objects(obj: Json, key: str) -> list[Json]:
    """A required list of JSON objects."""
    value = obj[key]
    if not isinstance(value, list):
        raise TypeError(f"{key}: expected a list")
    return [as_object(item) for item in value]


def req_str(obj: Json, key: str) -> str:
    value = obj[key]
    if not isinstance(value, str) or not value:
        raise TypeError(f"{key}: expected a non-empty string")
    return value


def opt_str(obj: Json, key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{key}: expected a string")
    return value or None


def req_bool(obj: Json, key: str) -> bool:
    value = obj[key]
    if not isinstance(value, bool):
        raise TypeError(f"{key}: expected a boolean")
    return value


def req_int(obj: Json, key: str) -> int:
    value = obj[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{key}: expected an integer")
    return value


def opt_int(obj: Json, key: str) -> int | None:
    return None if obj.get(key) is None else req_int(obj, key)


def id_text(obj: Json, key: str) -> str:
    """An identifier sent as a string or an integer, as text."""
    value = obj[key]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return req_str(obj, key)


def aware(text: str) -> datetime:
    """An ISO-8601 date-time that carries an offset (or Z), in the municipality's zone."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("date-time without offset")
    return value.astimezone(TZ)


def req_time(obj: Json, key: str) -> datetime:
    return aware(req_str(obj, key))


def opt_time(obj: Json, key: str) -> datetime | None:
    text = opt_str(obj, key)
    return None if text is None else aware(text)


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds as an aware datetime in the municipality's zone."""
    if not 0 <= ms <= MAX_MS:
        raise ValueError("epoch milliseconds out of range")
    return (EPOCH + timedelta(milliseconds=ms)).astimezone(TZ)


def code(table: Mapping[K, V], key: K) -> V:
    """Look a system code up in a mapping table; an unknown code breaks the contract."""
    try:
        return table[key]
    except (KeyError, TypeError):
        raise ValueError("unknown code") from None
