"""Who may see what: roles, relations, disclosure levels, redaction, suppression.

Pure functions over the domain data. The packages above (`resolvers`, `gateway`,
`casestore`) use what `__all__` names; the modules behind it are the policy
layer's own business (tests may reach into them).
"""

from .caller import Caller, Role
from .case_view import (
    OPEN_STATUSES,
    CallerRelations,
    case_view,
    impersonal_view,
    is_open,
    overdue_is_impersonal,
    overdue_units,
)
from .disclosure import delegated_units, may_see_cases
from .errors import PolicyError
from .functions import Operation, require_role, validate_purpose
from .levels import Disclosure
from .notification_rules import NotificationRules, notifies
from .notifications import news_for
from .persons import person_view, staff_may_find_person
from .policy import Policy, load_policy
from .promises import PromiseState, PromiseStatus, service_promise
from .relations import Representation, RepresentationBasis, representations
from .statistics import StatisticsPolicy, publish
from .views import CaseView, CollaborationView, DocumentView, EventView, PersonView

__all__ = [
    "OPEN_STATUSES",
    "Caller",
    "CallerRelations",
    "CaseView",
    "CollaborationView",
    "Disclosure",
    "DocumentView",
    "EventView",
    "NotificationRules",
    "Operation",
    "PersonView",
    "Policy",
    "PolicyError",
    "PromiseState",
    "PromiseStatus",
    "Representation",
    "RepresentationBasis",
    "Role",
    "StatisticsPolicy",
    "case_view",
    "delegated_units",
    "impersonal_view",
    "is_open",
    "load_policy",
    "may_see_cases",
    "news_for",
    "notifies",
    "overdue_is_impersonal",
    "overdue_units",
    "person_view",
    "publish",
    "representations",
    "require_role",
    "service_promise",
    "staff_may_find_person",
    "validate_purpose",
]
