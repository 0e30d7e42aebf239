"""The [metrics], [tracing] and [logging] settings: from the example file and the environment."""

from __future__ import annotations

from pathlib import Path

from gateway.settings import LoggingSettings, MetricsSettings, TracingSettings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "configuration.example.toml"


def test_the_example_configuration_documents_the_operations_sections() -> None:
    settings = load_settings(EXAMPLE, env={})
    assert settings.metrics == MetricsSettings(port=9464, host="10.0.0.5", token="from-the-vault")
    assert settings.tracing == TracingSettings(enabled=False, service_name="knutpunkt")
    assert settings.logging == LoggingSettings(format="json", level="INFO")


def test_defaults_and_environment_overrides() -> None:
    defaults = load_settings(None, env={})
    assert (defaults.metrics, defaults.tracing, defaults.logging) == (
        MetricsSettings(),
        TracingSettings(),
        LoggingSettings(),
    )
    assert (defaults.metrics.port, defaults.metrics.token, defaults.tracing.enabled) == (
        0,
        "",
        False,
    )
    env = {
        "KNUTPUNKT_METRICS_PORT": "9100",
        "KNUTPUNKT_METRICS_TOKEN": "t0ken",
        "KNUTPUNKT_TRACING_ENABLED": "true",
        "KNUTPUNKT_LOGGING_FORMAT": "text",
    }
    settings = load_settings(None, env=env)
    assert settings.metrics == MetricsSettings(port=9100, token="t0ken")
    assert settings.tracing == TracingSettings(enabled=True)
    assert settings.logging == LoggingSettings(format="text")
