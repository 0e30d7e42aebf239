"""Reading the policy file: strict validation, section by section.

Every problem raises `PolicyError` with the dotted key that is wrong, e.g.
`levels.citizen.own: unknown level 'ALL' (expected NONE, EXISTENCE, SUMMARY, FULL)`.
Unknown sections, keys, roles, units, case types and levels are errors, not
ignored: a typo in a secrecy rule must stop the gateway, not weaken the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

from connectors.domain import CaseEventKind, CaseType

from .errors import PolicyError
from .levels import CONFIGURABLE_ROLES, UNCONFIGURABLE_ROLES, Disclosure, Situation

FORMAT_VERSION = 1
SECTIONS = frozenset(
    {
        "version",
        "units",
        "contact_centre",
        "levels",
        "overrides",
        "catalogue",
        "statistics",
        "service_promises",
        "notifications",
    }
)
REQUIRED = SECTIONS - {"overrides", "notifications"}
MAX_PROMISE_DAYS = 3650
MAX_THRESHOLD = 1000

_UNIT_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
_TYPE_CODE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
_PREFIX = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*-?\*$")
_LEVELS = ", ".join(d.value for d in Disclosure)
_SITUATIONS: dict[str, dict[str, Situation]] = {role: {} for role in CONFIGURABLE_ROLES}
for _s in Situation:
    _SITUATIONS[_s.role_key][_s.key] = _s


class PolicyReader:
    """Validates the parsed TOML of one policy file; each method reads one section."""

    def __init__(self, data: Mapping[str, Any], source: str) -> None:
        self._data = data
        self._source = source
        for key in data:
            if key not in SECTIONS:
                self._fail(key, "unknown section")
        for key in sorted(REQUIRED - set(data)):
            self._fail(key, "missing section")
        if type(data["version"]) is not int or data["version"] != FORMAT_VERSION:
            self._fail("version", f"must be {FORMAT_VERSION}")

    def units(self) -> dict[str, str]:
        table = self._table(self._data["units"], "units")
        if not table:
            self._fail("units", "must name at least one unit")
        for code, name in table.items():
            if not _UNIT_CODE.match(code):
                self._fail(f"units.{code}", "unit codes are 1-10 capital letters or digits")
            self._text(name, f"units.{code}")
        return dict(table)

    def delegated_units(self, units: Mapping[str, str]) -> frozenset[str]:
        table = self._table(self._data["contact_centre"], "contact_centre")
        self._only(table, {"delegated_units"}, "contact_centre", required=True)
        codes = self._text_list(table["delegated_units"], "contact_centre.delegated_units")
        for code in codes:
            if code not in units:
                self._fail("contact_centre.delegated_units", f"unknown unit '{code}'")
        return frozenset(codes)

    def levels(self) -> dict[Situation, Disclosure]:
        table = self._table(self._data["levels"], "levels")
        levels = self._rows(table, "levels", complete=True)
        return levels

    def overrides(
        self, case_types: Mapping[str, CaseType]
    ) -> list[tuple[str, dict[Situation, Disclosure]]]:
        table = self._table(self._data.get("overrides", {}), "overrides")
        found = []
        for pattern, rows in table.items():
            key = f'overrides."{pattern}"'
            if _PREFIX.match(pattern):
                prefix = pattern[:-1]
                if not any(code.startswith(prefix) for code in case_types):
                    self._fail(key, "the pattern matches no case type of the catalogue")
            elif _TYPE_CODE.match(pattern):
                if pattern not in case_types:
                    self._fail(key, "unknown case type (not in catalogue.case_types)")
            else:
                self._fail(key, "a pattern is a case-type code or a prefix ending in '*'")
            levels = self._rows(self._table(rows, key), key, complete=False)
            if not levels:
                self._fail(key, "an override must set at least one row")
            found.append((pattern, levels))
        return found

    def catalogue(self) -> tuple[tuple[str, ...], dict[str, CaseType]]:
        table = self._table(self._data["catalogue"], "catalogue")
        self._only(table, {"areas", "case_types"}, "catalogue", required=True)
        areas = self._text_list(table["areas"], "catalogue.areas")
        if not areas or len(set(areas)) != len(areas):
            self._fail("catalogue.areas", "must be a non-empty list without duplicates")
        types = self._table(table["case_types"], "catalogue.case_types")
        catalogue: dict[str, CaseType] = {}
        for code, entry in types.items():
            key = f"catalogue.case_types.{code}"
            if not _TYPE_CODE.match(code):
                self._fail(key, "case-type codes are capital letters and digits joined by '-'")
            fields = self._table(entry, key)
            self._only(fields, {"name", "area"}, key, required=True)
            name = self._text(fields["name"], f"{key}.name")
            area = self._text(fields["area"], f"{key}.area")
            if area not in areas:
                self._fail(f"{key}.area", f"unknown area '{area}' (not in catalogue.areas)")
            catalogue[code] = CaseType(code=code, name=name, area=area)
        return tuple(areas), catalogue

    def suppression_threshold(self) -> int:
        table = self._table(self._data["statistics"], "statistics")
        self._only(table, {"suppression_threshold"}, "statistics", required=True)
        return self._count(
            table["suppression_threshold"], "statistics.suppression_threshold", MAX_THRESHOLD
        )

    def service_promises(self, case_types: Mapping[str, CaseType]) -> tuple[int, dict[str, int]]:
        table = self._table(self._data["service_promises"], "service_promises")
        self._only(table, {"default_days", "days"}, "service_promises", required=True)
        default = self._count(
            table["default_days"], "service_promises.default_days", MAX_PROMISE_DAYS
        )
        days: dict[str, int] = {}
        for code, value in self._table(table["days"], "service_promises.days").items():
            key = f"service_promises.days.{code}"
            if code not in case_types:
                self._fail(key, "unknown case type (not in catalogue.case_types)")
            days[code] = self._count(value, key, MAX_PROMISE_DAYS)
        return default, days

    def notifications(
        self, case_types: Mapping[str, CaseType]
    ) -> tuple[frozenset[CaseEventKind], dict[str, frozenset[CaseEventKind]]] | None:
        """`[notifications]`: kinds = [...], case_types = {pattern = [...]}; None if absent."""
        if "notifications" not in self._data:
            return None
        table = self._table(self._data["notifications"], "notifications")
        self._only(table, {"kinds", "case_types"}, "notifications", required=False)
        kinds = self._kinds(table.get("kinds", []), "notifications.kinds")
        by_type: dict[str, frozenset[CaseEventKind]] = {}
        types = self._table(table.get("case_types", {}), "notifications.case_types")
        for pattern, value in types.items():
            key = f'notifications.case_types."{pattern}"'
            if _PREFIX.match(pattern):
                if not any(code.startswith(pattern[:-1]) for code in case_types):
                    self._fail(key, "the pattern matches no case type of the catalogue")
            elif pattern not in case_types:
                self._fail(key, "unknown case type (not in catalogue.case_types)")
            by_type[pattern] = self._kinds(value, key)
        return kinds, by_type

    def _kinds(self, value: Any, key: str) -> frozenset[CaseEventKind]:
        names = [] if value == [] else self._text_list(value, key)
        for name in names:
            if name not in CaseEventKind.__members__:
                self._fail(key, f"unknown event kind '{name}'")
        return frozenset(CaseEventKind[name] for name in names)

    # -- helpers ---------------------------------------------------------------

    def _rows(
        self, table: Mapping[str, Any], prefix: str, *, complete: bool
    ) -> dict[Situation, Disclosure]:
        rows: dict[Situation, Disclosure] = {}
        for role, entries in table.items():
            key = f"{prefix}.{role}"
            if role in UNCONFIGURABLE_ROLES:
                self._fail(
                    key, "this role never gets person-level case access and cannot be given levels"
                )
            if role not in _SITUATIONS:
                self._fail(key, f"unknown role (expected one of {', '.join(CONFIGURABLE_ROLES)})")
            situations = _SITUATIONS[role]
            entries = self._table(entries, key)
            self._only(entries, set(situations), key, required=complete)
            for name, value in entries.items():
                rows[situations[name]] = self._level(value, f"{key}.{name}")
        if complete:
            for role in CONFIGURABLE_ROLES:
                if role not in table:
                    self._fail(f"{prefix}.{role}", "missing role")
        return rows

    def _level(self, value: Any, key: str) -> Disclosure:
        if isinstance(value, str) and value in Disclosure.__members__:
            return Disclosure[value]
        self._fail(key, f"unknown level {value!r} (expected {_LEVELS})")

    def _table(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            self._fail(key, "must be a table")
        return value

    def _only(
        self, table: Mapping[str, Any], allowed: set[str], key: str, *, required: bool
    ) -> None:
        for name in table:
            if name not in allowed:
                self._fail(f"{key}.{name}", "unknown key")
        if required:
            for name in sorted(allowed - set(table)):
                self._fail(f"{key}.{name}", "missing key")

    def _text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self._fail(key, "must be a non-empty string")
        return value

    def _text_list(self, value: Any, key: str) -> list[str]:
        if not isinstance(value, list):
            self._fail(key, "must be a list of strings")
        return [self._text(item, f"{key}[{i}]") for i, item in enumerate(value)]

    def _count(self, value: Any, key: str, maximum: int) -> int:
        if type(value) is not int or not 1 <= value <= maximum:
            self._fail(key, f"must be a whole number from 1 to {maximum}")
        return value

    def _fail(self, key: str, problem: str) -> NoReturn:
        raise PolicyError(key, problem, source=self._source)
