"""Relay-style connections over in-memory lists, with bounded page sizes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from connectors.errors import ValidationError

from .ids import cursor, parse_cursor

T = TypeVar("T")

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[tuple[str, T]]  # (cursor, item)
    has_next: bool
    total: int

    @property
    def end_cursor(self) -> str | None:
        return self.items[-1][0] if self.items else None


def check_first(first: int | None, default: int = 50) -> int:
    if first is None:
        return default
    if not 1 <= first <= MAX_PAGE:
        raise ValidationError(
            f"first ska vara mellan 1 och {MAX_PAGE}.", code="INVALID_PAGE_SIZE", field="first"
        )
    return first


def paginate(items: Sequence[T], first: int | None, after: str | None, kind: str) -> Page[T]:
    """The page of `items` after the `after` cursor, `first` long."""
    size = check_first(first)
    start = parse_cursor(kind, after)
    chunk = items[start : start + size]
    return Page(
        items=[(cursor(kind, start + i), item) for i, item in enumerate(chunk)],
        has_next=start + size < len(items),
        total=len(items),
    )
