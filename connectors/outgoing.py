"""The `httpx.Request` of an upstream call, built without re-merging the client each time.

httpx's `AsyncClient.build_request` re-parses and re-merges the client's base URL,
default headers, cookies and query parameters on every call: about 165 µs for a GET
with three parameters, the largest single item of a Mina Sidor query's CPU time (eight
such calls each; bench/peer.py, issue 12). A connector's calls to its system differ
only in path, parameters and body, so what the client contributes (base URL, default
headers, timeout) is read once; the query string and a JSON body are encoded here and
the URL is parsed once, by `httpx.Request`. The request sent is the one httpx would
build: same URL (query encoded as httpx encodes it), same headers, same body.

What this does not cover falls back to `build_request` as before: a client holding
cookies (a system that set one), and a URL that already carries a query when
parameters are given too (httpx merges the two).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

import httpx
import orjson

Scalar = str | int | float | bool | None
ABSOLUTE = ("http://", "https://")


class RequestBuilder:
    """Builds one client's requests; reads the client's defaults on first use."""

    __slots__ = ("_base", "_headers", "_http", "_names", "_timeout")

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http
        self._base: str | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._names: frozenset[bytes] = frozenset()
        self._timeout: dict[str, float | None] = {}

    def _read_client(self) -> str:
        http = self._http
        self._headers = list(http.headers.raw)
        self._names = frozenset(name.lower() for name, _ in self._headers)
        self._timeout = http.timeout.as_dict()
        # httpx joins a relative path to the base URL's path as if it ended in "/"
        base = str(http.base_url)
        self._base = base.rstrip("/") + "/" if base else ""
        return self._base

    def build(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Scalar | Sequence[Scalar]] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        base = self._base if self._base is not None else self._read_client()
        if (params and "?" in url) or self._http.cookies:
            return self._http.build_request(
                method, url, params=params, json=json, content=content, headers=headers
            )
        if params:
            url = f"{url}?{encode_query(params)}"
        if not url.startswith(ABSOLUTE):
            url = base + url.lstrip("/")
        extra: list[tuple[bytes, bytes]] = []
        if json is not None:
            content = orjson.dumps(json)
            extra.append((b"content-type", b"application/json"))
        if headers:
            extra.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
        return httpx.Request(
            method,
            url,
            headers=self._merged(extra) if extra else self._headers,
            content=content,
            extensions={"timeout": self._timeout},
        )

    def _merged(self, extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The client's headers with `extra` replacing those of the same name (as httpx)."""
        names = {name.lower() for name, _ in extra}
        if names.isdisjoint(self._names):
            return [*self._headers, *extra]
        return [(k, v) for k, v in self._headers if k.lower() not in names] + extra


def encode_query(params: Mapping[str, Scalar | Sequence[Scalar]]) -> str:
    """`params` as httpx encodes them: lists repeat the key, True/False/None become
    "true"/"false"/"", a space "+", all else but unreserved characters percent-encoded."""
    pairs: list[str] = []
    for key, value in params.items():
        name = quote_plus(key, safe="")
        if isinstance(value, list | tuple):
            pairs.extend(f"{name}={quote_plus(_text(v), safe='')}" for v in value)
        else:
            pairs.append(f"{name}={quote_plus(_text(value), safe='')}")  # type: ignore[arg-type]
    return "&".join(pairs)


def _text(value: Scalar) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)
