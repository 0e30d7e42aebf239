"""Whole `knutpunkt` processes for end-to-end tests: started as subprocesses, their
printed "<name> <url>" lines read, stopped with SIGTERM; a loopback JWKS server for an
identity provider the processes trust; and `/metrics` readers (prometheus_client's parser)
that count upstream calls and sum samples."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kp_scrape import by, parse

KNUTPUNKT = [sys.executable, "-m", "gateway.cli"]
ROOT = Path(__file__).resolve().parents[2]


class Proc:
    """One running `knutpunkt` command; `lines` maps what it printed, "<name> <url>"."""

    def __init__(self, popen: subprocess.Popen[str], stderr: Path) -> None:
        self.popen = popen
        self.stderr = stderr
        self.lines: dict[str, str] = {}

    def read_until(self, last: str, timeout: float = 90.0) -> dict[str, str]:
        """Read "<name> <url>" lines up to and including the one named `last`."""
        assert self.popen.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.popen.stdout.readline()
            if not line:
                raise AssertionError(f"exited before '{last}':\n{self.errors()}")
            name, _, url = line.strip().partition(" ")
            self.lines[name] = url
            if name == last:
                return self.lines
        raise AssertionError(f"no '{last}' line within {timeout} s:\n{self.errors()}")

    def errors(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> int:
        """SIGTERM and wait (SIGKILL after 30 s); the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        return self.popen.returncode


@contextmanager
def knutpunkt(args: list[str], workdir: Path, name: str, **env: str) -> Iterator[Proc]:
    """`knutpunkt ARGS` in `workdir` (its stderr in `<name>.stderr`), stopped with SIGTERM
    at the end; fails if it wrote a traceback, had to be killed or exited with an error."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    stderr = workdir / f"{name}.stderr"
    with stderr.open("w") as errors:
        popen = subprocess.Popen(
            [*KNUTPUNKT, *args],
            cwd=workdir,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        proc = Proc(popen, stderr)
        try:
            yield proc
        finally:
            code = proc.stop()
    assert "Traceback" not in proc.errors(), f"{name}:\n{proc.errors()}"
    # uvicorn re-raises the SIGTERM it handled once it has shut down gracefully
    assert code in (0, -signal.SIGTERM), f"{name} exited with {code}:\n{proc.errors()}"


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
