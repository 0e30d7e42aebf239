"""The checks an operation passes before it runs, worked out once per query text.

One schema extension does them all, in this order: parse (at most `max_tokens`
tokens), validate (graphql's rules and ours: depth, aliases, root fields), then, as
execution starts, the introspection gate (`guards`) and the cost limit (`cost`).

What depends only on the text is kept per process in `PreparedQueries`, a bounded
LRU keyed by the text: the parsed document, its validation errors, whether it
introspects, and its cost per operation when no variable can change it. Clients send
few shapes, so a request usually does none of that work; what depends on the caller
(may they introspect?) or on the variables (a `first: $n`) is decided per request.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from .context import Context
from .cost import query_cost
from .guards import introspects, may_introspect

#: distinct query texts kept (clients send few shapes)
CACHED_QUERIES = 256


@dataclass(slots=True)
class Prepared:
    """What one query text yields whoever sends it."""

    document: DocumentNode
    errors: list[GraphQLError]
    introspects: bool
    #: operations of the document by name (None: the anonymous one)
    operations: frozenset[str | None]
    #: the document declares variables (its cost may depend on them)
    has_variables: bool
    #: cost per operation name, filled as asked (never when variables are declared)
    costs: dict[str | None, int] = field(default_factory=dict)


class PreparedQueries:
    """Parse and validation per query text, for one schema, shared by every request."""

    def __init__(
        self,
        max_tokens: int,
        rules: tuple[type[ASTValidationRule], ...],
        maxsize: int = CACHED_QUERIES,
    ) -> None:
        self._max_tokens = max_tokens
        self._rules = rules
        self._schema: GraphQLSchema | None = None
        self.prepare = functools.lru_cache(maxsize=maxsize)(self._prepare)

    def bind(self, schema: GraphQLSchema) -> None:
        if self._schema is None:
            self._schema = schema
        assert self._schema is schema, "one PreparedQueries per schema"

    def _prepare(self, text: str) -> Prepared:
        """Raises GraphQLError for a syntax error or too many tokens (not kept)."""
        assert self._schema is not None
        document = parse(text, max_tokens=self._max_tokens)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        return Prepared(
            document=document,
            errors=validate_document(self._schema, document, self._rules),
            introspects=introspects(document),
            operations=frozenset(op.name.value if op.name else None for op in operations),
            has_variables=any(op.variable_definitions for op in operations),
        )


class QueryGate(SchemaExtension):
    """Per request: the prepared document, its validation errors, and the refusals
    INTROSPECTION_DISABLED (for callers whose role is not in `introspection_roles`;
    None lets everyone) and QUERY_TOO_COSTLY (above `max_cost`), before any resolver."""

    def __init__(
        self,
        queries: PreparedQueries,
        *,
        introspection_roles: frozenset[str] | None,
        max_cost: int,
    ) -> None:
        self._queries = queries
        self._roles = introspection_roles
        self._max_cost = max_cost
        self._prepared: Prepared | None = None

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.graphql_document is None and ec.query:
            self._queries.bind(ec.schema._schema)
            self._prepared = self._queries.prepare(ec.query)
            ec.graphql_document = self._prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        prepared = self._prepared
        if prepared is not None and ec.graphql_document is prepared.document:
            ec.pre_execution_errors = list(prepared.errors)
        yield

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        if document is not None and ec.result is None:
            refusal = self._refusal(document)
            if refusal is not None:
                ec.result = ExecutionResult(data=None, errors=[refusal])
        yield

    def _refusal(self, document: DocumentNode) -> GraphQLError | None:
        ec = self.execution_context
        prepared = (
            self._prepared if self._prepared and self._prepared.document is document else None
        )
        ctx = ec.context
        if (
            self._roles is not None
            and isinstance(ctx, Context)
            and not may_introspect(ctx.caller.role, self._roles)
            and (prepared.introspects if prepared is not None else introspects(document))
        ):
            return GraphQLError(
                "Schemat kan inte utforskas med den här inloggningen.",
                extensions={"code": "INTROSPECTION_DISABLED"},
            )
        cost = self._cost(prepared, document)
        if cost > self._max_cost:
            return GraphQLError(
                f"Frågan är för kostsam ({cost} > {self._max_cost}): "
                "be om färre poster eller färre nivåer.",
                extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": self._max_cost},
            )
        return None

    def _cost(self, prepared: Prepared | None, document: DocumentNode) -> int:
        ec = self.execution_context
        name = ec.operation_name
        # only the text decides the cost: no variables, and a name the document has
        kept = prepared is not None and not prepared.has_variables and name in prepared.operations
        if kept and prepared is not None and name in prepared.costs:
            return prepared.costs[name]
        cost = query_cost(ec.schema._schema, document, ec.variables, name)
        if kept and prepared is not None:
            prepared.costs[name] = cost
        return cost
