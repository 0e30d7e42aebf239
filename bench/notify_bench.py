"""Benchmark: the notification outbox and the event → message latency.

A command, not a test:

    .venv/bin/python bench/notify_bench.py [--messages 1000] [--events 40]

- throughput: `--messages` news messages are put in a fresh outbox (SQLite) and sent
  to the sandbox's mail sink — a real SMTP server on loopback, run as its own
  process — by one outbox worker; messages per second, from the first claim until
  the last is marked sent;
- latency: with the digest window at 0, Kalle's building permit gets a new decision
  `--events` times; each time, from `Notifier.case_changed` (what the signal
  processor calls) until the mail is in the sink (polled every 2 ms over HTTP).
  The gateway runs in this process over the sandbox (ASGI transports, no latency).
  With the default 15-minute digest the message comes the window later.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.domain import CaseEvent, CaseEventKind  # noqa: E402
from notify import (  # noqa: E402
    Channel,
    Message,
    MessageKind,
    MessageState,
    NotifySettings,
    NotifyStore,
    Outbox,
    Preferences,
)
from notify.senders import SmtpSender  # noqa: E402
from simulators.personas import KALLE  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def serve_sink() -> None:
    """Child process: the mail sink alone; prints its SMTP port and HTTP URL."""
    import uvicorn

    from simulators.sinks import MailSink

    async def run() -> None:
        sink = MailSink()
        _, port = await sink.start("127.0.0.1", 0)
        config = uvicorn.Config(sink.app, host="127.0.0.1", port=0, log_level="warning")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn has no started event
            await asyncio.sleep(0.01)
        http_port = server.servers[0].sockets[0].getsockname()[1]
        print(f"{port} http://127.0.0.1:{http_port}", flush=True)
        await task

    asyncio.run(run())


async def throughput(n: int, smtp_url: str, http_url: str, tmp: Path) -> None:
    settings = NotifySettings(url=f"sqlite:///{tmp}/bench-outbox.db", smtp_url=smtp_url)
    store = await NotifyStore.open(settings.url)
    now = datetime.now(UTC)
    await store.run(
        [
            NotifyStore.enqueue_step(
                Message(
                    id=f"bench{i:06d}",
                    kind=MessageKind.NEWS,
                    channel=Channel.EMAIL,
                    address=f"person{i}@exempel.se",
                    subject="Det finns nyheter på Mina sidor",
                    body="Det finns ny information i dina ärenden.\n",
                ),
                now.timestamp(),
            )
            for i in range(n)
        ]
    )
    sender = SmtpSender(smtp_url, settings.sender, pool=settings.send_concurrency)
    outbox = Outbox(
        store,
        {Channel.EMAIL: sender},
        settings,
        lambda: datetime.now(UTC),
    )
    started = time.perf_counter()
    while await outbox.drain():
        pass
    elapsed = time.perf_counter() - started
    await sender.close()
    counts = await store.counts()
    await store.close()
    async with httpx.AsyncClient(base_url=http_url) as http:
        arrived = len((await http.get("/messages")).json())
        await http.delete("/messages")
    assert counts[MessageState.SENT] == n and arrived == n, (counts, arrived)
    print(
        f"throughput: {n} messages in {elapsed:.2f} s = {n / elapsed:.0f} messages/s "
        f"(send_concurrency {settings.send_concurrency}, connections kept open; all {arrived} arrived once)"
    )


async def latency(events: int, smtp_url: str, http_url: str, tmp: Path) -> None:
    from asgi_lifespan import LifespanManager

    from gateway.app import create_app
    from gateway.issuer import DemoIssuer
    from gateway.settings import load_settings
    from simulators.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox
    from simulators.world import SYSTEMS

    box = Sandbox.build(scale=0.05, latency=False)
    settings = load_settings(None)
    settings = replace(
        settings,
        demo=replace(settings.demo, enabled=True, key_file=str(DemoIssuer(tmp / "k.jwk").key_file)),
        audit=replace(settings.audit, url=f"sqlite:///{tmp}/audit.db"),
        casestore=replace(settings.casestore, enabled=False),
        notify=replace(
            settings.notify,
            url=f"sqlite:///{tmp}/bench-notify.db",
            smtp_url=smtp_url,
            digest_minutes=0.0,
            quiet_hours="",
        ),
    ).with_system_urls({s: f"http://{s}.sandbox" for s in SYSTEMS})
    systems = dict(settings.systems)
    systems["folkbokforing"] = replace(
        systems["folkbokforing"],
        token_url="http://folkbokforing.sandbox/oauth/token",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    settings = replace(settings, systems=systems)
    transports = {s: httpx.ASGITransport(app=box.apps[s]) for s in SYSTEMS}
    app = create_app(settings, transports=transports)
    async with LifespanManager(app), httpx.AsyncClient(base_url=http_url) as sink:
        notifications = app.state.knutpunkt.notifications
        store = notifications.store
        prefs = Preferences(
            KALLE,
            email="kalle@exempel.se",
            email_verified=True,
            channels=frozenset({Channel.EMAIL}),
        )
        await store.run([NotifyStore.save_preferences_step(prefs, time.time())])
        source = app.state.knutpunkt.connectors.case_sources["byggr"]
        case = next(c for c in await source.cases_for_persons([KALLE]) if c.subject == KALLE)
        took: list[float] = []
        for i in range(events):
            event = CaseEvent(f"bench-{i}", datetime.now(UTC), CaseEventKind.DECIDED, "Beslut")
            started = time.perf_counter()
            await notifications.notifier.case_changed(case, [event])
            while len((await sink.get("/messages")).json()) < i + 1:  # noqa: ASYNC110 - polling the sink is the measurement
                await asyncio.sleep(0.002)
            took.append((time.perf_counter() - started) * 1000)
        await sink.delete("/messages")
    print(
        f"latency event -> message in sink over {events} events (digest 0, SMTP on loopback): "
        f"p50 {statistics.median(took):.1f} ms, p95 {percentile(took, 95):.1f} ms, "
        f"max {max(took):.1f} ms (first, with cold register caches: {took[0]:.1f} ms)"
    )


async def main(args: argparse.Namespace) -> None:
    sink = subprocess.Popen(
        [sys.executable, __file__, "--serve-sink"], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert sink.stdout is not None
        port, http_url = sink.stdout.readline().split()
        smtp_url = f"smtp://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            await throughput(args.messages, smtp_url, http_url, Path(tmp))
            await latency(args.events, smtp_url, http_url, Path(tmp))
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--serve-sink", action="store_true", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.serve_sink:
        serve_sink()
    else:
        asyncio.run(main(parsed))
