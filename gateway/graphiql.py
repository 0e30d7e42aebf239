"""GraphiQL served by the gateway itself: the page, its pinned assets, no CDN.

The assets (GraphiQL, its explorer plugin, React) are the files of their npm
releases, shipped in `gateway/static/graphiql/` with their licences. They are
served under a path carrying a hash of their contents, so browsers may cache them
for a year; the page itself is never cached. A strict Content-Security-Policy
allows scripts, styles and connections to this origin only, and no inline script:
the page's own code is `knutpunkt-graphiql.js`, configured by `data-` attributes.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

ASSET_DIR = Path(__file__).parent / "static" / "graphiql"
#: the files the page may load, in load order per kind, and their content types
SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "plugin-explorer.umd.js",
    "knutpunkt-graphiql.js",
)
STYLES = ("graphiql.min.css", "plugin-explorer.css", "knutpunkt-graphiql.css")
LICENSES = (
    "LICENSE.graphiql",
    "LICENSE.graphiql-explorer",
    "LICENSE.react",
    "LICENSE.react-dom",
    "NOTICE",
)
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ASSETS: Mapping[str, str] = {
    name: _TYPES.get(Path(name).suffix, "text/plain; charset=utf-8")
    for name in (*SCRIPTS, *STYLES, *LICENSES)
}

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
IMMUTABLE = "public, max-age=31536000, immutable"


def assets_version(directory: Path = ASSET_DIR) -> str:
    """A hash of every served file: a new release gets new URLs, so caching is safe."""
    digest = hashlib.sha256()
    for name in sorted(ASSETS):
        digest.update(name.encode() + b"\0" + (directory / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _gzip(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


def wants_html(scope: Scope) -> bool:
    """A browser's GET of /graphql (Accept: text/html, no `query` parameter)."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    request = Request(scope)
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "query" not in request.query_params


class GraphiQLPage:
    """The page and its assets; `personas` fills the demo's role switcher (empty: none)."""

    def __init__(
        self,
        endpoint: str = "/graphql",
        personas: Sequence[tuple[str, str]] = (),
        demo_token_url: str = "",
        directory: Path = ASSET_DIR,
    ) -> None:
        self._directory = directory
        self._gzipped: dict[str, bytes] = {}
        self.version = assets_version(directory)
        self.prefix = f"/graphiql/{self.version}"
        self._html = self._render(endpoint, personas, demo_token_url)

    def page(self) -> Response:
        return HTMLResponse(
            self._html, headers={**SECURITY_HEADERS, "cache-control": "no-cache", "vary": "Accept"}
        )

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if request.path_params["version"] != self.version or name not in ASSETS:
            return PlainTextResponse("Not Found", status_code=404)
        headers = {**SECURITY_HEADERS, "cache-control": IMMUTABLE, "vary": "Accept-Encoding"}
        if Path(name).suffix in _TYPES and "gzip" in request.headers.get("accept-encoding", ""):
            # GraphiQL's bundle is 3.5 MB as released, about a fifth of that compressed
            body = self._gzipped.get(name)
            if body is None:
                body = await asyncio.to_thread(_gzip, self._directory / name)
                self._gzipped[name] = body
            headers["content-encoding"] = "gzip"
            return Response(body, media_type=ASSETS[name], headers=headers)
        return FileResponse(self._directory / name, media_type=ASSETS[name], headers=headers)

    def _render(
        self, endpoint: str, personas: Sequence[tuple[str, str]], demo_token_url: str
    ) -> str:
        esc = html.escape
        styles = "".join(
            f'<link rel="stylesheet" href="{self.prefix}/{name}">\n' for name in STYLES
        )
        scripts = "".join(f'<script src="{self.prefix}/{name}"></script>\n' for name in SCRIPTS)
        switcher = ""
        if personas:
            options = "".join(
                f'<option value="{esc(key)}">{esc(label)}</option>' for key, label in personas
            )
            switcher = (
                '<label for="kp-persona">Roll i demon</label>'
                f'<select id="kp-persona">{options}</select>'
                '<span id="kp-status" role="status"></span>'
            )
        return (
            "<!doctype html>\n"
            '<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>Knutpunkt – GraphiQL</title>\n"
            '<link rel="icon" href="data:,">\n'
            f"{styles}</head>\n"
            f'<body data-endpoint="{esc(endpoint)}" data-demo-token-url="{esc(demo_token_url)}">\n'
            f'<header id="kp-bar"><strong>Knutpunkt</strong>{switcher}</header>\n'
            '<main id="graphiql">Laddar GraphiQL…</main>\n'
            f"{scripts}</body>\n</html>\n"
        )


class GraphQLWithIDE:
    """/graphql: the GraphiQL page for browsers, the GraphQL endpoint for everyone else."""

    def __init__(self, graphql: ASGIApp, page: GraphiQLPage | None) -> None:
        self._graphql = graphql
        self._page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._page is not None and wants_html(scope):
            await self._page.page()(scope, receive, send)
            return
        await self._graphql(scope, receive, send)
