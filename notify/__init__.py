"""Telling citizens that there is news on Mina Sidor, by e-mail or SMS.

What the packages above may use: the settings section, the store, the preference
service behind the GraphQL mutations, the notifier the signal processor calls,
and the outbox worker (and its `OutboxMetrics`, which /metrics shows).
"""

from .model import Channel, Message, MessageKind, MessageState, OutboxEntry, Preferences
from .notifier import Notifier
from .outbox import Outbox, OutboxMetrics
from .preferences import Change, PreferenceService
from .service import Notifications, open_notifications
from .settings import NotifySettings
from .store import NotifyStore

__all__ = [
    "Change",
    "Channel",
    "Message",
    "MessageKind",
    "MessageState",
    "Notifications",
    "Notifier",
    "NotifySettings",
    "NotifyStore",
    "Outbox",
    "OutboxEntry",
    "OutboxMetrics",
    "PreferenceService",
    "Preferences",
    "open_notifications",
]
