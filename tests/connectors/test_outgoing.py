"""Upstream requests built by `RequestBuilder` are the ones httpx would build, and calls
without auth go to the system's transport directly (no cookie kept between citizens)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from connectors.errors import UpstreamUnavailable
from connectors.http import RetryPolicy, UpstreamClient
from connectors.outgoing import RequestBuilder, encode_query

BASES = [
    "http://127.0.0.1:9405",
    "http://127.0.0.1:9405/",
    "https://sys.example/api",
    "https://sys.example/api/",
]

CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/v1/applications", {}),
    ("GET", "v1/applications", {"params": {"pageSize": 500, "offset": 0}}),
    ("GET", "/cases", {"params": {"pnr": "195606055555,193404124129", "open": True}}),
    ("GET", "/cases", {"params": {"pnr": ["195606055555", "193404124129"], "x": None, "f": False}}),
    ("GET", "/sök", {"params": {"q": "Bygglov för garage & 50% / ~x+y", "å": "ä"}}),
    ("GET", "https://other.example/next?cursor=abc%3D&n=2", {}),
    ("GET", "/next?cursor=abc", {}),
    (
        "POST",
        "/rpc",
        {"json": {"jsonrpc": "2.0", "params": {"personnummer": ["195606055555"]}, "id": 1}},
    ),
    ("POST", "/rpc", {"json": {"text": "Åsa Öberg – ärende"}}),
    (
        "POST",
        "/ws",
        {
            "content": "<x/>",
            "headers": {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"a"'},
        },
    ),
    (
        "POST",
        "/ws",
        {"content": b"<y/>", "headers": {"User-Agent": "other/1", "Accept": "text/xml"}},
    ),
]


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize(("method", "url", "kwargs"), CALLS)
def test_same_request_as_httpx(base: str, method: str, url: str, kwargs: dict[str, Any]) -> None:
    http = httpx.AsyncClient(base_url=base, headers={"user-agent": "knutpunkt/0.1"}, timeout=7.5)
    ours = RequestBuilder(http).build(method, url, **kwargs)
    theirs = http.build_request(method, url, **kwargs)
    assert ours.method == theirs.method
    assert ours.url == theirs.url
    assert sorted((k.lower(), v) for k, v in ours.headers.raw) == sorted(
        (k.lower(), v) for k, v in theirs.headers.raw
    )
    assert ours.read() == theirs.read()
    assert ours.extensions == theirs.extensions


def test_query_encoding_matches_httpx_params() -> None:
    params: dict[str, Any] = {"a b": "c d", "list": [1, 2.5, True], "none": None, "sv": "åäö,;/?#"}
    assert encode_query(params) == str(httpx.QueryParams(params))


def test_params_with_a_query_in_the_url_are_merged_as_httpx_merges_them() -> None:
    http = httpx.AsyncClient(base_url="http://sys")
    built = RequestBuilder(http).build("GET", "/x?a=1&b=2", params={"b": 3})
    assert built.url == http.build_request("GET", "/x?a=1&b=2", params={"b": 3}).url
    assert built.url.params["b"] == "3"


def _answer_with_cookie(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"set-cookie": "session=abc"}, json={"ok": True})

    return httpx.MockTransport(handler)


async def test_direct_calls_keep_no_cookie_between_calls() -> None:
    seen: list[httpx.Request] = []
    transport = _answer_with_cookie(seen)
    async with httpx.AsyncClient(base_url="http://sys", transport=transport) as http:
        client = UpstreamClient("sys", http, transport=transport)
        for _ in range(2):
            response = await client.request("GET", "/cases", params={"pnr": "195606055555"})
            assert response.json() == {"ok": True}
            assert response.request.url == httpx.URL("http://sys/cases?pnr=195606055555")
    assert [r.headers.get("cookie") for r in seen] == [None, None]
    assert not http.cookies


async def test_without_a_transport_calls_go_through_the_client() -> None:
    seen: list[httpx.Request] = []
    async with httpx.AsyncClient(
        base_url="http://sys", transport=_answer_with_cookie(seen)
    ) as http:
        client = UpstreamClient("sys", http)
        for _ in range(2):
            await client.request("GET", "/cases")
    # httpx's client keeps the cookie (as before): the second call sends it back
    assert [r.headers.get("cookie") for r in seen] == [None, "session=abc"]


async def test_a_client_with_auth_is_not_bypassed() -> None:
    seen: list[httpx.Request] = []
    transport = _answer_with_cookie(seen)
    async with httpx.AsyncClient(
        base_url="http://sys", transport=transport, auth=httpx.BasicAuth("knutpunkt", "s3cret")
    ) as http:
        client = UpstreamClient("sys", http, transport=transport)
        await client.request("GET", "/cases")
    assert seen[0].headers["authorization"].startswith("Basic ")


async def test_error_status_from_a_direct_call_is_mapped() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": "down"})

    transport = httpx.MockTransport(handler)
    async with httpx.AsyncClient(base_url="http://sys", transport=transport) as http:
        client = UpstreamClient("sys", http, transport=transport, retry=RetryPolicy(attempts=0))
        with pytest.raises(UpstreamUnavailable):
            await client.request("GET", "/cases")
