"""Settings: TOML file, environment overrides, strict validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import CaseStoreSettings, SettingsError, load_settings


def test_defaults_are_embedded_choices() -> None:
    settings = load_settings(None, env={})
    assert settings.cache.url == "memory://"
    assert settings.audit.url.startswith("sqlite:///")
    assert settings.gateway.port == 8000
    assert settings.systems == {}


def test_file_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text(
        """
[gateway]
port = 9000
deadline_seconds = 2
[cache]
url = "redis://127.0.0.1:6379/1"
[systems.byggr]
url = "http://byggr.example:8080"
timeout = 4
""",
        encoding="utf-8",
    )
    env = {
        "KNUTPUNKT_GATEWAY_PORT": "9001",
        "KNUTPUNKT_OIDC_ISSUER": "https://idp.example",
        "KNUTPUNKT_OIDC_AUDIENCE": "knutpunkt",
        "KNUTPUNKT_OIDC_JWKS_URL": "https://idp.example/jwks",
        "KNUTPUNKT_AUDIT_URL": "postgresql://postgres@127.0.0.1:5432/test",
        "KNUTPUNKT_SYSTEMS_ECOS_URL": "http://ecos.example",
    }
    settings = load_settings(config, env=env)
    assert settings.gateway.port == 9001
    assert settings.gateway.deadline_seconds == 2.0
    assert settings.cache.url == "redis://127.0.0.1:6379/1"
    assert settings.oidc.issuer == "https://idp.example"
    assert settings.oidc.jwks_url == "https://idp.example/jwks"
    assert settings.audit.url.startswith("postgresql://")
    assert settings.systems["byggr"].url == "http://byggr.example:8080"
    assert settings.systems["byggr"].timeout == 4.0
    assert settings.systems["ecos"].url == "http://ecos.example"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[nope]\nx = 1\n", "Okänd sektion"),
        ("[gateway]\nprot = 1\n", "Okänd nyckel"),
        ("[gateway]\nport = 'x'\n", "fel typ"),
        ("[gateway\n", "inte giltig TOML"),
    ],
)
def test_bad_files_are_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "k.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(config, env={})


def test_bad_environment_value() -> None:
    with pytest.raises(SettingsError, match="KNUTPUNKT_GATEWAY_PORT"):
        load_settings(None, env={"KNUTPUNKT_GATEWAY_PORT": "eighty"})


def test_missing_file() -> None:
    with pytest.raises(SettingsError, match="finns inte"):
        load_settings(Path("/nonexistent/k.toml"), env={})


def test_case_store_section_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text('[casestore]\nurl = "sqlite:///:memory:"\nenabled = false\n', "utf-8")
    settings = load_settings(config, env={"KNUTPUNKT_CASESTORE_REFRESH_SECONDS": "5"})
    assert (settings.casestore.url, settings.casestore.enabled) == ("sqlite:///:memory:", False)
    assert settings.casestore.refresh_seconds == 5.0


def test_the_old_replica_names_still_work_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "k.toml"
    config.write_text('[replica]\nurl = "sqlite:///old.db"\nrefresh_seconds = 30\n', "utf-8")
    env = {"KNUTPUNKT_REPLICA_ENABLED": "false", "KNUTPUNKT_REPLICA_REFRESH_SECONDS": "7"}
    with caplog.at_level("WARNING", logger="knutpunkt.settings"):
        settings = load_settings(config, env=env)
    assert settings.casestore == CaseStoreSettings(
        url="sqlite:///old.db", refresh_seconds=7.0, enabled=False
    )
    assert [r.getMessage() for r in caplog.records] == [
        "settings: [replica] is deprecated, rename it to [casestore]",
        "settings: KNUTPUNKT_REPLICA_* is deprecated, use KNUTPUNKT_CASESTORE_* "
        "(KNUTPUNKT_REPLICA_ENABLED, KNUTPUNKT_REPLICA_REFRESH_SECONDS)",
    ]
    # the new names win over the old ones
    newer = load_settings(
        None,
        env={
            "KNUTPUNKT_REPLICA_URL": "sqlite:///a.db",
            "KNUTPUNKT_CASESTORE_URL": "sqlite:///b.db",
        },
    )
    assert newer.casestore.url == "sqlite:///b.db"


def test_old_and_new_case_store_sections_together_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text("[replica]\nenabled = false\n[casestore]\nenabled = true\n", "utf-8")
    with pytest.raises(SettingsError, match=r"antingen \[casestore\] eller \[replica\]"):
        load_settings(config, env={})


def test_list_settings_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text('[gateway]\nintrospection_roles = ["analyst"]\n', encoding="utf-8")
    assert load_settings(config, env={}).gateway.introspection_roles == ("analyst",)
    env = {"KNUTPUNKT_GATEWAY_INTROSPECTION_ROLES": " analyst, case_officer ,"}
    assert load_settings(None, env=env).gateway.introspection_roles == ("analyst", "case_officer")
    config.write_text('[gateway]\nintrospection_roles = "analyst"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="fel typ"):
        load_settings(config, env={})
