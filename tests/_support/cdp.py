"""A headless Chromium driven over the Chrome DevTools Protocol (websockets), for tests.

Only what the browser tests need: open a page, evaluate JavaScript, wait for a
condition, take a screenshot, and record every request the page makes. The
browser runs with no way out: every host but loopback resolves to nothing and
goes to a proxy that refuses, so a request that would leave 127.0.0.1 fails and
is still recorded.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


def chromium_executable() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(Exception):
    pass


class Page:
    """One tab, attached with a flat session on the browser's connection."""

    def __init__(self, browser: Browser, session_id: str) -> None:
        self._browser = browser
        self._session = session_id

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._browser.send(method, params, session_id=self._session)

    def events(self, method: str) -> list[dict[str, Any]]:
        return [
            e["params"]
            for e in self._browser.events
            if e.get("sessionId") == self._session and e["method"] == method
        ]

    def requested_urls(self) -> list[str]:
        urls = [e["request"]["url"] for e in self.events("Network.requestWillBeSent")]
        return urls + [e["url"] for e in self.events("Network.webSocketCreated")]

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise CDPError(json.dumps(result["exceptionDetails"])[:2000])
        return result["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 60.0) -> Any:
        """Polls `expression` until it is truthy; returns its value."""
        deadline = time.monotonic() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {seconds} s for: {expression}")
            await asyncio.sleep(0.2)

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", {"url": url})
        await self.wait_for("document.readyState === 'complete'")

    async def screenshot(self) -> bytes:
        """The viewport as PNG."""
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(shot["data"])


class Browser:
    """A Chromium process and its DevTools connection; see `launch`."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self._reader = asyncio.create_task(self._read())

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, session_id: str = ""
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        await self._ws.send(json.dumps(message))
        return await asyncio.wait_for(future, 60)

    async def new_page(self) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self, attached["sessionId"])
        for domain in ("Network", "Page", "Runtime", "Log"):
            await page.send(f"{domain}.enable")
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    async def _read(self) -> None:
        async for raw in self._ws:
            message = json.loads(raw)
            future = self._pending.pop(message.get("id", -1), None)
            if future is None:
                self.events.append(message)
            elif "error" in message:
                future.set_exception(CDPError(json.dumps(message["error"])))
            else:
                future.set_result(message.get("result", {}))

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._ws.close()


@contextlib.asynccontextmanager
async def launch(executable: str, profile: Path) -> AsyncIterator[Browser]:
    """Starts headless Chromium with a fresh profile and no route off loopback."""
    args = [
        executable,
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        "--remote-allow-origins=*",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "about:blank",
    ]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    browser: Browser | None = None
    try:
        lines = await _devtools_address(profile / "DevToolsActivePort", proc)
        ws = await connect(f"ws://127.0.0.1:{lines[0]}{lines[1]}", max_size=None)
        browser = Browser(ws)
        yield browser
    finally:
        if browser is not None:
            await browser.close()
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _devtools_address(port_file: Path, proc: asyncio.subprocess.Process) -> list[str]:
    """Chromium writes its DevTools port and browser path there once it listens."""
    deadline = time.monotonic() + 60
    while True:
        text = await asyncio.to_thread(_read_if_there, port_file)
        if len(text.splitlines()) >= 2:
            return text.splitlines()[:2]
        if proc.returncode is not None or time.monotonic() > deadline:
            raise CDPError(f"Chromium did not start (exit {proc.returncode})")
        await asyncio.sleep(0.1)


def _read_if_there(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""
