"""Notification settings on Mina Sidor: the query and the project's first mutations.

Thin: check the role, turn the input into a `notify.Change`, let `notify` decide.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from connectors.errors import NotificationsDisabled
from notify import Change, Channel, Preferences, PreferenceService
from policies.functions import Operation, require_role

from .context import Context

# registers the enum under its schema name; annotations then use `Channel` itself
NotificationChannel = strawberry.enum(Channel, name="NotificationChannel")


@strawberry.input
class NotificationSettingsInput:
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    channels: list[Channel] = strawberry.field(
        description="The channels to use; an empty list turns notifications off."
    )
    include_represented: bool = strawberry.field(
        default=True,
        description="Also tell about new events in the cases of persons the citizen represents.",
    )


@strawberry.type
class NotificationSettings:
    email: str | None
    email_verified: bool
    phone: str | None
    phone_verified: bool
    channels: list[Channel]
    include_represented: bool

    @classmethod
    def of(cls, p: Preferences) -> NotificationSettings:
        return cls(
            email=p.email,
            email_verified=p.email_verified,
            phone=p.phone,
            phone_verified=p.phone_verified,
            channels=[c for c in Channel if c in p.channels],
            include_represented=p.include_represented,
        )


def _service(ctx: Context) -> tuple[PreferenceService, str]:
    require_role(ctx.caller, Operation.NOTIFICATION_SETTINGS)
    assert ctx.caller.personal_number is not None
    service: PreferenceService | None = ctx.services.notifications
    if service is None:
        raise NotificationsDisabled()
    return service, ctx.caller.personal_number


@strawberry.type
class NotificationQuery:
    @strawberry.field(
        description="How the signed-in citizen is told that there is news on Mina Sidor. CITIZEN only."
    )
    async def my_notification_settings(self, info: Info[Context, None]) -> NotificationSettings:
        service, pnr = _service(info.context)
        return NotificationSettings.of(await service.get(pnr))


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Mina Sidor: choose how to be told that there is news in one's cases. CITIZEN only.\nA new e-mail address or phone number gets a code and is used only once verified."
    )
    async def set_notification_settings(
        self, info: Info[Context, None], input: NotificationSettingsInput
    ) -> NotificationSettings:
        service, pnr = _service(info.context)
        email_given = input.email is not strawberry.UNSET
        phone_given = input.phone is not strawberry.UNSET
        change = Change(
            channels=frozenset(input.channels),
            include_represented=input.include_represented,
            email=input.email if email_given else None,
            email_given=email_given,
            phone=input.phone if phone_given else None,
            phone_given=phone_given,
        )
        return NotificationSettings.of(await service.change(pnr, change))

    @strawberry.mutation(
        description="Confirm an e-mail address or phone number with the code sent to it. CITIZEN only."
    )
    async def verify_notification_channel(
        self, info: Info[Context, None], channel: Channel, code: str
    ) -> NotificationSettings:
        service, pnr = _service(info.context)
        return NotificationSettings.of(await service.verify(pnr, channel, code))
