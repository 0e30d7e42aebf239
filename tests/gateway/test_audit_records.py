"""The access log's pure parts: sealing, the canonical form, escaping, cursors, URLs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.errors import AuditUnavailable, SettingsError, ValidationError
from gateway.audit import (
    GENESIS_HASH,
    AuditUrl,
    NewAuditRecord,
    Outcome,
    chain_hash,
    decode_cursor,
    encode_cursor,
    escape_text,
    from_row,
    parse_audit_url,
    seal,
    seal_all,
    to_row,
)
from policies.caller import Role

STOCKHOLM_WINTER = timezone(timedelta(hours=1))


def new_record(**overrides: object) -> NewAuditRecord:
    fields: dict[str, object] = {
        "request_id": "req-1",
        "actor": "officer-7",
        "actor_role": Role.CASE_OFFICER,
        "actor_units": ("BN", "MBN"),
        "subject": "195606055555",
        "purpose": "Handläggning av bygglov",
        "operation": "case",
        "outcome": Outcome.ALLOWED,
        "disclosed": (("byggr:BN-2025-193", "FULL"),),
        "at": datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=STOCKHOLM_WINTER),
    }
    fields.update(overrides)
    return NewAuditRecord(**fields)  # type: ignore[arg-type]


def test_seal_hashes_prev_hash_and_the_canonical_json() -> None:
    record = seal(new_record(), 1, GENESIS_HASH, datetime.now(UTC))

    expected_json = (
        '{"actor":"officer-7","actor_role":"CASE_OFFICER","actor_units":["BN","MBN"],'
        '"at":"2025-03-01T08:30:15.123456+00:00","disclosed":[["byggr:BN-2025-193","FULL"]],'
        '"operation":"case","outcome":"ALLOWED","purpose":"Handläggning av bygglov",'
        '"request_id":"req-1","seq":1,"subject":"195606055555"}'
    )
    expected = hashlib.sha256((GENESIS_HASH + expected_json).encode()).hexdigest()
    assert record.hash == expected
    assert record.at == datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    assert record.actor_unit == "BN"
    assert record.prev_hash == "0" * 64


def test_every_field_and_the_predecessor_change_the_hash() -> None:
    base = seal(new_record(), 5, GENESIS_HASH, datetime.now(UTC))
    variants = [
        replace(base, seq=6),
        replace(base, at=base.at + timedelta(microseconds=1)),
        replace(base, request_id="req-2"),
        replace(base, actor="officer-8"),
        replace(base, actor_role=Role.CONTACT_CENTRE),
        replace(base, actor_units=("MBN", "BN")),
        replace(base, subject="193404124129"),
        replace(base, purpose="Handläggning av bygglov."),
        replace(base, operation="citizen"),
        replace(base, disclosed=(("byggr:BN-2025-193", "SUMMARY"),)),
        replace(base, outcome=Outcome.DENIED),
        replace(base, prev_hash="f" * 64),
    ]
    hashes = {chain_hash(v) for v in variants}
    assert len(hashes) == len(variants)
    assert chain_hash(base) not in hashes
    assert chain_hash(base) == base.hash


def test_seal_all_chains_one_request_after_the_head() -> None:
    now = datetime(2025, 5, 2, 12, 0, tzinfo=UTC)
    records = seal_all(
        [new_record(at=None), new_record(at=None, subject="201903142386")], 41, "a" * 64, now
    )

    assert [r.seq for r in records] == [42, 43]
    assert records[0].prev_hash == "a" * 64
    assert records[1].prev_hash == records[0].hash
    assert {r.at for r in records} == {now}


def test_row_round_trip_is_lossless() -> None:
    record = seal(
        new_record(disclosed=(("a", "FULL"), ("b", "NONE"))), 3, "b" * 64, datetime.now(UTC)
    )
    assert from_row(to_row(record, at_as_text=True)) == record
    assert from_row(to_row(record, at_as_text=False)) == record


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (4, "ROOT"),
        (10, "MAYBE"),
        (5, "not json"),
        (9, json.dumps([["only-one"]])),
        (1, "yesterday"),
    ],
)
def test_malformed_rows_are_rejected(column: int, value: str) -> None:
    row = list(to_row(seal(new_record(), 1, GENESIS_HASH, datetime.now(UTC)), at_as_text=True))
    row[column] = value
    with pytest.raises((ValueError, TypeError)):
        from_row(row)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        new_record(at=datetime(2025, 1, 1, 12, 0))


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("Telefonsamtal\nmed medborgaren", "Telefonsamtal\\nmed medborgaren"),
        ("a\r\tb\x00c\x1b[2J", "a\\r\\tb\\x00c\\x1b[2J"),
        ("\x85 och \u2028 och \u2029", "\\x85 och \\u2028 och \\u2029"),
        ("namn \u202eevil\u202c", "namn \\u202eevil\\u202c"),
        ("\ud800", "\\ud800"),
        ("Åäö, \\n är redan escapat", "Åäö, \\n är redan escapat"),
    ],
)
def test_escape_text(raw: str, escaped: str) -> None:
    assert escape_text(raw) == escaped
    assert escape_text(escaped) == escaped


def test_seal_escapes_every_text_field() -> None:
    record = seal(
        new_record(purpose="x\ny", actor="a\x07", disclosed=(("id\n", "FULL"),)),
        1,
        GENESIS_HASH,
        datetime.now(UTC),
    )
    assert (record.purpose, record.actor, record.disclosed) == (
        "x\\ny",
        "a\\x07",
        (("id\\n", "FULL"),),
    )


def test_cursor_round_trip_and_bad_cursors() -> None:
    assert decode_cursor(encode_cursor(1234)) == 1234
    for bad in ["", "abc", "!!!", encode_cursor(0), "Y2FzZToxMg==", "YXVkaXQ6eA=="]:
        with pytest.raises(ValidationError) as info:
            decode_cursor(bad)
        assert info.value.extensions() == {"code": "BAD_USER_INPUT", "field": "after"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///var/audit.db", AuditUrl("sqlite", "var/audit.db", None)),
        ("sqlite:////srv/kp/audit.db", AuditUrl("sqlite", "/srv/kp/audit.db", None)),
        ("sqlite:///:memory:", AuditUrl("sqlite", ":memory:", None)),
        ("sqlite:///a.db?table=log_2", AuditUrl("sqlite", "a.db", "log_2")),
        (
            "postgresql://kp@db:5432/prod?table=audit.access_log&sslmode=require",
            AuditUrl(
                "postgresql", "postgresql://kp@db:5432/prod?sslmode=require", "audit.access_log"
            ),
        ),
        ("postgres://kp@db/prod", AuditUrl("postgresql", "postgres://kp@db/prod", None)),
    ],
)
def test_parse_audit_url(url: str, expected: AuditUrl) -> None:
    assert parse_audit_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "mysql://db/audit",
        "sqlite://var/audit.db",
        "sqlite:///",
        "sqlite:///a.db?mode=ro",
        "postgresql://db/x?table=audit;drop",
        'postgresql://db/x?table="x"',
        "postgresql://db/x?table=a.b.c",
        "/var/audit.db",
    ],
)
def test_bad_audit_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse_audit_url(url)
    assert info.value.code == "BAD_CONFIGURATION"


def test_audit_unavailable_is_coded_and_says_nothing_internal() -> None:
    error = AuditUnavailable("cannot connect to the audit log database")
    assert error.extensions() == {"code": "AUDIT_UNAVAILABLE"}
    assert (
        error.message == "Åtkomstloggen är inte tillgänglig just nu, därför visas inga uppgifter."
    )
    assert error.detail == "cannot connect to the audit log database"
