"""Helpers for the notification tests (tests/_support is on pytest's path)."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """A clock the tests move by hand (injected, never patched)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)
