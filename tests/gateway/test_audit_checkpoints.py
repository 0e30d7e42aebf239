"""The access log's key, checkpoint file and keyed chain as plain functions."""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import SettingsError
from gateway.audit import (
    GENESIS_HASH,
    REASON_CHANGED,
    Anchors,
    AuditRecord,
    Checkpoint,
    CheckpointFile,
    NewAuditRecord,
    Outcome,
    load_key,
    seal_all,
    to_row,
    verify_chain,
)
from gateway.audit.checkpoints import Checkpointer
from policies.caller import Role

KEY = b"0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def _new(i: int) -> NewAuditRecord:
    return NewAuditRecord(
        request_id=f"req-{i}",
        actor="kc-1",
        actor_role=Role.CONTACT_CENTRE,
        actor_units=("KC",),
        subject="191212121212",
        purpose="Samtal",
        operation="citizen",
        outcome=Outcome.ALLOWED,
    )


def _chain(legacy: int, keyed: int) -> list[AuditRecord]:
    first = seal_all([_new(i) for i in range(legacy)], 0, GENESIS_HASH, NOW)
    head = (len(first), first[-1].hash if first else GENESIS_HASH)
    return first + seal_all([_new(i) for i in range(keyed)], *head, NOW, KEY)


def _fetch(records: Sequence[AuditRecord]) -> Any:
    rows = [to_row(r, at_as_text=True) for r in records]

    async def fetch(after: int, limit: int) -> list[tuple[object, ...]]:
        return [r for r in rows if int(r[0]) > after][:limit]  # type: ignore[call-overload]

    return fetch


async def test_key_without_checkpoints_allows_legacy_records_only_before_keyed_ones() -> None:
    records = _chain(2, 3)
    assert (await verify_chain(_fetch(records), key=KEY)).ok
    # a legacy (sha256) record after the first keyed one: re-hashed without the key
    forged = records[:3] + seal_all([_new(9)], 3, records[2].hash, NOW)
    result = await verify_chain(_fetch(forged), key=KEY)
    assert (result.ok, result.first_broken, result.reason) == (False, 4, REASON_CHANGED)


async def test_anchors_say_where_keying_began() -> None:
    records = _chain(2, 3)
    anchors = Anchors(keyed_from=3, heads={2: records[1].hash, 5: records[4].hash})
    assert (await verify_chain(_fetch(records), key=KEY, anchors=anchors)).ok
    wrong = Anchors(keyed_from=2, heads={})  # record 2 is legacy, not keyed
    result = await verify_chain(_fetch(records), key=KEY, anchors=wrong)
    assert (result.ok, result.first_broken) == (False, 2)


def test_checkpoint_lines_are_signed(tmp_path: Path) -> None:
    file = CheckpointFile(str(tmp_path / "cp"), KEY)
    file.append(Checkpoint(seq=4, head="ab" * 32, keyed_from=1, at="2026-12-03T06:00:00+00:00"))
    assert file.anchors() == Anchors(keyed_from=1, heads={4: "ab" * 32})
    assert stat.S_IMODE((tmp_path / "cp").stat().st_mode) == 0o600
    other = CheckpointFile(str(tmp_path / "cp"), b"another key of at least 32 bytes!")
    with pytest.raises(ValueError, match="not signed with this key"):
        other.read()
    assert CheckpointFile(str(tmp_path / "none"), KEY).anchors() is None


async def test_checkpoints_every_n_records_or_t_seconds_and_at_flush(tmp_path: Path) -> None:
    now = [0.0]
    file = CheckpointFile(str(tmp_path / "cp"), KEY)
    points = Checkpointer(file, every=3, seconds=60, clock=lambda: now[0])

    async def none_keyed() -> int | None:
        return None

    await points.start((0, GENESIS_HASH), none_keyed)
    await points.note(1, "h1", 1)
    await points.note(2, "h2", 1)
    await points.note(3, "h3", 1)  # the third record
    await points.note(4, "h4", 1)
    now[0] = 61.0
    await points.note(5, "h5", 1)  # a minute since the last one
    await points.note(6, "h6", 1)
    await points.flush()  # shutdown
    await points.flush()  # nothing new: nothing written
    lines = [json.loads(x) for x in (tmp_path / "cp").read_text().splitlines()]
    assert [(x["seq"], x["head"], x["keyedFrom"]) for x in lines] == [
        (0, GENESIS_HASH, 1),
        (3, "h3", 1),
        (5, "h5", 1),
        (6, "h6", 1),
    ]


def test_keys_are_read_generated_or_refused(tmp_path: Path) -> None:
    assert load_key("", "") is None
    assert load_key(KEY.decode(), str(tmp_path / "ignored")) == KEY
    made = tmp_path / "var" / "audit.key"
    key = load_key("", str(made), generate=True)
    assert key is not None and len(key) == 64
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert load_key("", str(made)) == key  # read again, not replaced
    with pytest.raises(SettingsError, match="minst 32"):
        load_key("short", "")
    with pytest.raises(SettingsError, match="går inte att läsa"):
        load_key("", str(tmp_path / "missing.key"))
