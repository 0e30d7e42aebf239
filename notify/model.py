"""The values the notification package stores and passes around."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Channel(enum.Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class MessageKind(enum.Enum):
    CODE = "CODE"  # a one-time code to confirm an address
    NEWS = "NEWS"  # "there is news on Mina Sidor"


class MessageState(enum.Enum):
    PENDING = "PENDING"
    SENT = "SENT"
    PARKED = "PARKED"


@dataclass(frozen=True, slots=True)
class Preferences:
    """One citizen's notification settings as stored."""

    personal_number: str
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None
    phone_verified: bool = False
    channels: frozenset[Channel] = frozenset()
    include_represented: bool = True

    def address(self, channel: Channel) -> str | None:
        """Where to send news on `channel`: chosen and verified, else None."""
        if channel not in self.channels:
            return None
        if channel is Channel.EMAIL:
            return self.email if self.email_verified else None
        return self.phone if self.phone_verified else None

    @property
    def active_channels(self) -> list[Channel]:
        return [c for c in Channel if self.address(c) is not None]


@dataclass(frozen=True, slots=True)
class Message:
    """One message for the outbox. `id` is the idempotency key (and the Message-ID)."""

    id: str
    kind: MessageKind
    channel: Channel
    address: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox row as operators see it."""

    id: str
    kind: MessageKind
    channel: Channel
    address: str
    state: MessageState
    attempts: int
    created_at: float
    next_attempt_at: float
    sent_at: float | None
    last_error: str


def mask_address(address: str) -> str:
    """For operators' listings: `k***@example.se`, `+4670*****67`."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(address) < 9:
        return "***"
    return address[:5] + "*" * (len(address) - 7) + address[-2:]
