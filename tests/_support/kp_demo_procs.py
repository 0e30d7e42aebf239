"""`knutpunkt` as subprocesses on free loopback ports, for the notification e2e tests:
the demo (`serve` without a config, sandbox inside), or a separate `sandbox` and a
`serve` configured to it by environment (so the gateway can be restarted while the
sandbox keeps its sinks). See also `kp_procs` (processes sharing Redis/PostgreSQL)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

KNUTPUNKT = [sys.executable, "-m", "gateway.cli"]
ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "KNUTPUNKT_DEMO_KEY_FILE": str(tmp_path / "demo.jwk"),
        "PYTHONPATH": str(ROOT),
        "KNUTPUNKT_DEMO_SCALE": "0.05",
        "KNUTPUNKT_DEMO_BASE_PORT": "0",
        **extra,
    }


@dataclass
class Proc:
    """One running `knutpunkt` command; `urls` holds the "<name> <url>" lines it printed."""

    popen: subprocess.Popen[str]
    errors: IO[str]
    urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, args: list[str], cwd: Path, env: dict[str, str], until: str) -> Proc:
        """Run `knutpunkt <args>` and read its lines until one starting with `until`."""
        errors = (cwd / f"stderr-{args[0]}-{time.monotonic_ns()}.txt").open("w")
        popen = subprocess.Popen(
            [*KNUTPUNKT, *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        proc = cls(popen, errors)
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            line = popen.stdout.readline()  # type: ignore[union-attr]
            if not line:
                proc.stop()
                raise AssertionError(f"knutpunkt {args[0]} ended: {proc.stderr_text()[-2000:]}")
            name, _, url = line.strip().partition(" ")
            proc.urls[name] = url
            if name.startswith(until):
                return proc
        proc.stop()
        raise AssertionError(f"knutpunkt {args[0]} not ready in {READY_SECONDS} s")

    def stderr_text(self) -> str:
        if not self.errors.closed:
            self.errors.flush()
        return Path(self.errors.name).read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send `sig` (SIGTERM: a graceful stop) and wait for the exit; returns its code
        (uvicorn re-raises SIGTERM once it has shut down: -15 is a clean stop too)."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            code = self.popen.wait(timeout=timeout)
        finally:
            if self.popen.poll() is None:
                self.popen.kill()
                self.popen.wait(timeout=10)
            self.popen.stdout.close()  # type: ignore[union-attr]
            self.errors.close()
        return code


def citizen_token(env: dict[str, str], pnr: str) -> str:
    done = subprocess.run(
        [*KNUTPUNKT, "token", "citizen", pnr],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def outbox_listing(cwd: Path, env: dict[str, str]) -> list[str]:
    """`knutpunkt notify outbox` over the same var/ databases as the running gateway."""
    done = subprocess.run(
        [*KNUTPUNKT, "notify", "outbox"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
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
