"""`knutpunkt notify outbox [--parked]`: what the outbox holds, for operators.

Addresses are masked: the listing is for seeing what is stuck and why, not whom.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from .model import MessageState, mask_address
from .store import NotifyStore


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def outbox_listing(url: str, out: TextIO, *, parked: bool = False, limit: int = 200) -> int:
    """Print one line per message, newest first; returns how many were listed."""
    store = await NotifyStore.open(url)
    try:
        entries = await store.entries(MessageState.PARKED if parked else None, limit)
        counts = await store.counts()
    finally:
        await store.close()
    summary = ", ".join(f"{s.value.lower()} {counts[s]}" for s in MessageState)
    print(f"outbox: {summary}", file=out)
    print(
        "id\tstate\tkind\tchannel\tto\tattempts\tcreated\tnext attempt\tsent\tlast error", file=out
    )
    for e in entries:
        print(
            "\t".join(
                (
                    e.id,
                    e.state.value,
                    e.kind.value,
                    e.channel.value,
                    mask_address(e.address),
                    str(e.attempts),
                    _when(e.created_at),
                    _when(e.next_attempt_at) if e.state is MessageState.PENDING else "-",
                    _when(e.sent_at),
                    e.last_error or "-",
                )
            ),
            file=out,
        )
    return len(entries)
