"""Signal tests get their own sandbox world: they record new case events in it, which
must not leak into the session-wide world other tests assert on."""

from __future__ import annotations

from datetime import date

import pytest

from simulators.world import World

TEST_SCALE = 0.05


@pytest.fixture(scope="module")
def world() -> World:
    from simulators.generate import generate

    return generate(seed=1, reference_date=date.today(), scale=TEST_SCALE)
