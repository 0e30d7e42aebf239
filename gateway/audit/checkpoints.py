"""The access log's key and its signed checkpoints, both kept outside the database.

The key (`[audit] key`, i.e. `KNUTPUNKT_AUDIT_KEY`, or the file `[audit] key_file`)
seals the chain with HMAC-SHA256 (`gateway.audit.chain`). A checkpoint is one JSON line
appended to `[audit] checkpoint_file`:

    {"seq": 1234, "head": "<hash of record 1234>", "keyedFrom": 1, "at": "...", "mac": "..."}

`mac` is HMAC-SHA256 under the same key over the other fields, so nobody without the
key can forge or change one. `keyedFrom` is the first record sealed under the key (the
ones before are legacy, sha256-chained, and anchored by the first checkpoint's head).
The gateway appends one every `checkpoint_every` records or `checkpoint_seconds`,
whichever comes first, and at shutdown. `knutpunkt audit verify` then catches a log cut
short (it ends before the latest checkpoint), emptied, or re-hashed without the key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connectors.errors import AuditUnavailable, SettingsError

from .chain import Anchors

log = logging.getLogger("knutpunkt.audit")

#: a key shorter than this (bytes) is refused: HMAC-SHA256 wants 32
MIN_KEY_BYTES = 32
_DOMAIN = b"knutpunkt-audit-checkpoint:"


def load_key(key: str, key_file: str, *, generate: bool = False) -> bytes | None:
    """The chain key from the setting or its file (None: the log is not keyed).

    `generate=True` (the demo) writes a new random key to `key_file` when it is missing.
    """
    if key:
        raw = key.strip().encode("utf-8")
    elif key_file:
        path = Path(key_file)
        if not path.exists() and generate:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets.token_hex(32) + "\n")
        try:
            raw = path.read_text(encoding="utf-8").strip().encode("utf-8")
        except OSError:
            raise SettingsError(
                f"Nyckelfilen för åtkomstloggen ({key_file}) går inte att läsa."
            ) from None
    else:
        return None
    if len(raw) < MIN_KEY_BYTES:
        raise SettingsError(f"Åtkomstloggens nyckel ska vara minst {MIN_KEY_BYTES} tecken.")
    return raw


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    head: str
    keyed_from: int
    at: str

    def payload(self) -> bytes:
        fields = {"seq": self.seq, "head": self.head, "keyedFrom": self.keyed_from, "at": self.at}
        return _DOMAIN + json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


class CheckpointFile:
    """The JSON-lines file of signed checkpoints (appended, fsynced, never rewritten)."""

    def __init__(self, path: str, key: bytes) -> None:
        self.path = Path(path)
        self._key = key

    def _mac(self, checkpoint: Checkpoint) -> str:
        return hmac.new(self._key, checkpoint.payload(), hashlib.sha256).hexdigest()

    def append(self, checkpoint: Checkpoint) -> None:
        line = {
            "seq": checkpoint.seq,
            "head": checkpoint.head,
            "keyedFrom": checkpoint.keyed_from,
            "at": checkpoint.at,
            "mac": self._mac(checkpoint),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (json.dumps(line, separators=(",", ":")) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[Checkpoint] | None:
        """Every checkpoint (None: no file). Raises ValueError for a line that is not one
        signed with this key, or checkpoints that disagree on where keying began."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        found: list[Checkpoint] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                checkpoint = Checkpoint(
                    seq=int(data["seq"]),
                    head=str(data["head"]),
                    keyed_from=int(data["keyedFrom"]),
                    at=str(data["at"]),
                )
                mac = str(data["mac"])
            except (ValueError, TypeError, KeyError) as exc:
                raise ValueError(f"line {number} is not a checkpoint") from exc
            if not hmac.compare_digest(mac, self._mac(checkpoint)):
                raise ValueError(f"line {number} is not signed with this key")
            if found and checkpoint.keyed_from != found[0].keyed_from:
                raise ValueError(f"line {number} disagrees on where keying began")
            found.append(checkpoint)
        return found

    def anchors(self) -> Anchors | None:
        """What the checkpoints say (None: no file, or an empty one)."""
        found = self.read()
        if not found:
            return None
        return Anchors(found[0].keyed_from, {c.seq: c.head for c in found})


class Checkpointer:
    """Appends a checkpoint after every `every` records or `seconds`, and at `flush`."""

    def __init__(
        self,
        file: CheckpointFile,
        *,
        every: int,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.file = file
        self.every = max(1, every)
        self.seconds = seconds
        self._clock = clock
        self.keyed_from: int | None = None
        self._written: tuple[int, str] | None = None
        self._pending: tuple[int, str] | None = None
        self._since = 0
        self._last = clock()
        self._lock = asyncio.Lock()

    async def start(
        self, head: tuple[int, str], keyed_from: Callable[[], Awaitable[int | None]]
    ) -> None:
        """Read where keying began, or begin it: a new file gets a first checkpoint at
        the current head (anchoring the legacy records before it)."""
        try:
            found = await asyncio.to_thread(self.file.read)
        except ValueError as exc:
            raise AuditUnavailable(f"the checkpoint file is not usable: {exc}") from exc
        if found:
            self.keyed_from = found[0].keyed_from
            self._written = (found[-1].seq, found[-1].head)
            return
        first = await keyed_from()
        self.keyed_from = first if first is not None else head[0] + 1
        self._pending = head
        await self.flush()

    async def note(self, seq: int, head: str, count: int) -> None:
        """After an append: the new head, and how many records it added."""
        self._pending = (seq, head)
        self._since += count
        if self._since >= self.every or self._clock() - self._last >= self.seconds:
            await self.flush()

    async def flush(self) -> None:
        """Checkpoint the latest head, unless it is checkpointed already."""
        async with self._lock:
            pending = self._pending
            if pending is None or pending == self._written or self.keyed_from is None:
                return
            checkpoint = Checkpoint(
                seq=pending[0],
                head=pending[1],
                keyed_from=self.keyed_from,
                at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            await asyncio.to_thread(self.file.append, checkpoint)
            self._written, self._since, self._last = pending, 0, self._clock()

    async def tick(self) -> None:
        """Run until cancelled: every `seconds`, checkpoint what quiet times left pending."""
        while True:
            await asyncio.sleep(self.seconds)
            try:
                await self.flush()
            except OSError:
                log.error("the audit checkpoint file cannot be written", exc_info=True)
