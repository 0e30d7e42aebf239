"""Signal settings: per system and the inbox section, from TOML and the environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kp_signals import SECRET

from gateway.settings import SettingsError, SignalSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_signalling_systems_come_from_toml_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "knutpunkt.toml"
    config.write_text(
        "[signals]\n"
        'url = "postgresql://knutpunkt@db:5432/knutpunkt"\n'
        "retention_hours = 24\n"
        "[systems.byggr]\n"
        'url = "https://byggr.exempelby.se"\n'
        "signals = true\n"
        f'signal_secret = "{SECRET}"\n'
        "cache_seconds = 900\n"
        "[systems.diarium]\n"
        'url = "https://diarium.exempelby.se"\n',
        encoding="utf-8",
    )
    env = {
        "KNUTPUNKT_SYSTEMS_EDU_URL": "https://edu.exempelby.se",
        "KNUTPUNKT_SYSTEMS_EDU_SIGNALS": "true",
        "KNUTPUNKT_SYSTEMS_EDU_SIGNAL_SECRET": SECRET,
        "KNUTPUNKT_SIGNALS_MAX_PENDING": "500",
    }
    settings = load_settings(config, env=env)
    assert settings.signals == SignalSettings(
        url="postgresql://knutpunkt@db:5432/knutpunkt", retention_hours=24.0, max_pending=500
    )
    signalling = settings.signalling()
    assert sorted(signalling) == ["byggr", "edu"]
    assert (signalling["byggr"].cache_seconds, signalling["edu"].cache_seconds) == (900, 600)
    assert settings.systems["diarium"].signals is False


def test_a_signalling_system_needs_a_secret() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(None, env={"KNUTPUNKT_SYSTEMS_BYGGR_SIGNALS": "true"})
    assert info.value.code == "BAD_CONFIGURATION"
    assert "signal_secret" in info.value.message


def test_the_sandbox_needs_a_secret_to_push_signals(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "sandbox",
            "--signals-to",
            "http://127.0.0.1:1/signals",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert "--signal-secret" in done.stderr
