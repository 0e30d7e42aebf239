"""Schema assembly: the Query, the limits, and the error and audit handling."""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError, GraphQLResolveInfoHelpers, specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.extensions import max_aliases as alias_limit
from strawberry.extensions import query_depth_limiter as depth_limit
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from connectors.errors import GatewayError

from .context import Context
from .cost import root_field_limit
from .guards import without_suggestion
from .notifications import Mutation, NotificationQuery
from .plain_fields import install_plain_resolvers
from .query import Query
from .query_gate import PreparedQueries, QueryGate
from .subscription import Subscription

log = logging.getLogger("knutpunkt.graphql")

INTERNAL_MESSAGE = "Ett internt fel inträffade. Ange begärans id om du kontaktar supporten."


class GatewayErrors(SchemaExtension):
    """Codes every error, masks the unexpected ones, reports failed systems and
    writes the access log before any data leaves (fail closed). Without `suggestions`
    (production), validation messages lose their "Did you mean ...?" tails."""

    def __init__(
        self, *, suggestions: bool = True, execution_context: ExecutionContext | None = None
    ) -> None:
        if execution_context is not None:
            self.execution_context = execution_context
        self._suggestions = suggestions

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context.context
        result = self.execution_context.result
        if result is None or not isinstance(ctx, Context):
            return
        errors = [self._coded(e, ctx) for e in result.errors or []]
        for _system, failure in sorted(ctx.failures.by_system.items()):
            errors.append(GraphQLError(failure.message, extensions=failure.extensions()))
        for _system, stale in sorted(ctx.failures.stale.items()):
            errors.append(GraphQLError(stale.message, extensions=stale.extensions()))
        budget = ctx.services.person_budget
        if budget is not None and ctx.access_notes:
            retry_after = await budget(ctx)
            if retry_after is not None:  # the reads stay in the access log below, withheld
                result.data = None
                ctx.withhold_all()
                errors = [
                    GraphQLError(
                        "För många personer har slagits upp. Försök igen senare.",
                        extensions={"code": "RATE_LIMITED", "retryAfter": retry_after},
                    )
                ]
        sink = ctx.services.audit_sink
        if sink is not None and ctx.access_notes:
            try:
                await sink(ctx)
            except GatewayError as exc:
                result.data = None
                errors = [GraphQLError(exc.message, extensions=exc.extensions())]
        result.errors = errors or None

    def _coded(self, error: GraphQLError, ctx: Context) -> GraphQLError:
        original = error.original_error
        if isinstance(original, GatewayError):
            return GraphQLError(
                original.message,
                nodes=error.nodes,
                positions=error.positions,
                path=error.path,
                extensions=original.extensions(),
            )
        if original is None:
            code = (error.extensions or {}).get("code") or "GRAPHQL_VALIDATION_FAILED"
            return GraphQLError(
                error.message if self._suggestions else without_suggestion(error.message),
                nodes=error.nodes,
                positions=error.positions,
                path=error.path,
                extensions={**(error.extensions or {}), "code": code},
            )
        log.error(
            "unexpected error in request %s at %s",
            ctx.request_id,
            error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
        return GraphQLError(
            INTERNAL_MESSAGE,
            nodes=error.nodes,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": ctx.request_id},
        )


@functools.cache
def _limit_rules(
    max_depth: int, max_aliases: int, max_root_fields: int
) -> tuple[type[ASTValidationRule], ...]:
    # graphql's own rules and ours, built once
    return (
        *specified_rules,
        depth_limit.create_validator(max_depth, None),
        alias_limit.create_validator(max_aliases),
        root_field_limit(max_root_fields),
    )


class AcyclicExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, whose resolver helpers do not hold the executor itself.

    graphql-core hands resolvers `async_helpers` made of the executor's bound methods,
    which the executor keeps: a reference cycle through which the whole request (its
    context, loaders and every answer) waits for the garbage collector. Here the
    helpers reach the executor through a weak reference, so a request's objects go
    as soon as it is answered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        executor = weakref.ref(self)

        def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
            return _alive(executor).gather_async_work(values)

        def track(values: Sequence[Any]) -> None:
            _alive(executor).track_async_work(values)

        self.async_helpers = GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(executor: weakref.ref[AcyclicExecutionContext]) -> AcyclicExecutionContext:
    found = executor()
    assert found is not None, "a resolver outlived its execution"
    return found


class KnutpunktSchema(strawberry.Schema):
    """Coded errors are answers, not incidents; `GatewayErrors` logs the unexpected
    ones itself, with the request id, so strawberry's own error log stays quiet."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 2000,
    introspection_roles: frozenset[str] | None = None,
    suggestions: bool = True,
    max_root_fields: int = 10,
    max_cost: int = 250_000,
) -> strawberry.Schema:
    """The schema with its limits. `introspection_roles=None` and `suggestions=True` are
    demo mode; production passes the roles that may introspect and no suggestions."""
    queries = PreparedQueries(max_tokens, _limit_rules(max_depth, max_aliases, max_root_fields))
    schema = KnutpunktSchema(
        execution_context_class=AcyclicExecutionContext,
        query=merge_types("Query", (Query, NotificationQuery)),
        mutation=Mutation,
        subscription=Subscription,
        # factories: every request gets fresh extension instances (sharing the prepared
        # documents of this schema)
        extensions=[
            lambda: QueryGate(queries, introspection_roles=introspection_roles, max_cost=max_cost),
            lambda: GatewayErrors(suggestions=suggestions),
        ],
    )
    install_plain_resolvers(schema)
    return schema
