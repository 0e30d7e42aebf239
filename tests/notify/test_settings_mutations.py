"""The settings mutations through the whole app; codes arrive in the real SMTP sink."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from simulators import personas

SETTINGS = "emailVerified phone phoneVerified channels includeRepresented email"
MY = f"{{ myNotificationSettings {{ {SETTINGS} }} }}"
SET = f"""mutation ($input: NotificationSettingsInput!) {{
  setNotificationSettings(input: $input) {{ {SETTINGS} }} }}"""
VERIFY = f"""mutation ($channel: NotificationChannel!, $code: String!) {{
  verifyNotificationChannel(channel: $channel, code: $code) {{ {SETTINGS} }} }}"""

EMPTY = {
    "email": None,
    "emailVerified": False,
    "phone": None,
    "phoneVerified": False,
    "channels": [],
    "includeRepresented": True,
}


def code_in(text: str) -> str:
    found = re.findall(r"\b[0-9]{6}\b", text)
    assert len(found) == 1, text
    return found[0]


def error_code(body: dict[str, Any]) -> str:
    assert body["data"] is None, body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def test_kalle_sets_an_email_gets_the_code_by_mail_and_verifies_it(
    notify_gateway: Any, sinks: Any
) -> None:
    token = notify_gateway.token("citizen", personas.KALLE)
    body = await notify_gateway.query(MY, token=token)
    assert body == {"data": {"myNotificationSettings": EMPTY}}

    body = await notify_gateway.query(
        SET, {"input": {"email": " Kalle.Testson@Exempel.SE ", "channels": ["EMAIL"]}}, token
    )
    pending = {**EMPTY, "email": "Kalle.Testson@exempel.se", "channels": ["EMAIL"]}
    assert body == {"data": {"setNotificationSettings": pending}}

    mails = await sinks.wait_for("mail", 1)
    assert [(m["to"], m["subject"]) for m in mails] == [
        ("Kalle.Testson@exempel.se", "Din kod för Mina sidor")
    ]
    code = code_in(mails[0]["body"])
    assert "195606055555" not in mails[0]["body"] and "Kalle" not in mails[0]["body"]

    body = await notify_gateway.query(VERIFY, {"channel": "EMAIL", "code": code}, token)
    verified = {**pending, "emailVerified": True}
    assert body == {"data": {"verifyNotificationChannel": verified}}
    assert await notify_gateway.query(MY, token=token) == {
        "data": {"myNotificationSettings": verified}
    }
    # a code is used once
    body = await notify_gateway.query(VERIFY, {"channel": "EMAIL", "code": code}, token)
    assert error_code(body) == "CODE_NOT_REQUESTED"


async def test_a_swedish_mobile_number_is_normalised_and_its_code_goes_by_sms(
    notify_gateway: Any, sinks: Any
) -> None:
    token = notify_gateway.token("citizen", personas.ANNA)
    body = await notify_gateway.query(
        SET,
        {"input": {"phone": "070-123 45 67", "channels": ["SMS"], "includeRepresented": False}},
        token,
    )
    assert body["data"]["setNotificationSettings"] == {
        **EMPTY,
        "phone": "+46701234567",
        "channels": ["SMS"],
        "includeRepresented": False,
    }
    sms = await sinks.wait_for("sms", 1)
    assert [(m["to"], m["subject"]) for m in sms] == [("+46701234567", "")]
    body = await notify_gateway.query(
        VERIFY, {"channel": "SMS", "code": code_in(sms[0]["body"])}, token
    )
    assert body["data"]["verifyNotificationChannel"]["phoneVerified"] is True


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ({"email": "kalle", "channels": ["EMAIL"]}, "INVALID_EMAIL"),
        ({"email": "kalle@exempel", "channels": ["EMAIL"]}, "INVALID_EMAIL"),
        ({"email": "a" * 65 + "@exempel.se", "channels": ["EMAIL"]}, "INVALID_EMAIL"),
        ({"email": "k@" + "a" * 250 + ".se", "channels": ["EMAIL"]}, "INVALID_EMAIL"),
        ({"email": "kalle@exempel.se\r\nBcc: all@exempel.se", "channels": []}, "INVALID_EMAIL"),
        ({"email": "kalle@exempel.se\nX: y", "channels": []}, "INVALID_EMAIL"),
        ({"email": "Kalle <kalle@exempel.se>", "channels": []}, "INVALID_EMAIL"),
        ({"email": "kalle@exempel.se, greta@exempel.se", "channels": []}, "INVALID_EMAIL"),
        ({"email": '"k a"@exempel.se', "channels": []}, "INVALID_EMAIL"),
        ({"phone": "070-123", "channels": ["SMS"]}, "INVALID_PHONE"),
        ({"phone": "+46 70 123 45 67\r\n", "channels": ["SMS"]}, "INVALID_PHONE"),
        ({"phone": "0701234567abc", "channels": ["SMS"]}, "INVALID_PHONE"),
        ({"phone": "+0701234567", "channels": ["SMS"]}, "INVALID_PHONE"),
        ({"phone": "1" * 40, "channels": ["SMS"]}, "INVALID_PHONE"),
        ({"email": "kalle@exempel.se", "channels": ["SMS"]}, "CHANNEL_WITHOUT_ADDRESS"),
        # a good address beside a bad one: nothing is stored, no code is sent
        ({"email": "kalle@exempel.se", "phone": "12", "channels": ["EMAIL"]}, "INVALID_PHONE"),
    ],
)
async def test_bad_input_gets_a_code_and_stores_and_sends_nothing(
    notify_gateway: Any, sinks: Any, given: dict[str, Any], code: str
) -> None:
    token = notify_gateway.token("citizen", personas.KALLE)
    body = await notify_gateway.query(SET, {"input": given}, token)
    assert error_code(body) == code
    assert await notify_gateway.query(MY, token=token) == {
        "data": {"myNotificationSettings": EMPTY}
    }
    outbox = notify_gateway.app.state.knutpunkt.notifications.store
    assert await outbox.entries() == []
    assert await sinks.messages("mail") == [] and await sinks.messages("sms") == []


@pytest.mark.parametrize(
    ("role", "pnr", "code"),
    [
        (None, None, "UNAUTHENTICATED"),
        ("contact_centre", None, "FORBIDDEN"),
        ("case_officer", None, "FORBIDDEN"),
        ("analyst", None, "FORBIDDEN"),
    ],
)
async def test_only_citizens_have_notification_settings(
    notify_gateway: Any, role: str | None, pnr: str | None, code: str
) -> None:
    token = (
        notify_gateway.token(role, pnr, units=["BN"])
        if role == "case_officer"
        else (notify_gateway.token(role, pnr) if role else None)
    )
    for query, variables in (
        (MY, {}),
        (SET, {"input": {"email": "x@exempel.se", "channels": ["EMAIL"]}}),
        (VERIFY, {"channel": "EMAIL", "code": "123456"}),
    ):
        assert error_code(await notify_gateway.query(query, variables, token)) == code


async def test_wrong_codes_lock_the_channel_and_expired_codes_are_refused(
    notify_gateway: Any, sinks: Any
) -> None:
    token = notify_gateway.token("citizen", personas.BENGT)
    await notify_gateway.query(
        SET, {"input": {"email": "bengt@exempel.se", "channels": ["EMAIL"]}}, token
    )
    right = code_in((await sinks.wait_for("mail", 1))[0]["body"])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert (
        error_code(
            await notify_gateway.query(VERIFY, {"channel": "EMAIL", "code": "12ab56"}, token)
        )
        == "INVALID_CODE"
    )
    assert (
        error_code(await notify_gateway.query(VERIFY, {"channel": "SMS", "code": right}, token))
        == "CODE_NOT_REQUESTED"
    )
    for _ in range(4):
        body = await notify_gateway.query(VERIFY, {"channel": "EMAIL", "code": wrong}, token)
        assert error_code(body) == "WRONG_CODE"
    body = await notify_gateway.query(VERIFY, {"channel": "EMAIL", "code": wrong}, token)
    assert error_code(body) == "CODE_LOCKED"
    # locked: even the right code fails now, and no new code can be asked for
    body = await notify_gateway.query(VERIFY, {"channel": "EMAIL", "code": right}, token)
    assert error_code(body) == "CODE_LOCKED"
    body = await notify_gateway.query(
        SET, {"input": {"email": "bengt2@exempel.se", "channels": ["EMAIL"]}}, token
    )
    assert error_code(body) == "CODE_LOCKED"
    assert len(await sinks.messages("mail")) == 1
    mine = await notify_gateway.query(MY, token=token)
    assert mine["data"]["myNotificationSettings"]["emailVerified"] is False


async def test_an_expired_code_is_refused(
    make_settings: Any, start_gateway: Any, notify_env: dict[str, str], sinks: Any
) -> None:
    settings = make_settings(**notify_env, KNUTPUNKT_NOTIFY_CODE_MINUTES="0.001")  # 60 ms
    async with start_gateway(settings) as gw:
        token = gw.token("citizen", personas.TOLVAN)
        await gw.query(SET, {"input": {"email": "tolvan@exempel.se", "channels": []}}, token)
        code = code_in((await sinks.wait_for("mail", 1))[0]["body"])
        await asyncio.sleep(0.1)
        body = await gw.query(VERIFY, {"channel": "EMAIL", "code": code}, token)
        assert error_code(body) == "CODE_EXPIRED"


async def test_a_channel_the_municipality_cannot_send_on_is_refused(
    make_settings: Any, start_gateway: Any, notify_env: dict[str, str], sinks: Any
) -> None:
    settings = make_settings(**{**notify_env, "KNUTPUNKT_NOTIFY_SMS_URL": ""})
    async with start_gateway(settings) as gw:
        token = gw.token("citizen", personas.KALLE)
        for given in (
            {"phone": "0701234567", "channels": []},
            {"email": "kalle@exempel.se", "phone": "0701234567", "channels": ["EMAIL"]},
        ):
            body = await gw.query(SET, {"input": given}, token)
            assert error_code(body) == "CHANNEL_UNAVAILABLE"
        assert await gw.query(MY, token=token) == {"data": {"myNotificationSettings": EMPTY}}
        body = await gw.query(
            SET, {"input": {"email": "kalle@exempel.se", "channels": ["EMAIL"]}}, token
        )
        assert body["data"]["setNotificationSettings"]["email"] == "kalle@exempel.se"


async def test_a_gateway_restart_neither_loses_nor_doubles_pending_messages(
    make_settings: Any, start_gateway: Any, notify_env: dict[str, str], sinks: Any
) -> None:
    """Codes asked for while the relay is down wait in the outbox across a restart of the
    gateway (same store) and arrive once when the relay is back."""
    settings = make_settings(**notify_env)
    await sinks.faults("mail", down=True)
    async with start_gateway(settings) as gw:
        for pnr in (personas.KALLE, personas.ANNA, personas.BENGT):
            body = await gw.query(
                SET,
                {"input": {"email": f"n{pnr}@exempel.se", "channels": ["EMAIL"]}},
                gw.token("citizen", pnr),
            )
            assert "errors" not in body, body
        await asyncio.sleep(0.3)  # tried and failed meanwhile
    assert await sinks.messages("mail") == []
    await sinks.faults("mail")
    async with start_gateway(settings):
        mails = await sinks.wait_for("mail", 3)
        await asyncio.sleep(0.5)
        assert sorted(m["to"] for m in await sinks.messages("mail")) == sorted(
            f"n{pnr}@exempel.se" for pnr in (personas.KALLE, personas.ANNA, personas.BENGT)
        )
        assert len(mails) == 3


async def test_with_notifications_turned_off_the_settings_say_so(
    make_settings: Any, start_gateway: Any
) -> None:
    async with start_gateway(make_settings(KNUTPUNKT_NOTIFY_ENABLED="false")) as gw:
        body = await gw.query(MY, token=gw.token("citizen", personas.KALLE))
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "NOTIFICATIONS_DISABLED"}
        assert body["errors"][0]["message"] == "Aviseringar är inte påslagna i den här kommunen."
