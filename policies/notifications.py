"""Who is told that there is news: the notification decision over the disclosure one.

A citizen hears of an event only if they may see it on Mina Sidor (`case_view`:
relation, level, protected identity, internal events left out), the policy says its
kind notifies for the case type, and — for a case of someone they represent (a
child, a principal) — they chose to hear about those too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connectors.domain import Case, CaseEvent, Person

from .caller import Caller, Role
from .case_view import CallerRelations, case_view
from .notification_rules import notifies
from .policy import Policy
from .relations import Relation, relation_to


def news_for(
    citizen: str,
    case: Case,
    events: Sequence[CaseEvent],
    relations: CallerRelations,
    persons: Mapping[str, Person],
    policy: Policy,
    *,
    include_represented: bool,
) -> list[CaseEvent]:
    """The `events` of `case` the citizen with personal number `citizen` is told about."""
    caller = Caller(role=Role.CITIZEN, subject=citizen, personal_number=citizen)
    own = relation_to(caller, case, relations.representations) is Relation.OWN
    if not (own or include_represented):
        return []
    view = case_view(caller, case, relations, persons, policy)
    if view is None:
        return []
    visible = {e.id for e in view.events}
    rules = policy.notifications
    return [e for e in events if e.id in visible and notifies(rules, case.type.code, e)]
