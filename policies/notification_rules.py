"""Which case event kinds tell a citizen that there is news (the policy file's data).

The pre-study: do not send signals that mean nothing to the citizen. The policy
file's `[notifications]` names the event kinds that notify, and may replace them
per case type (an exact code or a prefix ending in `*`; the most specific wins).
Internal events never notify: citizens never see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.domain import CaseEvent, CaseEventKind

#: decisions, requests for completion, messages: what a citizen should act on or read
DEFAULT_KINDS = frozenset(
    {CaseEventKind.DECIDED, CaseEventKind.COMPLETION_REQUESTED, CaseEventKind.NOTICE}
)


def _matches(pattern: str, code: str) -> bool:
    return code.startswith(pattern[:-1]) if pattern.endswith("*") else code == pattern


def _specificity(pattern: str) -> tuple[int, int]:
    return (0 if pattern.endswith("*") else 1, len(pattern))


@dataclass(frozen=True, slots=True)
class NotificationRules:
    kinds: frozenset[CaseEventKind] = DEFAULT_KINDS
    #: (pattern, kinds), most specific pattern first
    by_case_type: tuple[tuple[str, frozenset[CaseEventKind]], ...] = ()

    @classmethod
    def of(
        cls, kinds: frozenset[CaseEventKind], by_case_type: Mapping[str, frozenset[CaseEventKind]]
    ) -> NotificationRules:
        ordered = sorted(by_case_type.items(), key=lambda item: _specificity(item[0]), reverse=True)
        return cls(kinds=kinds, by_case_type=tuple(ordered))

    def kinds_for(self, case_type: str) -> frozenset[CaseEventKind]:
        for pattern, kinds in self.by_case_type:
            if _matches(pattern, case_type):
                return kinds
        return self.kinds


def notifies(rules: NotificationRules, case_type: str, event: CaseEvent) -> bool:
    """True when `event` in a case of `case_type` is news a citizen is told about."""
    return not event.internal and event.kind in rules.kinds_for(case_type)
