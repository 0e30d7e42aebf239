"""Fixtures of the case connector tests: `connector`, the connector of the module's
`system` (a `kp_case_systems.CaseSystem`, a fixture or a parameter) over its simulator
with small pages, and `counting`, the transport that sees its requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kp_case_systems import CaseSystem, connected, simulated
from kp_testing import CountingTransport


@pytest.fixture
def counting(system: CaseSystem[Any]) -> CountingTransport:
    return simulated(system)


@pytest.fixture
async def connector(system: CaseSystem[Any], counting: CountingTransport) -> AsyncIterator[Any]:
    async with connected(system, counting, **system.small_pages) as connector:
        yield connector
