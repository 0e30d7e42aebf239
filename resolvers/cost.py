"""What a query would cost, computed before it runs, and the limits on it.

The estimate counts the objects a query can return: every object field costs 1,
connection wrappers (`edges`, `node`, `pageInfo`) nothing, and a field's children are
multiplied by how many it can return: its `first` argument (or that argument's
default) for connections, `ASSUMED_LIST_SIZE` for other lists. Fields that make the
gateway call source systems (`UPSTREAM_FIELDS`) cost `UPSTREAM_WEIGHT` more each
time they run (once per parent object, whatever the size of their list). A query above the
limit is refused with `QUERY_TOO_COSTLY` before any resolver runs (`query_gate`); the error
carries the cost and the limit.

Also here: the limit on root fields per operation (a validation rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast,
)

#: objects assumed in a list without a `first` argument, unless `LIST_SIZES` knows better
ASSUMED_LIST_SIZE = 10
#: lists that are short by nature: a chain spans a handful of systems, a case has a
#: handful of collaborations and representations
LIST_SIZES: Mapping[tuple[str, str], int] = {
    ("Case", "chain"): 5,
    ("Case", "collaborations"): 5,
    ("CitizenView", "represents"): 5,
}
#: extra cost of a field that calls source systems, each time it runs
UPSTREAM_WEIGHT = 10
UPSTREAM_FIELDS = frozenset(
    {
        ("Query", "myPages"),
        ("Query", "citizen"),
        ("Query", "case"),
        ("Query", "casesByNumber"),
        ("Query", "overdueCases"),
        ("CitizenView", "cases"),
        ("CitizenView", "events"),
        ("CitizenView", "represents"),
        ("Case", "chain"),
        ("Collaboration", "counterpartCase"),
    }
)
#: the wrappers of a Relay connection: the connection field itself carries the size
FREE_WRAPPERS = frozenset({"edges", "node", "pageInfo"})
#: costs are capped here while summing (an attack's estimate can be astronomical)
COST_CEILING = 10**12


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None = None,
) -> int:
    """The estimated cost of the operation that would run (0 if none is found)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        op
        for op in operations
        if operation_name is None or (op.name is not None and op.name.value == operation_name)
    ]
    if not chosen:
        return 0
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    walker = _Walker(schema, fragments, dict(variables or {}))
    return walker.selection_cost(root, operation.selection_set, frozenset())


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables

    def selection_cost(
        self, parent: GraphQLObjectType, selections: SelectionSetNode, seen: frozenset[str]
    ) -> int:
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(parent, selection, seen)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    named = self._schema.get_type(selection.type_condition.name.value)
                    target = named if isinstance(named, GraphQLObjectType) else parent
                total += self.selection_cost(target, selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if fragment is None or name in seen:  # validation reports both
                    continue
                named = self._schema.get_type(fragment.type_condition.name.value)
                target = named if isinstance(named, GraphQLObjectType) else parent
                total += self.selection_cost(target, fragment.selection_set, seen | {name})
            total = min(total, COST_CEILING)
        return total

    def _field_cost(self, parent: GraphQLObjectType, node: FieldNode, seen: frozenset[str]) -> int:
        name = node.name.value
        field = parent.fields.get(name)
        if field is None or node.selection_set is None:
            return 0  # scalars, enums and `__typename` are free
        child = get_named_type(field.type)
        if not isinstance(child, GraphQLObjectType):
            return 0  # interfaces and unions are not in our schema
        own = 0 if name in FREE_WRAPPERS else 1
        size = 1 if name in FREE_WRAPPERS else self._size(parent, field, node)
        upstream = UPSTREAM_WEIGHT if (parent.name, name) in UPSTREAM_FIELDS else 0
        children = self.selection_cost(child, node.selection_set, seen)
        return min(upstream + size * (own + children), COST_CEILING)

    def _size(self, parent: GraphQLObjectType, field: GraphQLField, node: FieldNode) -> int:
        if "first" in field.args:
            given = next((a for a in node.arguments or () if a.name.value == "first"), None)
            arg = field.args["first"]
            value = (
                value_from_ast(given.value, arg.type, self._variables)
                if given is not None
                else arg.default_value
            )
            if isinstance(value, int) and value > 0:
                return value
            default = arg.default_value
            return default if isinstance(default, int) and default > 0 else ASSUMED_LIST_SIZE
        if is_list_type(get_nullable_type(field.type)):
            return LIST_SIZES.get((parent.name, node.name.value), ASSUMED_LIST_SIZE)
        return 1


def root_field_limit(max_fields: int) -> type[ASTValidationRule]:
    """A validation rule: at most `max_fields` root fields per operation (fragments
    spread at the root count with their fields)."""

    class MaxRootFields(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._fragments = {
                d.name.value: d
                for d in context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            count = self._count(node.selection_set, frozenset())
            if count > max_fields:
                self.report_error(
                    GraphQLError(
                        f"Frågan har {count} fält på översta nivån; högst {max_fields} tillåts.",
                        node,
                        extensions={"code": "TOO_MANY_ROOT_FIELDS"},
                    )
                )

        def _count(self, selections: SelectionSetNode, seen: frozenset[str]) -> int:
            count = 0
            for selection in selections.selections:
                if isinstance(selection, FieldNode):
                    count += selection.name.value != "__typename"
                elif isinstance(selection, InlineFragmentNode):
                    count += self._count(selection.selection_set, seen)
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = self._fragments.get(selection.name.value)
                    if fragment is not None and fragment.name.value not in seen:
                        count += self._count(fragment.selection_set, seen | {fragment.name.value})
            return count

    return MaxRootFields
