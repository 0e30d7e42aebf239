"""The role × relation × case-kind matrix: the level, and field by field what leaves.

Every case here has every field set (see conftest.build_case), so a field that a
level should withhold but does not shows up in `exposed()` and fails the test.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from connectors.domain import Case, Person
from policies.caller import Caller, Role
from policies.disclosure import Disclosure, delegated_units, level
from policies.policy import Policy
from policies.redact import redact_case
from policies.relations import Representation, RepresentationBasis, relation_to
from policies.views import CaseView, CollaborationView, DocumentView, EventView, PersonView

from .conftest import build_case, make_pnr  # type: ignore[import-not-found]
