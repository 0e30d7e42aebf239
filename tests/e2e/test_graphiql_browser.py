"""GraphiQL in a real headless Chromium against `knutpunkt serve`, with no network.

The editor renders from the gateway's own assets, the role switcher fills the
Authorization header with a persona's token, a query runs, the result shows, and
no request leaves 127.0.0.1. The screenshot lands in var/screenshots/graphiql.png.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cdp import Page, chromium_executable, launch
from kp_procs import demo_serve, free_port

pytestmark = [pytest.mark.browser, pytest.mark.sockets]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "var" / "screenshots" / "graphiql.png"
CHROMIUM = chromium_executable()

QUERY = "{ viewer { role name } myPages { citizen { name personalNumber } } }"
EDITORS = "[...document.querySelectorAll('.CodeMirror')].map((e) => e.CodeMirror.getValue())"
RESPONSE = "document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue()"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    """`knutpunkt serve` (the demo, a small sandbox on free ports); yields its base URL."""
    port = free_port()
    with demo_serve(tmp_path, port) as proc:
        graphiql = proc.lines["GraphiQL"]
        assert graphiql == f"http://127.0.0.1:{port}/graphql", graphiql
        yield f"http://127.0.0.1:{port}"


def _problems(page: Page) -> list[str]:
    """Console errors, uncaught exceptions and CSP violations the page reported."""
    found = [
        f"{e['entry']['level']}: {e['entry']['text']} {e['entry'].get('url', '')}"
        for e in page.events("Log.entryAdded")
        if e["entry"]["level"] == "error" and not e["entry"].get("url", "").endswith("/favicon.ico")
    ]
    found += [json.dumps(e)[:500] for e in page.events("Runtime.exceptionThrown")]
    found += [
        json.dumps(e["args"])[:500]
        for e in page.events("Runtime.consoleAPICalled")
        if e["type"] in ("error", "assert")
    ]
    return found


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (scripts/browser)")
async def test_graphiql_renders_runs_a_query_as_kalle_and_stays_on_loopback(
    gateway: str, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    async with launch(CHROMIUM, tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.goto(f"{gateway}/graphql")
        await page.wait_for("!!document.querySelector('.graphiql-query-editor .CodeMirror')")
        assert await page.evaluate("document.title") == "Knutpunkt – GraphiQL"
        # the explorer plugin is there, next to GraphiQL's own docs and history
        assert await page.wait_for(
            "!!document.querySelector('button[aria-label=\"Show GraphiQL Explorer\"]')"
        )

        # the role switcher: Kalle's token goes into the Authorization header
        await page.evaluate(
            "(() => { const s = document.getElementById('kp-persona'); s.value = 'kalle';"
            " s.dispatchEvent(new Event('change')); })()"
        )
        await page.wait_for("document.body.getAttribute('data-persona') === 'kalle'")
        editors = await page.wait_for(
            f"(() => {{ const v = {EDITORS}; return v.some((t) => t.includes('Bearer ')) && v; }})()"
        )
        headers = json.loads(next(text for text in editors if "Bearer " in text))
        assert list(headers) == ["Authorization"]
        assert headers["Authorization"].count(".") == 2  # a JWT

        # the query runs and its result shows in the response pane
        await page.evaluate(
            "document.querySelector('.graphiql-query-editor .CodeMirror')"
            f".CodeMirror.setValue({json.dumps(QUERY)})"
        )
        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        shown = await page.wait_for(
            f"(() => {{ const r = {RESPONSE}; return r && r.includes('Kalle') && r; }})()"
        )
        assert json.loads(shown) == {
            "data": {
                "viewer": {"role": "CITIZEN", "name": "Kalle Testson"},
                "myPages": {"citizen": {"name": "Kalle Testson", "personalNumber": "195606055555"}},
            }
        }
        png = await page.screenshot()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(png)

        urls = page.requested_urls()
        assert f"{gateway}/graphql" in urls
        assert any(url.startswith(f"{gateway}/graphiql/") for url in urls)
        outside = [
            url[:120]
            for url in urls
            if not (url.startswith(f"{gateway}/") or url.startswith("data:"))
        ]
        assert outside == []
        assert _problems(page) == []
    assert SCREENSHOT.stat().st_size > 10_000
