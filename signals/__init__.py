"""Signals: the hub hears what happens (ärendehändelsesignalering).

What the packages above use: `open_signals` and `Signals` (the running inbox,
processor, bus and hub), `wrap_sources` (long caching for signalling systems),
`CaseChange` (what processor listeners receive), the intake's `verify`/`parse`
and `SignalRefused`, `InboxFull`, and `SignalMetrics` (the counters /metrics shows).
"""

from .intake import SignalRefused, parse, verify
from .metrics import SignalMetrics
from .model import MAX_BATCH, MAX_BODY_BYTES, CaseChange, ChangeNote, Signal
from .processor import Processor
from .service import InboxFull, Signals, open_signals, wrap_sources

__all__ = [
    "MAX_BATCH",
    "MAX_BODY_BYTES",
    "CaseChange",
    "ChangeNote",
    "InboxFull",
    "Processor",
    "Signal",
    "SignalMetrics",
    "SignalRefused",
    "Signals",
    "open_signals",
    "parse",
    "verify",
    "wrap_sources",
]
