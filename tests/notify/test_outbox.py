"""The outbox: a relay that is down delays messages, never loses or doubles them, also
across a restart; messages that keep failing are parked and listed for operators."""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from notify_testing import Clock

from gateway.cli import main
from notify import Channel, Message, MessageKind, MessageState, NotifySettings, NotifyStore, Outbox
from notify.senders import Sender, SmsSender, SmtpSender


def settings_for(tmp_path: Path, smtp_url: str, **kw: Any) -> NotifySettings:
    return NotifySettings(
        url=f"sqlite:///{tmp_path}/outbox.db",
        smtp_url=smtp_url,
        retry_base_seconds=30,
        retry_max_seconds=600,
        lease_seconds=120,
        **kw,
    )


def mail(n: int) -> Message:
    return Message(
        id=f"msg{n:04d}",
        kind=MessageKind.NEWS,
        channel=Channel.EMAIL,
        address=f"person{n}@exempel.se",
        subject="Det finns nyheter på Mina sidor",
        body=f"Meddelande {n}\n",
    )


async def enqueue(store: NotifyStore, clock: Clock, *messages: Message) -> None:
    await store.run([NotifyStore.enqueue_step(m, clock().timestamp()) for m in messages])


async def test_a_relay_down_for_a_while_delays_but_loses_nothing(
    tmp_path: Path, smtp_url: str, sinks: Any, clock: Clock, smtp_sender: Any
) -> None:
    settings = settings_for(tmp_path, smtp_url)
    store = await NotifyStore.open(settings.url)
    outbox = Outbox(store, {Channel.EMAIL: smtp_sender()}, settings, clock)
    await enqueue(store, clock, *(mail(n) for n in range(5)))
    await sinks.faults("mail", down=True)
    assert await outbox.drain() == 5
    clock.advance(seconds=20)
    assert await outbox.drain() == 0  # backing off (30 s ± 20 %)
    clock.advance(seconds=20)
    assert await outbox.drain() == 5  # second try, still down
    assert {e.attempts for e in await store.entries()} == {2}
    await sinks.faults("mail")  # the relay is back
    clock.advance(minutes=2)
    assert await outbox.drain() == 5
    clock.advance(hours=1)
    assert await outbox.drain() == 0
    received = await sinks.messages("mail")
    assert sorted(m["to"] for m in received) == [f"person{n}@exempel.se" for n in range(5)]
    assert await store.counts() == {
        MessageState.PENDING: 0,
        MessageState.SENT: 5,
        MessageState.PARKED: 0,
    }
    assert outbox.metrics.sent[Channel.EMAIL] == 5
    assert outbox.metrics.retried[Channel.EMAIL] == 10
    await store.close()


async def test_a_restart_neither_loses_nor_doubles(
    tmp_path: Path, smtp_url: str, sinks: Any, clock: Clock, smtp_sender: Any
) -> None:
    settings = settings_for(tmp_path, smtp_url)
    sender = smtp_sender()
    first = await NotifyStore.open(settings.url)
    await enqueue(first, clock, *(mail(n) for n in range(6)))
    outbox = Outbox(first, {Channel.EMAIL: sender}, settings, clock)
    await sinks.faults("mail", down=True)
    await outbox.drain()  # all six failed once
    clock.advance(minutes=1)
    await sinks.faults("mail")
    # a worker claims three messages and dies before it can send or mark them
    claimed = await first.claim(clock().timestamp(), clock().timestamp() + 120, 3)
    assert len(claimed) == 3
    await first.close()

    second = await NotifyStore.open(settings.url)  # the restarted gateway
    outbox = Outbox(second, {Channel.EMAIL: sender}, settings, clock)
    assert await outbox.drain() == 3  # the three not held by the dead worker
    clock.advance(minutes=1)
    assert await outbox.drain() == 0  # the dead worker's lease still holds
    clock.advance(minutes=2)
    assert await outbox.drain() == 3  # its lease ran out: sent by the new worker
    clock.advance(hours=1)
    assert await outbox.drain() == 0
    received = await sinks.messages("mail")
    assert sorted(m["to"] for m in received) == [f"person{n}@exempel.se" for n in range(6)]
    await second.close()


async def test_a_graceful_stop_hands_back_the_claimed_messages_it_did_not_start(
    tmp_path: Path, smtp_url: str, sinks: Any, clock: Clock, smtp_sender: Any
) -> None:
    """A stop finishes the message in hand; the others of its batch are due again at
    once, not after the lease (a restarted gateway sends them without waiting)."""
    settings = settings_for(tmp_path, smtp_url, send_concurrency=1)
    store = await NotifyStore.open(settings.url)
    await enqueue(store, clock, *(mail(n) for n in range(4)))
    await sinks.faults("mail", latency_ms=600)  # the sink takes its time with each mail
    outbox = Outbox(store, {Channel.EMAIL: smtp_sender()}, settings, clock)
    worker = asyncio.create_task(outbox.run())
    await asyncio.sleep(0.2)  # the first mail is on its way
    outbox.stop()
    await asyncio.wait_for(worker, 10)
    assert [m["to"] for m in await sinks.messages("mail")] == ["person0@exempel.se"]
    assert await store.counts() == {
        MessageState.PENDING: 3,
        MessageState.SENT: 1,
        MessageState.PARKED: 0,
    }
    await sinks.faults("mail")
    restarted = Outbox(store, {Channel.EMAIL: smtp_sender()}, settings, clock)
    assert await restarted.drain() == 3  # the same moment: no lease to wait out
    received = await sinks.messages("mail")
    assert sorted(m["to"] for m in received) == [f"person{n}@exempel.se" for n in range(4)]
    await store.close()


