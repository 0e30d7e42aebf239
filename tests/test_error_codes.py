"""Every `GatewayError` a client can see has its own `extensions.code`.

All packages are imported first, so that an error class defined anywhere in the
tree is found; a class that declares a code another class already declares fails.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
from pathlib import Path

from connectors.errors import GatewayError

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    name
    for name in ("gateway", "resolvers", "casestore", "signals", "notify", "policies", "connectors")
    if (ROOT / name / "__init__.py").exists()
]


def _import_everything() -> None:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            importlib.import_module(info.name)


def _subclasses(cls: type[GatewayError]) -> list[type[GatewayError]]:
    found: list[type[GatewayError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _declared_codes() -> dict[str, list[str]]:
    """code -> the classes that declare it themselves (not by inheritance)."""
    codes: dict[str, list[str]] = {GatewayError.code: [GatewayError.__qualname__]}
    for cls in _subclasses(GatewayError):
        if "code" in vars(cls):
            codes.setdefault(cls.code, []).append(f"{cls.__module__}.{cls.__qualname__}")
    return codes


def test_every_error_code_is_declared_by_one_class() -> None:
    _import_everything()
    codes = _declared_codes()
    assert {code: owners for code, owners in codes.items() if len(owners) > 1} == {}
    assert {"AUDIT_UNAVAILABLE", "UNAUTHENTICATED", "FORBIDDEN", "UPSTREAM_TIMEOUT"} <= set(codes)


def test_a_second_class_with_a_taken_code_is_seen() -> None:
    class Twin(GatewayError):
        code = "FORBIDDEN"

    try:
        assert _declared_codes()["FORBIDDEN"] == [
            "connectors.errors.Forbidden",
            f"{__name__}.{Twin.__qualname__}",
        ]
    finally:
        del Twin
        gc.collect()  # classes live in reference cycles; drop it before other tests look
