"""The policy a municipality runs: level table, overrides, delegation, catalogue.

`load_policy()` reads the shipped `default_policy.toml`; `load_policy(path)` a
municipality's own file. The file is data, not code; `policies.policy_file`
reads and validates it strictly; this module holds the result as frozen values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from connectors.domain import CaseType, Unit

from .errors import PolicyError
from .levels import Disclosure, Situation
from .notification_rules import NotificationRules
from .policy_file import PolicyReader

DEFAULT_POLICY = "default_policy.toml"


@dataclass(frozen=True, slots=True)
class Override:
    """Rows replacing the default table for case types matching `pattern`.

    A pattern is an exact code (`EDU-ELEVHALSA`) or a prefix ending in `*`
    (`BYGG-*`).
    """

    pattern: str
    levels: Mapping[Situation, Disclosure]

    @property
    def is_prefix(self) -> bool:
        return self.pattern.endswith("*")

    def matches(self, code: str) -> bool:
        if self.is_prefix:
            return code.startswith(self.pattern[:-1])
        return code == self.pattern

    @property
    def specificity(self) -> tuple[int, int]:
        """Exact codes first, then longer prefixes before shorter ones."""
        return (0 if self.is_prefix else 1, len(self.pattern))


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy file. Build it with `load_policy`, never by hand in production."""

    levels: Mapping[Situation, Disclosure]
    overrides: tuple[Override, ...]  # most specific first
    delegated_units: frozenset[str]
    units: Mapping[str, str]  # code -> Swedish name
    areas: tuple[str, ...]
    case_types: Mapping[str, CaseType]
    suppression_threshold: int
    service_promise_days: Mapping[str, int]
    default_promise_days: int
    source: str = DEFAULT_POLICY
    notifications: NotificationRules = field(default_factory=NotificationRules)

    def level_for(self, case_type: str, situation: Situation) -> Disclosure:
        """The row for `situation`, from the most specific matching override or the default."""
        for override in self.overrides:
            if situation in override.levels and override.matches(case_type):
                return override.levels[situation]
        return self.levels[situation]

    def case_type_name(self, case_type: CaseType) -> str:
        """The catalogue's name for a case type, else the name the source system gave."""
        known = self.case_types.get(case_type.code)
        return known.name if known else case_type.name

    def unit(self, code: str) -> Unit:
        return Unit(code=code, name=self.units.get(code, code))

    def promise_days(self, case_type: str) -> int:
        return self.service_promise_days.get(case_type, self.default_promise_days)


def load_policy(path: Path | None = None) -> Policy:
    """Read and validate a policy file; without a path, the shipped default."""
    if path is None:
        text = resources.files(__package__).joinpath(DEFAULT_POLICY).read_text("utf-8")
        return policy_from_toml(text, source=DEFAULT_POLICY)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(
            "(file)", f"cannot be read ({type(exc).__name__})", source=str(path)
        ) from exc
    return policy_from_toml(text, source=str(path))


def policy_from_toml(text: str, *, source: str = "<string>") -> Policy:
    """Validate a policy given as TOML text (the loader's core; handy in tests)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError("(syntax)", f"not valid TOML: {exc}", source=source) from exc
    return policy_from_data(data, source=source)


def policy_from_data(data: Mapping[str, Any], *, source: str = "<data>") -> Policy:
    """Validate a policy given as the parsed TOML document."""
    reader = PolicyReader(data, source)
    units = reader.units()
    areas, case_types = reader.catalogue()
    promise_default, promise_days = reader.service_promises(case_types)
    overrides = [
        Override(p, MappingProxyType(levels)) for p, levels in reader.overrides(case_types)
    ]
    overrides.sort(key=lambda o: o.specificity, reverse=True)
    notify = reader.notifications(case_types)
    return Policy(
        levels=MappingProxyType(reader.levels()),
        overrides=tuple(overrides),
        delegated_units=reader.delegated_units(units),
        units=MappingProxyType(units),
        areas=areas,
        case_types=MappingProxyType(case_types),
        suppression_threshold=reader.suppression_threshold(),
        service_promise_days=MappingProxyType(promise_days),
        default_promise_days=promise_default,
        source=source,
        notifications=NotificationRules.of(*notify) if notify else NotificationRules(),
    )
