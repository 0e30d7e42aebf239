"""Production-mode guards on the GraphQL layer: introspection only for the configured
staff roles, and validation messages without field suggestions ("Did you mean ...?"),
which would let a caller without introspection map the schema anyway.

The introspection check runs per request (`query_gate`, not as a validation rule):
validation results are kept per query text, and whether `__schema` may be asked depends
on the caller, not on the text.
"""

from __future__ import annotations

import re

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    SelectionSetNode,
)

from policies.caller import Role

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
#: never allowed to introspect outside demo mode, whatever the configuration says
NEVER_INTROSPECT = frozenset({Role.PUBLIC, Role.CITIZEN})
_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)


def may_introspect(role: Role, roles: frozenset[str]) -> bool:
    return role not in NEVER_INTROSPECT and role.value.lower() in roles


def introspects(document: DocumentNode) -> bool:
    """Whether any operation or fragment of the document asks `__schema` or `__type`."""
    return any(
        _asks(definition.selection_set)
        for definition in document.definitions
        if isinstance(definition, ExecutableDefinitionNode)
    )


def _asks(selection_set: SelectionSetNode | None) -> bool:
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS:
            return True
        if _asks(getattr(selection, "selection_set", None)):
            return True
    return False


def without_suggestion(message: str) -> str:
    """The validation message with any "Did you mean ...?" tail cut off."""
    return _SUGGESTION.sub("", message)
