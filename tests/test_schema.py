"""schema.graphql is the exported SDL, and it keeps the shared API contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from graphql import build_schema as parse_sdl
from graphql.utilities import find_breaking_changes

from resolvers.schema import build_schema

ROOT = Path(__file__).resolve().parents[1]
CONTRACT_TOOL = ROOT.parent / "shared" / "tools" / "contract_check.py"
CONTRACT = ROOT.parent / "shared" / "contract" / "schema.graphql"


def test_schema_file_equals_the_exported_sdl() -> None:
    exported = build_schema().as_str() + "\n"
    assert (ROOT / "schema.graphql").read_text(encoding="utf-8") == exported, (
        "schema.graphql is stale: run `knutpunkt export-schema > schema.graphql`"
    )


def test_export_schema_command_prints_the_same() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "export-schema"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0
    assert out.stdout == (ROOT / "schema.graphql").read_text(encoding="utf-8")


@pytest.mark.skipif(not CONTRACT_TOOL.is_file(), reason="../shared is not beside this checkout")
def test_contract_check_reports_no_breaking_change() -> None:
    out = subprocess.run(
        [sys.executable, str(CONTRACT_TOOL), "schema.graphql"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout
    assert "0 breaking change(s)" in out.stdout


@pytest.mark.skipif(not CONTRACT.is_file(), reason="../shared is not beside this checkout")
def test_contract_check_would_catch_a_break() -> None:
    contract = parse_sdl(CONTRACT.read_text(encoding="utf-8"))
    broken = (
        (ROOT / "schema.graphql")
        .read_text(encoding="utf-8")
        .replace("  myAccessLog(", "  myAccessLogRenamed(")
    )
    assert find_breaking_changes(contract, parse_sdl(broken))
