"""The demo (`knutpunkt serve` without a config) sends its news mail after a one-minute
digest window, so a newcomer sees it arrive; production keeps 15 minutes, and an
explicit `KNUTPUNKT_NOTIFY_DIGEST_MINUTES` wins in the demo too."""

from __future__ import annotations

from gateway.serve import DEMO_DIGEST_MINUTES, demo_settings
from gateway.settings import load_settings


def test_the_demo_digest_is_one_minute_unless_set() -> None:
    production = load_settings(None, env={})
    assert (production.demo.enabled, production.notify.digest_minutes) == (False, 15.0)
    demo = demo_settings(production, {})
    assert (demo.demo.enabled, demo.notify.digest_minutes) == (True, DEMO_DIGEST_MINUTES)
    assert DEMO_DIGEST_MINUTES == 1.0
    env = {"KNUTPUNKT_NOTIFY_DIGEST_MINUTES": "0.05"}
    chosen = demo_settings(load_settings(None, env=env), env)
    assert (chosen.demo.enabled, chosen.notify.digest_minutes) == (True, 0.05)
