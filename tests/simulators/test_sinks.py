"""The sandbox's mail sink (a real SMTP server on loopback) and SMS gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest

from simulators.sinks import MailSink, SmsGateway


@pytest.fixture
async def mail() -> AsyncIterator[tuple[MailSink, int, httpx.AsyncClient]]:
    sink = MailSink()
    _, port = await sink.start("127.0.0.1", 0)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sink.app), base_url="http://mail"
    ) as http:
        yield sink, port, http
    await sink.stop()


def letter(message_id: str, to: str = "kalle@exempel.se") -> EmailMessage:
    m = EmailMessage()
    m["From"] = "noreply@exempelby.se"
    m["To"] = to
    m["Subject"] = "Hej åäö"
    m["Message-ID"] = message_id
    m.set_content("Rad ett\nRad två\n")
    return m


async def test_the_mail_sink_keeps_what_arrives_once_per_message_id(
    mail: tuple[MailSink, int, httpx.AsyncClient],
) -> None:
    _, port, http = mail
    for mid in ("<a@x>", "<a@x>", "<b@x>"):
        await aiosmtplib.send(letter(mid), hostname="127.0.0.1", port=port)
    found = (await http.get("/messages")).json()
    assert [{k: v for k, v in m.items() if k != "receivedAt"} for m in found] == [
        {"to": "kalle@exempel.se", "subject": "Hej åäö", "body": "Rad ett\nRad två\n"}
    ] * 2
    assert all(m["receivedAt"].endswith("+00:00") for m in found)
    # the repeat was taken and not kept, but counted: a double send stays visible
    assert (await http.get("/_admin/received")).json() == {"kept": 2, "duplicates": 1}
    assert (await http.delete("/messages")).status_code == 204
    assert (await http.get("/messages")).json() == []
    assert (await http.get("/_admin/received")).json() == {"kept": 0, "duplicates": 0}


async def test_the_mail_sink_fails_on_demand(
    mail: tuple[MailSink, int, httpx.AsyncClient],
) -> None:
    _, port, http = mail
    assert (await http.put("/_admin/faults", json={"down": True})).status_code == 200
    with pytest.raises(aiosmtplib.SMTPResponseException) as exc:
        await aiosmtplib.send(letter("<c@x>"), hostname="127.0.0.1", port=port)
    assert exc.value.code == 421
    assert (await http.get("/messages")).json() == []  # the listing still answers
    assert (await http.get("/_admin/received")).json() == {"kept": 0, "duplicates": 0}
    await http.put("/_admin/faults", json={"error_rate": 1.0})
    with pytest.raises(aiosmtplib.SMTPResponseException) as exc:
        await aiosmtplib.send(letter("<c@x>"), hostname="127.0.0.1", port=port)
    assert exc.value.code == 451
    await http.delete("/_admin/faults")
    await aiosmtplib.send(letter("<c@x>"), hostname="127.0.0.1", port=port)
    assert len((await http.get("/messages")).json()) == 1


async def test_the_sms_gateway_sends_once_per_idempotency_key_and_refuses_bad_requests() -> None:
    gateway = SmsGateway()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway.app), base_url="http://sms"
    ) as http:
        body = {"to": "+46701234567", "from": "Exempelby", "message": "Hej"}
        first = await http.post("/v1/messages", json=body, headers={"idempotency-key": "k1"})
        again = await http.post("/v1/messages", json=body, headers={"idempotency-key": "k1"})
        assert (first.status_code, first.json()) == (201, {"id": "k1"})
        assert (again.status_code, again.json()) == (200, {"id": "k1"})
        for bad in ({"to": "0701234567", "message": "x"}, {"to": "+46701234567"}, [1]):
            r = await http.post("/v1/messages", json=bad)
            assert r.status_code == 400, bad
        found = (await http.get("/messages")).json()
        assert [(m["to"], m["subject"], m["body"]) for m in found] == [("+46701234567", "", "Hej")]
        assert (await http.get("/_admin/received")).json() == {"kept": 1, "duplicates": 1}
        await http.put("/_admin/faults", json={"down": True})
        assert (await http.post("/v1/messages", json=body)).status_code == 503
        assert len((await http.get("/messages")).json()) == 1
        assert (await http.delete("/messages")).status_code == 204
        assert (await http.get("/messages")).json() == []
