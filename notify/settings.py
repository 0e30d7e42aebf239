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
