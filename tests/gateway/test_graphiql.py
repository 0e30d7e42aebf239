"""GraphiQL from the gateway itself: the page, its assets, its headers, the demo's tokens."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any

from gateway.graphiql import ASSET_DIR, ASSETS, CONTENT_SECURITY_POLICY, GraphiQLPage
from simulators import personas

HTML = {"accept": "text/html,application/xhtml+xml"}


async def test_browsers_get_the_page_with_a_strict_policy_and_no_foreign_origin(
    gateway: Any,
) -> None:
    response = await gateway.client.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    page = response.text
    # every script is a file of ours (no inline code), every URL is this origin
    assert re.findall(r"<script[^>]*>([^<]*)</script>", page) == [""] * 5
    assert "http" not in page and "//" not in page.replace("<!doctype html>", "")
    version = GraphiQLPage().version
    assert re.findall(r'(?:src|href)="(/[^"]*)"', page) == [
        f"/graphiql/{version}/{name}"
        for name in (
            "graphiql.min.css",
            "plugin-explorer.css",
            "knutpunkt-graphiql.css",
            "react.production.min.js",
            "react-dom.production.min.js",
            "graphiql.min.js",
            "plugin-explorer.umd.js",
            "knutpunkt-graphiql.js",
        )
    ]
    # the demo's role switcher names the personas
    options = re.findall(r'<option value="([^"]+)">', page)
    assert options == ["public", "kalle", "anna", "contact-centre", "sn-officer", "analyst"]


async def test_assets_are_served_immutable_under_a_content_hash(gateway: Any) -> None:
    version = GraphiQLPage().version
    digest = hashlib.sha256()
    for name in sorted(ASSETS):
        digest.update(name.encode() + b"\0" + (ASSET_DIR / name).read_bytes() + b"\0")
    assert version == digest.hexdigest()[:16]
    script = await gateway.client.get(
        f"/graphiql/{version}/graphiql.min.js", headers={"accept-encoding": "identity"}
    )
    assert script.status_code == 200
    assert script.content == (ASSET_DIR / "graphiql.min.js").read_bytes()
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert script.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # browsers get the scripts and styles compressed (the bundle is 3.5 MB as released)
    packed = await gateway.client.get(
        f"/graphiql/{version}/graphiql.min.js", headers={"accept-encoding": "gzip"}
    )
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < len(script.content) // 3
    assert packed.content == script.content  # httpx decodes it
    assert packed.headers["cache-control"] == "public, max-age=31536000, immutable"
    style = await gateway.client.get(f"/graphiql/{version}/graphiql.min.css")
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    licence = await gateway.client.get(f"/graphiql/{version}/LICENSE.react")
    assert licence.status_code == 200 and "MIT License" in licence.text
    for path in (
        "/graphiql/0000000000000000/graphiql.min.js",  # an old release
        f"/graphiql/{version}/graphiql.min.js.map",  # not shipped
        f"/graphiql/{version}/..%2Fsettings.py",
        f"/graphiql/{version}/issuer.py",
    ):
        assert (await gateway.client.get(path)).status_code == 404, path


async def test_clients_keep_graphql_over_get_and_post(gateway: Any) -> None:
    got = await gateway.client.get(
        "/graphql", params={"query": "{ viewer { role } }"}, headers={"accept": "application/json"}
    )
    assert got.json() == {"data": {"viewer": {"role": "PUBLIC"}}}
    # a browser that asks for a query by GET gets the result, not the page
    html_get = await gateway.client.get(
        "/graphql", params={"query": "{ viewer { role } }"}, headers=HTML
    )
    assert html_get.json() == {"data": {"viewer": {"role": "PUBLIC"}}}
    assert await gateway.query("{ viewer { role } }") == {"data": {"viewer": {"role": "PUBLIC"}}}


async def test_the_role_switcher_gets_a_working_token_per_persona(gateway: Any) -> None:
    expected = {
        "kalle": {"role": "CITIZEN", "name": "Kalle Testson"},
        "anna": {"role": "CITIZEN", "name": "Anna Andersson"},
        "contact-centre": {"role": "CONTACT_CENTRE", "name": "Maja Kontaktcenter"},
        "sn-officer": {"role": "CASE_OFFICER", "name": "Sven Socialsekreterare"},
        "analyst": {"role": "ANALYST", "name": "Alva Analytiker"},
    }
    for persona, viewer in expected.items():
        response = await gateway.client.post("/graphiql/demo-token", json={"persona": persona})
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["persona"] == persona
        seen = await gateway.query("{ viewer { role name } }", token=body["token"])
        assert seen == {"data": {"viewer": viewer}}, persona
    kalle = (await gateway.client.post("/graphiql/demo-token", json={"persona": "kalle"})).json()
    pages = await gateway.query("{ myPages { citizen { personalNumber } } }", token=kalle["token"])
    assert pages["data"]["myPages"]["citizen"]["personalNumber"] == personas.KALLE
    public = await gateway.client.post("/graphiql/demo-token", json={"persona": "public"})
    assert public.json() == {"persona": "public", "token": None}


async def test_the_role_switcher_refuses_what_is_not_a_persona(gateway: Any) -> None:
    unknown = {"errors": [{"message": "Okänd persona.", "extensions": {"code": "UNKNOWN_PERSONA"}}]}
    for body in (b'{"persona": "root"}', b'{"persona": 1}', b"[]", b"not json", b""):
        response = await gateway.client.post(
            "/graphiql/demo-token", content=body, headers={"content-type": "application/json"}
        )
        assert (response.status_code, response.json()) == (400, unknown), body
    assert (await gateway.client.get("/graphiql/demo-token")).status_code == 405


async def test_production_has_no_token_endpoint_and_no_switcher(
    settings: Any, start_gateway: Any
) -> None:
    production = replace(
        settings,
        demo=replace(settings.demo, enabled=False),
        gateway=replace(settings.gateway, graphiql=True),  # production: only when configured
    )
    async with start_gateway(production) as gateway:
        response = await gateway.client.post("/graphiql/demo-token", json={"persona": "kalle"})
        assert response.status_code == 404
        page = await gateway.client.get("/graphql", headers=HTML)
        assert page.status_code == 200 and "kp-persona" not in page.text
        assert 'data-demo-token-url=""' in page.text


async def test_without_graphiql_there_is_no_page_and_no_assets(
    settings: Any, start_gateway: Any
) -> None:
    # the demo always has GraphiQL; in production it is off unless `[gateway] graphiql`
    off = replace(
        settings,
        demo=replace(settings.demo, enabled=False),
        gateway=replace(settings.gateway, graphiql=False),
    )
    async with start_gateway(off) as gateway:
        page = await gateway.client.get("/graphql", headers=HTML)
        assert "text/html" not in page.headers.get("content-type", "")
        version = GraphiQLPage().version
        asset = await gateway.client.get(f"/graphiql/{version}/graphiql.min.js")
        assert asset.status_code == 404
        token = await gateway.client.post("/graphiql/demo-token", json={"persona": "kalle"})
        assert token.status_code == 404
        assert await gateway.query("{ viewer { role } }") == {
            "data": {"viewer": {"role": "PUBLIC"}}
        }


def test_every_shipped_file_has_its_licence_beside_it() -> None:
    shipped = {p.name for p in ASSET_DIR.iterdir()}
    assert shipped == set(ASSETS)
    notice = (ASSET_DIR / "NOTICE").read_text()
    for package in ("graphiql 3.8.3", "@graphiql/plugin-explorer 3.2.6", "react 18.3.1"):
        assert package in notice
    for licence in (n for n in ASSETS if n.startswith("LICENSE.")):
        assert (ASSET_DIR / licence).read_text().startswith("MIT License\n"), licence
