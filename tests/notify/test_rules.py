"""Pure rules: address checks, quiet hours, due times, and the policy's notifying kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from connectors.domain import CaseEvent, CaseEventKind
from connectors.errors import ValidationError
from notify.addresses import normalise_email, normalise_phone
from notify.model import Channel, mask_address
from notify.planner import QuietHours, due_at
from policies.errors import PolicyError
from policies.notification_rules import DEFAULT_KINDS, notifies
from policies.policy import (
    DEFAULT_POLICY,
    load_policy,
    policy_from_toml,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("kalle@exempel.se", "kalle@exempel.se"),
        ("  Kalle.Testson+mina@Exempel.SE ", "Kalle.Testson+mina@exempel.se"),
        ("k@sub.exempel-by.se", "k@sub.exempel-by.se"),
        ("k@xn--exmpel-cua.se", "k@xn--exmpel-cua.se"),
    ],
)
def test_good_email_addresses_are_normalised(given: str, expected: str) -> None:
    assert normalise_email(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "",
        "kalle",
        "@exempel.se",
        "kalle@",
        "kalle@exempel",
        "kalle@@exempel.se",
        "kal le@exempel.se",
        "kalle.@exempel.se",
        ".kalle@exempel.se",
        "ka..lle@exempel.se",
        "kalle@-exempel.se",
        "kalle@exempel.s",
        "kalle@exempel.se\r\nBcc: x@y.se",
        "kalle@exempel.se\x00",
        "kalle@exempel.se\u2028",
        "Kalle <kalle@exempel.se>",
        "kalle@exempel.se;x@y.se",
        "kalle@[127.0.0.1]",
        "kålle@exempel.se",
        "a" * 65 + "@exempel.se",
        "a@" + ("b" * 60 + ".") * 5 + "se",
    ],
)
def test_bad_email_addresses_are_refused_with_a_code(given: str) -> None:
    with pytest.raises(ValidationError) as exc:
        normalise_email(given)
    assert exc.value.extensions() == {"code": "INVALID_EMAIL", "field": "email"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("070-123 45 67", "+46701234567"),
        ("0701234567", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("+46 (0)70-123 45 67", "+46701234567"),
        ("0046701234567", "+46701234567"),
        ("08-123 456 78", "+46812345678"),
        ("+47 412 34 567", "+4741234567"),
    ],
)
def test_phone_numbers_become_e164(given: str, expected: str) -> None:
    assert normalise_phone(given) == expected


@pytest.mark.parametrize(
    "given",
    ["", "070", "070-123", "+4670123456789", "abc", "+0701234567", "070\n1234567", "1" * 33],
)
def test_bad_phone_numbers_are_refused_with_a_code(given: str) -> None:
    with pytest.raises(ValidationError) as exc:
        normalise_phone(given)
    assert exc.value.extensions() == {"code": "INVALID_PHONE", "field": "phone"}


def test_addresses_are_masked_for_operators() -> None:
    assert mask_address("kalle@exempel.se") == "k***@exempel.se"
    assert mask_address("+46701234567") == "+4670*****67"


QUIET = QuietHours.parse("21:00-08:00", "Europe/Stockholm")


@pytest.mark.parametrize(
    ("at", "released"),
    [
        # winter (CET, UTC+1)
        (datetime(2026, 1, 15, 19, 59, tzinfo=UTC), datetime(2026, 1, 15, 19, 59, tzinfo=UTC)),
        (datetime(2026, 1, 15, 20, 0, tzinfo=UTC), datetime(2026, 1, 16, 7, 0, tzinfo=UTC)),
        (datetime(2026, 1, 16, 3, 0, tzinfo=UTC), datetime(2026, 1, 16, 7, 0, tzinfo=UTC)),
        (datetime(2026, 1, 16, 7, 0, tzinfo=UTC), datetime(2026, 1, 16, 7, 0, tzinfo=UTC)),
        # summer (CEST, UTC+2)
        (datetime(2026, 7, 1, 19, 30, tzinfo=UTC), datetime(2026, 7, 2, 6, 0, tzinfo=UTC)),
        # the night the clocks go forward (29 March 2026): 08:00 CEST is 06:00 UTC
        (datetime(2026, 3, 28, 22, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_hold_sms_until_eight_local_time(at: datetime, released: datetime) -> None:
    assert QUIET is not None
    assert QUIET.release(at) == released


def test_due_times_per_channel() -> None:
    opened = datetime(2026, 1, 15, 19, 50, tzinfo=UTC)  # 20:50 local
    window = timedelta(minutes=15)
    assert due_at(opened, Channel.EMAIL, window, QUIET) == opened + window
    assert due_at(opened, Channel.SMS, window, QUIET) == datetime(2026, 1, 16, 7, 0, tzinfo=UTC)
    assert due_at(opened, Channel.SMS, window, None) == opened + window
    assert QuietHours.parse("", "Europe/Stockholm") is None
    day = QuietHours.parse("12:00-13:00", "Europe/Stockholm")
    assert day is not None and day.contains(datetime(2026, 1, 15, 11, 30, tzinfo=UTC))
    with pytest.raises(ValueError):
        QuietHours.parse("21-8", "Europe/Stockholm")


def event(kind: CaseEventKind, internal: bool = False) -> CaseEvent:
    return CaseEvent("e1", datetime(2026, 1, 1, tzinfo=UTC), kind, "x", internal=internal)


def test_the_default_policy_notifies_decisions_completions_and_messages() -> None:
    rules = load_policy().notifications
    assert rules.kinds_for("BYGG-LOV") == DEFAULT_KINDS
    assert notifies(rules, "BYGG-LOV", event(CaseEventKind.DECIDED))
    assert not notifies(rules, "BYGG-LOV", event(CaseEventKind.DECIDED, internal=True))
    assert not notifies(rules, "BYGG-LOV", event(CaseEventKind.REGISTERED))
    assert notifies(rules, "TEK-GATA", event(CaseEventKind.ASSIGNMENT_COMPLETED))
    assert not notifies(rules, "TEK-GATA", event(CaseEventKind.DECIDED))


SHIPPED = resources.files("policies").joinpath(DEFAULT_POLICY).read_text("utf-8")


def without_notifications(text: str) -> str:
    return text[: text.index("[notifications]")]


def test_a_policy_without_the_section_gets_the_defaults_and_exact_codes_win() -> None:
    base = without_notifications(SHIPPED)
    assert policy_from_toml(base).notifications.kinds == DEFAULT_KINDS
    rules = policy_from_toml(
        base
        + '[notifications]\nkinds = ["DECIDED"]\n[notifications.case_types]\n'
        + '"BYGG-*" = ["NOTICE"]\n"BYGG-LOV" = []\n'
    ).notifications
    assert rules.kinds_for("KS-ALLMANT") == {CaseEventKind.DECIDED}
    assert rules.kinds_for("BYGG-RIVNING") == {CaseEventKind.NOTICE}
    assert rules.kinds_for("BYGG-LOV") == frozenset()


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ('kinds = ["DECIDE"]', "notifications.kinds"),
        ("kinds = 'DECIDED'", "notifications.kinds"),
        ('when = ["DECIDED"]', "notifications.when"),
        ('[notifications.case_types]\n"NOPE-X" = ["DECIDED"]', 'notifications.case_types."NOPE-X"'),
        ('[notifications.case_types]\n"ZZ-*" = ["DECIDED"]', 'notifications.case_types."ZZ-*"'),
    ],
)
def test_a_wrong_notifications_section_stops_the_gateway(section: str, key: str) -> None:
    with pytest.raises(PolicyError) as exc:
        policy_from_toml(without_notifications(SHIPPED) + "[notifications]\n" + section + "\n")
    assert exc.value.key == key


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KNUTPUNKT_NOTIFY_SMTP_URL": "http://relay"}, "[notify] smtp_url: "),
        ({"KNUTPUNKT_NOTIFY_QUIET_HOURS": "21-8"}, "[notify] quiet_hours/timezone: "),
        ({"KNUTPUNKT_NOTIFY_TIMEZONE": "Mars/Olympus"}, "[notify] quiet_hours/timezone: "),
        ({"KNUTPUNKT_NOTIFY_CODE_ATTEMPTS": "0"}, "[notify] code_attempts must be at least 1"),
        ({"KNUTPUNKT_NOTIFY_PORTAL_URL": "minasidor"}, "[notify] portal_url must be"),
    ],
)
def test_a_notify_section_that_cannot_work_stops_the_gateway(
    env: dict[str, str], message: str
) -> None:
    from gateway.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as exc:
        load_settings(None, env=env)
    assert exc.value.message.startswith(message) and exc.value.code == "BAD_CONFIGURATION"


def test_the_notify_section_reads_file_and_environment(tmp_path: Path) -> None:
    from gateway.settings import load_settings

    config = tmp_path / "k.toml"
    config.write_text('[notify]\nsmtp_url = "smtp://relay:25"\ndigest_minutes = 5\n')
    notify = load_settings(config, env={"KNUTPUNKT_NOTIFY_QUIET_HOURS": ""}).notify
    assert (notify.smtp_url, notify.digest_minutes, notify.quiet_hours) == (
        "smtp://relay:25",
        5.0,
        "",
    )
    assert load_settings(None, env={}).notify.url == "sqlite:///var/notify.db"
