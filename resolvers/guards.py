"""Production-mode guards on the GraphQL layer: introspection only for the configured
staff roles, and validation messages without field suggestions ("Did you mean ...?"),
which would let a caller without introspection map the schema anyway.

The introspection check runs per request (not as a validation rule): validation
results are cached per query text, and whether `__schema` may be asked depends on the
caller, not on the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from policies.caller import Role

from .context import Context

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
#: never allowed to introspect outside demo mode, whatever the configuration says
NEVER_INTROSPECT = frozenset({Role.PUBLIC, Role.CITIZEN})
_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)


class IntrospectionGate(SchemaExtension):
    """Refuses `__schema` and `__type` (`INTROSPECTION_DISABLED`) for callers whose role
    is not in `roles` (lower-case token role names); `roles=None` lets everyone."""

    def __init__(
        self,
        *,
        roles: frozenset[str] | None,
        execution_context: ExecutionContext | None = None,
    ) -> None:
        if execution_context is not None:
            self.execution_context = execution_context
        self._roles = roles

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context.context
        document = self.execution_context.graphql_document
        if (
            self._roles is not None
            and isinstance(ctx, Context)
            and not may_introspect(ctx.caller.role, self._roles)
            and document is not None
            and introspects(document)
        ):
            error = GraphQLError(
                "Schemat kan inte utforskas med den här inloggningen.",
                extensions={"code": "INTROSPECTION_DISABLED"},
            )
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield


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
