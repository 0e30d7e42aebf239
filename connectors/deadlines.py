"""The request deadline every upstream call runs under, and a hop's share of it.

`request_deadline` is the absolute `time.monotonic()` deadline of the current GraphQL
request; `hop_deadline` a tighter one for the calls of one hop (a register look-up may
take only a share of the time left, `deadline_share`). Whether a call starts at all
is measured against the request's time left (`remaining_time`), how long it may take
against the tighter of the two (`time_allowed`).
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

#: Absolute deadline (``time.monotonic()``) of the current GraphQL request.
request_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "request_deadline", default=None
)
#: Absolute deadline of the current hop (a register look-up's share), if tighter.
hop_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "hop_deadline", default=None
)


def remaining_time() -> float | None:
    """Seconds left of the request's deadline (what `min_budget` is measured against)."""
    deadline = request_deadline.get()
    if deadline is None:
        return None
    return deadline - time.monotonic()


def time_allowed() -> float | None:
    """Seconds one call may take: the request's time left, or its hop's if tighter."""
    ends = [d for d in (request_deadline.get(), hop_deadline.get()) if d is not None]
    return min(ends) - time.monotonic() if ends else None


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Set the request deadline for everything awaited inside the block."""
    with at_deadline(time.monotonic() + seconds):
        yield


@contextlib.contextmanager
def deadline_share(share: float) -> Iterator[None]:
    """Let the calls in the block take only `share` of the time left of the request's
    deadline (a first hop, so that the calls after it keep the rest). Whether a call
    starts at all is still measured against the whole request's time left."""
    current = request_deadline.get()
    if current is None or share >= 1.0:
        yield
        return
    now = time.monotonic()
    end = now + max(0.0, current - now) * share
    hop = hop_deadline.get()
    token = hop_deadline.set(end if hop is None else min(hop, end))
    try:
        yield
    finally:
        hop_deadline.reset(token)


@contextlib.contextmanager
def at_deadline(absolute: float | None) -> Iterator[None]:
    """Run the block under an absolute `time.monotonic()` deadline (None: no deadline),
    with no hop deadline of an enclosing block."""
    token = request_deadline.set(absolute)
    hop = hop_deadline.set(None)
    try:
        yield
    finally:
        hop_deadline.reset(hop)
        request_deadline.reset(token)
