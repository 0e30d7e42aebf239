"""Whole `knutpunkt` processes for end-to-end tests: `serve` or `sandbox` started as
subprocesses on free loopback ports, their printed "<name> <url>" lines read, stopped with
SIGTERM and their exit and stderr checked; one-shot CLI commands (`token`, `notify
outbox`); a loopback JSON server (a JWKS the processes trust); and `/metrics` readers
(prometheus_client's parser) that count upstream calls and sum samples."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from kp_scrape import by, parse

KNUTPUNKT = [sys.executable, "-m", "gateway.cli"]
ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 90.0
#: uvicorn re-raises the SIGTERM it handled once it has shut down gracefully
CLEAN_EXIT = (0, -signal.SIGTERM)


def _ephemeral_range() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except (OSError, ValueError):
        low, high = "32768", "60999"
    return range(int(low), int(high) + 1)


#: ports the kernel hands out for port 0: the processes under test bind their sandbox
#: systems there, so the ports we name (the gateway's, the metrics') are chosen outside it
#: (a sandbox system once took a gateway's port between our check and its bind)
EPHEMERAL = _ephemeral_range()
NAMED_PORTS = range(20_000, 32_000)


def free_ports(n: int) -> list[int]:
    """`n` distinct ports free now, outside the kernel's ephemeral range."""
    candidates = [p for p in NAMED_PORTS if p not in EPHEMERAL]
    found: list[int] = []
    for port in random.sample(candidates, min(len(candidates), 500)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == n:
            return found
    raise AssertionError(f"fewer than {n} free ports outside {EPHEMERAL}")


def free_port() -> int:
    return free_ports(1)[0]


def demo_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a small demo: its key file in `workdir`, every simulator on a
    free port (base port 0), `extra` on top."""
    return {
        **os.environ,
        "KNUTPUNKT_DEMO_KEY_FILE": str(workdir / "demo.jwk"),
        "PYTHONPATH": str(ROOT),
        "KNUTPUNKT_DEMO_SCALE": "0.05",
        "KNUTPUNKT_DEMO_BASE_PORT": "0",
        **extra,
    }


def cli(
    args: list[str], env: Mapping[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`knutpunkt ARGS` run to its end, output captured."""
    return subprocess.run(
        [*KNUTPUNKT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def citizen_token(env: Mapping[str, str], pnr: str) -> str:
    done = cli(["token", "citizen", pnr], env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def outbox_listing(cwd: Path, env: Mapping[str, str]) -> list[str]:
    """`knutpunkt notify outbox` over the same var/ databases as the running gateway."""
    done = cli(["notify", "outbox"], env, cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} not up in {timeout} s")


class Proc:
    """One running `knutpunkt` command; `lines` maps what it printed, "<name> <url>", in
    the order printed."""

    def __init__(self, popen: subprocess.Popen[str], stderr: Path) -> None:
        self.popen = popen
        self.stderr = stderr
        self.lines: dict[str, str] = {}

    @classmethod
    def start(cls, args: list[str], workdir: Path, env: Mapping[str, str], name: str = "") -> Proc:
        """`knutpunkt ARGS` in `workdir` with exactly `env`; its stderr in
        `stderr-<name>-<n>.txt` there (every start a file of its own)."""
        stderr = workdir / f"stderr-{name or args[0]}-{time.monotonic_ns()}.txt"
        with stderr.open("w") as errors:
            popen = subprocess.Popen(
                [*KNUTPUNKT, *args],
                cwd=workdir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        return cls(popen, stderr)

    def read_until(self, last: str, timeout: float = READY_SECONDS) -> dict[str, str]:
        """Read "<name> <url>" lines up to and including the one named `last`."""
        assert self.popen.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.popen.stdout.readline()
            if not line:
                raise AssertionError(f"exited before '{last}':\n{self.errors()[-4000:]}")
            name, _, url = line.strip().partition(" ")
            self.lines[name] = url
            if name == last:
                return self.lines
        raise AssertionError(f"no '{last}' line within {timeout} s:\n{self.errors()[-4000:]}")

    def errors(self) -> str:
        """Everything it wrote to stderr so far."""
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send `sig` (SIGTERM: a graceful stop) unless it has ended, wait (SIGKILL after
        `timeout`); the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        return self.popen.returncode

    def stop_cleanly(self, name: str) -> None:
        """Stop it; fails if it wrote a traceback, had to be killed or exited with an error."""
        code = self.stop()
        assert "Traceback" not in self.errors(), f"{name}:\n{self.errors()[-4000:]}"
        assert code in CLEAN_EXIT, f"{name} exited with {code}:\n{self.errors()[-4000:]}"


@contextmanager
def knutpunkt(args: list[str], workdir: Path, name: str, **env: str) -> Iterator[Proc]:
    """`knutpunkt ARGS` in `workdir` (`env` over ours), stopped with SIGTERM at the end;
    fails if it wrote a traceback, had to be killed or exited with an error."""
    proc = Proc.start(args, workdir, {**os.environ, "PYTHONPATH": str(ROOT), **env}, name)
    try:
        yield proc
    finally:
        proc.stop()
    proc.stop_cleanly(name)


@contextmanager
def demo_serve(workdir: Path, port: int, last: str = "GraphiQL", **extra: str) -> Iterator[Proc]:
    """`knutpunkt serve --port PORT` as the demo (`demo_env(workdir, **extra)`), read up
    to its `last` line; stopped and checked like `knutpunkt`."""
    proc = Proc.start(["serve", "--port", str(port)], workdir, demo_env(workdir, **extra))
    try:
        proc.read_until(last)
        yield proc
    finally:
        proc.stop()
    proc.stop_cleanly("knutpunkt serve")


@contextmanager
def served_json(path: str, document: Mapping[str, object]) -> Iterator[str]:
    """`document` at GET `path` on a loopback port (a thread); yields the full URL."""
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != path:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


#: upstream HTTP calls: the upstream duration histogram's count (one sample per attempt)
UPSTREAM = "knutpunkt_upstream_request_duration_seconds_count"


def upstream_calls(exposition: str) -> dict[str, int]:
    """Upstream HTTP calls per system in a `/metrics` text (summed over the outcomes)."""
    return {s: int(n) for (s,), n in by(parse(exposition), UPSTREAM, "system").items()}


def sample_total(exposition: str, name: str) -> float:
    """The sum of every sample called `name` (labelled or not) in a `/metrics` text."""
    return sum(parse(exposition).get(name, {}).values())


def toml_value(value: object) -> str:
    """A TOML literal for a str, bool, int or float (json quoting is TOML-compatible)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def toml(sections: dict[str, dict[str, object]]) -> str:
    """A TOML document of flat tables (`{"systems.byggr": {"url": ...}}`)."""
    out: list[str] = []
    for section, values in sections.items():
        out.append(f"[{section}]")
        out += [f"{key} = {toml_value(value)}" for key, value in values.items()]
        out.append("")
    return "\n".join(out)
