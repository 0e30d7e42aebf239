"""Trusted documents: manifests, the export command and the gateway's gate per role."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.settings import SettingsError, load_settings
from gateway.trusted_documents import document_hash, export_documents_main, load_manifest
from simulators import personas

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "docs" / "portal-documents"
NOT_FOUND = {
    "errors": [
        {
            "message": "Frågan finns inte bland de betrodda dokumenten.",
            "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
        }
    ]
}
MINA_ARENDEN = (PORTAL / "MinaArenden.graphql").read_text()
MINA_SIDOR = (PORTAL / "MinaSidor.graphql").read_text()


def _export(directory: Path, out: Path | None = None) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = export_documents_main(directory, out, stdout, stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_the_shipped_portal_manifest_is_the_export_of_its_documents() -> None:
    code, out, err = _export(PORTAL)
    assert (code, err) == (0, "")
    assert out == (PORTAL / "manifest.json").read_text()
    manifest = json.loads(out)
    files = sorted(PORTAL.glob("*.graphql"))
    assert manifest == dict(sorted((document_hash(f.read_text()), f.read_text()) for f in files))
    assert len(manifest) == 4


def test_export_writes_a_file_and_names_an_invalid_document(tmp_path: Path) -> None:
    (tmp_path / "a.graphql").write_text("{ viewer { role } }\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.graphql").write_text("query B { viewer { name } }\n")
    code, out, err = _export(tmp_path, tmp_path / "manifest.json")
    assert (code, out, err) == (0, "", "")
    assert load_manifest(tmp_path / "manifest.json") == {
        document_hash("{ viewer { role } }\n"): "{ viewer { role } }\n",
        document_hash("query B { viewer { name } }\n"): "query B { viewer { name } }\n",
    }
    (tmp_path / "sub" / "c.graphql").write_text("{ viewer { shoeSize } }")
    code, out, err = _export(tmp_path)
    assert code == 2 and out == ""
    assert err.startswith(f"knutpunkt export-documents: {tmp_path / 'sub' / 'c.graphql'}: ")
    assert "shoeSize" in err
    (tmp_path / "sub" / "c.graphql").write_text("{ viewer {")
    assert _export(tmp_path)[0] == 2
    assert _export(tmp_path / "nothing")[0] == 2


def test_manifests_are_checked_and_both_formats_read(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    doc = "{ viewer { role } }"
    apollo = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": document_hash(doc), "name": "V", "type": "query", "body": doc}],
    }
    path.write_text(json.dumps(apollo))
    assert load_manifest(path) == {document_hash(doc): doc}
    path.write_text(json.dumps({f"sha256:{document_hash(doc).upper()}": doc}))
    assert load_manifest(path) == {document_hash(doc): doc}
    for bad in ({document_hash(doc): doc + " "}, {"abc": doc}, [doc], {document_hash(doc): 1}):
        path.write_text(json.dumps(bad))
        with pytest.raises(SettingsError):
            load_manifest(path)
    path.write_text("{")
    with pytest.raises(SettingsError, match="inte giltig JSON"):
        load_manifest(path)
    with pytest.raises(SettingsError, match="finns inte"):
        load_manifest(tmp_path / "missing.json")


def test_the_list_settings_come_from_toml_and_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text(
        '[gateway]\ntrusted_roles = ["citizen"]\ncors_origins = ["https://minasidor.exempelby.se"]\n'
    )
    gw = load_settings(config, env={}).gateway
    assert (gw.trusted_roles, gw.cors_origins) == (
        ("citizen",),
        ("https://minasidor.exempelby.se",),
    )
    env = {"KNUTPUNKT_GATEWAY_CORS_ORIGINS": "https://a.example, https://b.example"}
    gw = load_settings(config, env=env).gateway
    assert gw.cors_origins == ("https://a.example", "https://b.example")
    assert load_settings(None, env={}).gateway.trusted_roles == ("citizen", "public")
    config.write_text('[gateway]\ncors_origins = "https://a.example"\n')
    with pytest.raises(SettingsError, match="cors_origins har fel typ"):
        load_settings(config, env={})


async def test_require_trusted_without_a_manifest_or_with_a_bad_role_is_refused(
    make_settings: Any, start_gateway: Any
) -> None:
    with pytest.raises(SettingsError, match="require_trusted"):
        start_gateway(make_settings(KNUTPUNKT_GATEWAY_REQUIRE_TRUSTED="true"))
    with pytest.raises(SettingsError, match="okänd roll 'admin'"):
        start_gateway(
            make_settings(
                KNUTPUNKT_GATEWAY_TRUSTED_DOCUMENTS=str(PORTAL / "manifest.json"),
                KNUTPUNKT_GATEWAY_TRUSTED_ROLES="citizen,admin",
            )
        )


@pytest.fixture
def trusted(make_settings: Any) -> Any:
    return make_settings(
        KNUTPUNKT_GATEWAY_TRUSTED_DOCUMENTS=str(PORTAL / "manifest.json"),
        KNUTPUNKT_GATEWAY_REQUIRE_TRUSTED="true",
    )


async def test_citizens_run_the_portal_documents_by_hash_and_nothing_else(
    trusted: Any, start_gateway: Any
) -> None:
    async with start_gateway(trusted) as gateway:
        kalle = {"authorization": f"Bearer {gateway.token('citizen', personas.KALLE)}"}
        # the document in full is allowed (it is in the manifest): the reference answer
        full = await gateway.query(MINA_ARENDEN, token=gateway.token("citizen", personas.KALLE))
        assert "errors" not in full and len(full["data"]["myPages"]["cases"]["edges"]) >= 4
        apollo = await gateway.client.post(
            "/graphql",
            json={
                "extensions": {
                    "persistedQuery": {"version": 1, "sha256Hash": document_hash(MINA_ARENDEN)}
                }
            },
            headers=kalle,
        )
        assert apollo.json() == full
        by_id = await gateway.client.post(
            "/graphql", json={"documentId": f"sha256:{document_hash(MINA_ARENDEN)}"}, headers=kalle
        )
        assert by_id.json() == full
        by_get = await gateway.client.get(
            "/graphql",
            params={"documentId": document_hash(MINA_SIDOR), "variables": '{"first": 2}'},
            headers={**kalle, "accept": "application/json"},
        )
        body = by_get.json()
        assert body["data"]["myPages"]["citizen"] == {
            "name": "Kalle Testson",
            "personalNumber": personas.KALLE,
        }
        assert len(body["data"]["myPages"]["events"]["edges"]) == 2

        # anything else is refused for citizens and the public, however it is sent
        free = "{ myPages { citizen { name personalNumber } } }"
        refused = [
            await gateway.client.post("/graphql", json={"query": free}, headers=kalle),
            await gateway.client.post("/graphql", json={"query": "{ viewer { role } }"}),
            await gateway.client.get(
                "/graphql", params={"query": free}, headers={**kalle, "accept": "application/json"}
            ),
            await gateway.client.post("/graphql", json=[{"query": free}], headers=kalle),
            await gateway.client.post(
                "/graphql", json={"documentId": "sha256:" + "0" * 64}, headers=kalle
            ),
            await gateway.client.post("/graphql", json={"documentId": 7}, headers=kalle),
            await gateway.client.post(
                "/graphql",
                json={
                    "query": free,
                    "extensions": {"persistedQuery": {"sha256Hash": document_hash(free)}},
                },
                headers=kalle,
            ),
        ]
        assert [(r.status_code, r.json()) for r in refused] == [(200, NOT_FOUND)] * len(refused)
        # a known hash wins over a query sent beside it: the manifest's document runs
        swapped = await gateway.client.post(
            "/graphql",
            json={"query": free, "documentId": document_hash(MINA_ARENDEN)},
            headers=kalle,
        )
        assert swapped.json() == full


async def test_analysts_and_staff_keep_free_queries_and_may_use_hashes(
    trusted: Any, start_gateway: Any
) -> None:
    async with start_gateway(trusted) as gateway:
        analyst = gateway.token("analyst")
        assert await gateway.query("{ viewer { role } }", token=analyst) == {
            "data": {"viewer": {"role": "ANALYST"}}
        }
        officer = gateway.token("case_officer", units=["BN"])
        assert await gateway.query("{ viewer { role } }", token=officer) == {
            "data": {"viewer": {"role": "CASE_OFFICER"}}
        }
        unknown = await gateway.client.post(
            "/graphql",
            json={"documentId": "f" * 64},
            headers={"authorization": f"Bearer {analyst}"},
        )
        assert unknown.json() == NOT_FOUND


async def test_without_require_trusted_hashes_work_and_free_queries_too(
    make_settings: Any, start_gateway: Any
) -> None:
    settings = make_settings(KNUTPUNKT_GATEWAY_TRUSTED_DOCUMENTS=str(PORTAL / "manifest.json"))
    async with start_gateway(settings) as gateway:
        token = gateway.token("citizen", personas.KALLE)
        assert await gateway.query("{ viewer { name } }", token=token) == {
            "data": {"viewer": {"name": "Kalle Testson"}}
        }
        by_id = await gateway.client.post(
            "/graphql",
            json={"documentId": document_hash(MINA_ARENDEN)},
            headers={"authorization": f"Bearer {token}"},
        )
        assert by_id.json() == await gateway.query(MINA_ARENDEN, token=token)
