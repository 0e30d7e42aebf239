"""A citizen's choices: read them, change them, confirm an address with a code.

A new e-mail address or phone number is stored unverified and gets a one-time
code (6 digits, valid `code_minutes`, stored only as a salted hash bound to the
person, channel and address); it is used for news only once the code came back.
`code_attempts` wrong codes lock the channel for `lock_minutes`: no tries and no
new codes meanwhile. Input is checked completely before anything is written, and
the settings, the code and the message carrying it are written in one transaction:
a rejected change stores nothing and sends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from casestore.sql import Step
from connectors.errors import ValidationError

from .addresses import normalise_email, normalise_phone
from .model import Channel, Message, MessageKind, Preferences
from .settings import NotifySettings
from .store import NotifyStore
from .texts import code_text

CODE_DIGITS = 6
#: a repeated request for the same unconfirmed address within this many seconds reuses the code
RESEND_AFTER_SECONDS = 60.0
_CODE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True, slots=True)
class Change:
    """What `setNotificationSettings` asks for; `email_given`/`phone_given` False = keep."""

    channels: frozenset[Channel]
    include_represented: bool = True
    email: str | None = None
    email_given: bool = False
    phone: str | None = None
    phone_given: bool = False


class PreferenceService:
    """The settings mutations' core, over the store; `wake` nudges the outbox."""

    def __init__(
        self,
        store: NotifyStore,
        settings: NotifySettings,
        clock: Callable[[], datetime],
        wake: Callable[[], None] = lambda: None,
        available: frozenset[Channel] = frozenset(Channel),
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._wake = wake
        self._available = available  # the channels the municipality can send on

    async def get(self, pnr: str) -> Preferences:
        return await self._store.preferences(pnr) or Preferences(pnr)

    async def change(self, pnr: str, change: Change) -> Preferences:
        now = self._clock().timestamp()
        current = await self.get(pnr)
        updated = replace(
            current, channels=change.channels, include_represented=change.include_represented
        )
        new_addresses: dict[Channel, str] = {}
        if change.email_given:
            email = normalise_email(change.email) if change.email else None
            if email != current.email or (email and not current.email_verified):
                updated = replace(updated, email=email, email_verified=False)
                if email:
                    new_addresses[Channel.EMAIL] = email
        if change.phone_given:
            phone = normalise_phone(change.phone) if change.phone else None
            if phone != current.phone or (phone and not current.phone_verified):
                updated = replace(updated, phone=phone, phone_verified=False)
                if phone:
                    new_addresses[Channel.SMS] = phone
        for channel in sorted({*change.channels, *new_addresses}, key=lambda c: c.value):
            if channel not in self._available:
                raise ValidationError(
                    "Kommunen skickar inte e-post just nu."
                    if channel is Channel.EMAIL
                    else "Kommunen skickar inte sms just nu.",
                    code="CHANNEL_UNAVAILABLE",
                    field="channels",
                )
        for channel in sorted(change.channels, key=lambda c: c.value):
            if _address(updated, channel) is None:
                raise ValidationError(
                    "Ange en e-postadress för att få e-post."
                    if channel is Channel.EMAIL
                    else "Ange ett mobilnummer för att få sms.",
                    code="CHANNEL_WITHOUT_ADDRESS",
                    field="channels",
                )
        steps: list[Step] = [NotifyStore.save_preferences_step(updated, now)]
        sent = False
        for channel in Channel:
            address = new_addresses.get(channel)
            if address is None:
                if _address(updated, channel) is None:
                    steps.append(NotifyStore.drop_code_step(pnr, channel))
                continue
            state = await self._store.code_state(pnr, channel)
            if state is not None and state[1] > now:
                raise _locked(channel)
            if state is not None and address == _address(current, channel):
                issued = state[0] - self._settings.code_minutes * 60
                if now - issued < RESEND_AFTER_SECONDS:
                    continue  # the code just sent still holds: no flood of codes
            steps += self._code_steps(pnr, channel, address, now)
            sent = True
        await self._store.run(steps)
        if sent:
            self._wake()
        return updated

    def _code_steps(self, pnr: str, channel: Channel, address: str, now: float) -> list[Step]:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(16)
        minutes = self._settings.code_minutes
        subject, body = code_text(channel, code, round(minutes), self._settings.portal_url)
        message = Message(
            id=secrets.token_hex(16),
            kind=MessageKind.CODE,
            channel=channel,
            address=address,
            subject=subject,
            body=body,
        )
        return [
            NotifyStore.save_code_step(
                pnr,
                channel,
                address,
                salt,
                _hash(salt, pnr, channel, address, code),
                now + minutes * 60,
            ),
            NotifyStore.enqueue_step(message, now),
        ]

    async def verify(self, pnr: str, channel: Channel, code: str) -> Preferences:
        now = self._clock().timestamp()
        code = code.strip()
        if not _CODE.match(code):
            raise ValidationError("Koden är sex siffror.", code="INVALID_CODE", field="code")
        state = await self._store.code_state(pnr, channel)
        if state is None:
            raise ValidationError(
                "Det finns ingen kod att bekräfta. Ange adressen eller numret på nytt.",
                code="CODE_NOT_REQUESTED",
                field="channel",
            )
        if state[1] > now:
            raise _locked(channel)
        taken = await self._store.take_attempt(pnr, channel, self._settings.code_attempts, now)
        if taken is None:  # used up and the lock has run out: a new code is needed
            raise ValidationError(
                "Det finns ingen kod att bekräfta. Ange adressen eller numret på nytt.",
                code="CODE_NOT_REQUESTED",
                field="channel",
            )
        address, salt, stored, expires_at, attempts = taken
        current = await self.get(pnr)
        if address != _address(current, channel):
            raise ValidationError(
                "Koden gäller en annan adress. Begär en ny kod.",
                code="CODE_NOT_REQUESTED",
                field="channel",
            )
        if expires_at <= now:
            raise ValidationError(
                "Koden har gått ut. Begär en ny kod.", code="CODE_EXPIRED", field="code"
            )
        if not hmac.compare_digest(_hash(salt, pnr, channel, address, code), stored):
            if attempts >= self._settings.code_attempts:
                await self._store.lock_code(pnr, channel, now + self._settings.lock_minutes * 60)
                raise _locked(channel)
            raise ValidationError("Fel kod.", code="WRONG_CODE", field="code")
        if channel is Channel.EMAIL:
            verified = replace(current, email_verified=True)
        else:
            verified = replace(current, phone_verified=True)
        await self._store.run(
            [
                NotifyStore.save_preferences_step(verified, now),
                NotifyStore.drop_code_step(pnr, channel),
            ]
        )
        return verified


def _address(p: Preferences, channel: Channel) -> str | None:
    return p.email if channel is Channel.EMAIL else p.phone


def _hash(salt: str, pnr: str, channel: Channel, address: str, code: str) -> str:
    text = f"{pnr}|{channel.value}|{address}|{code}".encode()
    return hmac.new(bytes.fromhex(salt), text, hashlib.sha256).hexdigest()


def _locked(channel: Channel) -> ValidationError:
    return ValidationError(
        "För många felaktiga försök. Vänta en stund och begär sedan en ny kod.",
        code="CODE_LOCKED",
        field="code",
    )
