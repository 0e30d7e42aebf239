"""The `[notify]` section: how citizens are told that there is news on Mina Sidor.

`gateway.settings` reads it from the file and `KNUTPUNKT_NOTIFY_<KEY>` like every
other section; this package only uses it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NotifySettings:
    enabled: bool = True
    #: the hub's own store of settings, codes, digests and the outbox
    url: str = "sqlite:///var/notify.db"
    #: the municipality's mail relay: smtp://user:pass@host:587?starttls=true, smtps://...
    smtp_url: str = ""
    sender: str = "Exempelby kommun <noreply@exempelby.se>"
    #: the SMS gateway's send endpoint (POST JSON {"to", "from", "message"})
    sms_url: str = ""
    sms_token: str = ""
    sms_sender: str = "Exempelby"
    #: where the citizen logs in; the only thing a message points to
    portal_url: str = "https://minasidor.exempelby.se"
    #: at most one message per person and channel per window (may be fractional in tests)
    digest_minutes: float = 15.0
    #: SMS wait until the end of these hours (local time of `timezone`); "" = none
    quiet_hours: str = "21:00-08:00"
    timezone: str = "Europe/Stockholm"
    #: one-time codes: validity, wrong tries before the channel is locked, and for how long
    code_minutes: float = 10.0
    code_attempts: int = 5
    lock_minutes: float = 15.0
    #: outbox: tries before a message is parked, backoff from base doubling up to max
    max_attempts: int = 8
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 900.0
    #: how often the worker looks for due messages even when not woken
    poll_seconds: float = 1.0
    #: a claimed message is retried by anyone after this long (a worker died mid-send)
    lease_seconds: float = 120.0
    send_timeout_seconds: float = 10.0
    #: messages of one batch sent at the same time (connections to the relay)
    send_concurrency: int = 8


def validate(settings: NotifySettings) -> None:
    """Raise ValueError naming the key when `[notify]` cannot work (checked at start-up)."""
    from .planner import QuietHours
    from .senders import SmtpTarget

    if settings.smtp_url:
        try:
            SmtpTarget.parse(settings.smtp_url)
        except ValueError as exc:
            raise ValueError(f"smtp_url: {exc}") from None
    if settings.sms_url and not settings.sms_url.startswith(("https://", "http://")):
        raise ValueError("sms_url must be an http(s) URL")
    if not settings.portal_url.startswith(("https://", "http://")):
        raise ValueError("portal_url must be an http(s) URL")
    try:
        QuietHours.parse(settings.quiet_hours, settings.timezone)
    except (ValueError, KeyError) as exc:
        raise ValueError(f"quiet_hours/timezone: {exc}") from None
    for name in ("digest_minutes", "retry_base_seconds", "lease_seconds", "poll_seconds"):
        if getattr(settings, name) < 0:
            raise ValueError(f"{name} must not be negative")
    for name in ("code_attempts", "max_attempts", "send_concurrency"):
        if getattr(settings, name) < 1:
            raise ValueError(f"{name} must be at least 1")
    if not 0 < settings.code_minutes <= 60:
        raise ValueError("code_minutes must be more than 0 and at most 60")