async def test_a_message_sent_twice_reaches_the_sink_once(sinks: Any, smtp_sender: Any) -> None:
    """The idempotency key travels as Message-ID: a relay that deduplicates (the sink
    does) delivers a retry of a message it already took once."""
    sender = smtp_sender()
    await sender.send(mail(1))
    await sender.send(mail(1))
    await sender.send(mail(2))
    assert [m["to"] for m in await sinks.messages("mail")] == [
        "person1@exempel.se",
        "person2@exempel.se",
    ]


async def test_messages_that_keep_failing_are_parked_and_listed(
    tmp_path: Path,
    smtp_url: str,
    sinks: Any,
    clock: Clock,
    sandbox: Any,
    smtp_sender: Any,
) -> None:
    settings = settings_for(tmp_path, smtp_url, max_attempts=3)
    store = await NotifyStore.open(settings.url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.sms.app)) as http:
        senders: dict[Channel, Sender] = {
            Channel.EMAIL: smtp_sender(),
            Channel.SMS: SmsSender(http, "http://sms.sandbox/v1/messages", "Exempelby"),
        }
        outbox = Outbox(store, senders, settings, clock)
        bad_number = Message(
            id="sms0001",
            kind=MessageKind.NEWS,
            channel=Channel.SMS,
            address="+4",  # the gateway refuses it: no retry can help
            subject="",
            body="Det finns ny information i dina ärenden.",
        )
        await enqueue(store, clock, mail(1), bad_number)
        await sinks.faults("mail", error_rate=1.0)
        for _ in range(3):
            await outbox.drain()
            clock.advance(minutes=10)
        assert await outbox.drain() == 0
    parked = await store.entries(MessageState.PARKED)
    assert sorted((e.id, e.attempts, e.last_error) for e in parked) == [
        ("msg0001", 3, "SMTP 451"),
        ("sms0001", 1, "HTTP 400"),
    ]
    assert outbox.metrics.parked == {Channel.EMAIL: 1, Channel.SMS: 1}
    assert outbox.metrics.messages()[("parked", "email")] == 1
    assert outbox.metrics.sizes()[("parked",)] == 2  # counted at the end of the last pass
    await store.close()

    config = tmp_path / "knutpunkt.toml"
    config.write_text(f'[notify]\nurl = "{settings.url}"\n')
    out = io.StringIO()

    def listing() -> int:  # the command runs its own event loop
        with contextlib.redirect_stdout(out):
            return main(["notify", "outbox", "--parked", "--config", str(config)])

    assert await asyncio.to_thread(listing) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "outbox: pending 0, sent 0, parked 2"
    rows = sorted(line.split("\t") for line in lines[2:])
    assert [(r[0], r[1], r[3], r[4], r[5], r[9]) for r in rows] == [
        ("msg0001", "PARKED", "EMAIL", "p***@exempel.se", "3", "SMTP 451"),
        ("sms0001", "PARKED", "SMS", "***", "1", "HTTP 400"),
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://relay.exempelby.se", ("relay.exempelby.se", 587, None, None, False, None)),
        (
            "smtp://user:p%40ss@relay:2525?starttls=true",
            ("relay", 2525, "user", "p@ss", False, True),
        ),
        ("smtp://127.0.0.1:1025?starttls=false", ("127.0.0.1", 1025, None, None, False, False)),
        ("smtps://u:p@relay", ("relay", 465, "u", "p", True, None)),
    ],
)
def test_smtp_url_sets_host_port_auth_and_tls(url: str, expected: tuple[Any, ...]) -> None:
    from notify.senders import SmtpTarget

    t = SmtpTarget.parse(url)
    assert (t.host, t.port, t.username, t.password, t.use_tls, t.start_tls) == expected


@pytest.mark.parametrize(
    "url", ["http://relay", "smtp://", "smtp://relay?starttls=maybe", "smtp://relay?tls=1"]
)
def test_a_bad_smtp_url_is_refused(url: str) -> None:
    from notify.senders import SmtpTarget

    with pytest.raises(ValueError):
        SmtpTarget.parse(url)


async def test_kept_open_connections_are_reused_and_renewed_when_the_relay_drops_them(
    sandbox: Any, sinks: Any
) -> None:
    host, port = await sandbox.mail.start("127.0.0.1", 0)
    sender = SmtpSender(f"smtp://{host}:{port}", "Exempelby kommun <noreply@exempelby.se>")
    try:
        await sender.send(mail(1))
        await sender.send(mail(2))  # on the same connection
        await sandbox.mail.stop()  # the relay restarts: the kept connection is gone
        await sandbox.mail.start(host, port)
        await sender.send(mail(3))
    finally:
        await sender.close()
        await sandbox.mail.stop()
    assert [m["to"] for m in await sinks.messages("mail")] == [
        "person1@exempel.se",
        "person2@exempel.se",
        "person3@exempel.se",
    ]


def test_the_mail_carries_its_idempotency_key_and_nothing_else_of_the_outbox() -> None:
    import email
    import email.policy

    sender = SmtpSender("smtp://relay", "Malmö stad <noreply@malmo.se>")
    raw = sender.build(mail(7)).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert {k: str(v) for k, v in parsed.items() if k != "Date"} == {
        "Content-Type": 'text/plain; charset="utf-8"',
        "MIME-Version": "1.0",
        "Content-Transfer-Encoding": "base64",
        "From": "Malmö stad <noreply@malmo.se>",
        "To": "person7@exempel.se",
        "Subject": "Det finns nyheter på Mina sidor",
        "Message-ID": "<msg0007@malmo.se>",
        "Auto-Submitted": "auto-generated",
    }
    assert parsed.get_content() == "Meddelande 7\n"
    assert all(ord(ch) < 128 for ch in raw.decode("ascii"))
