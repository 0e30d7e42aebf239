"""Schema assembly: the Query, the limits, and the error and audit handling."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator

import strawberry
from graphql import GraphQLError, ValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions import max_aliases as alias_limit
from strawberry.extensions import query_depth_limiter as depth_limit
from strawberry.types import ExecutionContext

from connectors.errors import GatewayError

from .context import Context
from .query import Query

log = logging.getLogger("knutpunkt.graphql")

INTERNAL_MESSAGE = "Ett internt fel inträffade. Ange begärans id om du kontaktar supporten."


class GatewayErrors(SchemaExtension):
    """Codes every error, masks the unexpected ones, reports failed systems and
    writes the access log before any data leaves (fail closed)."""

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
                error.message,
                nodes=error.nodes,
                positions=error.positions,
                path=error.path,
                extensions={"code": code},
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


#: distinct query texts whose parse and validation are cached (clients send few shapes)
CACHED_QUERIES = 256


@functools.cache
def _limit_rules(max_depth: int, max_aliases: int) -> tuple[type[ValidationRule], ...]:
    # built once, so that the validation cache sees the same rules on every request
    return (
        depth_limit.create_validator(max_depth, None),
        alias_limit.create_validator(max_aliases),
    )


class KnutpunktSchema(strawberry.Schema):
    """Coded errors are answers, not incidents; `GatewayErrors` logs the unexpected
    ones itself, with the request id, so strawberry's own error log stays quiet."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(
    *, max_depth: int = 12, max_aliases: int = 30, max_tokens: int = 2000
) -> strawberry.Schema:
    return KnutpunktSchema(
        query=Query,
        # factories: every request gets fresh extension instances
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: ParserCache(maxsize=CACHED_QUERIES),
            lambda: AddValidationRules(list(_limit_rules(max_depth, max_aliases))),
            lambda: ValidationCache(maxsize=CACHED_QUERIES),
            GatewayErrors,
        ],
    )
