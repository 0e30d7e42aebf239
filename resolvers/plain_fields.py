"""Plain graphql-core resolvers for the fields strawberry would wrap for nothing.

Strawberry calls every resolver through a chain built for the general case: an
`Info` object, argument conversion, field extensions and exception handlers, three
or four Python calls deep. Most of our fields need none of it: they read an
attribute (`CaseEdge.node`) or call a method of the object without arguments
(`Case.caseNumber` returns `self.view.case_number`). For those, once at start-up,
the graphql-core field gets a resolver that does just that; the result is the same,
and so are errors (raised to graphql-core as before). Fields with arguments, field
extensions or `root`/`parent` parameters keep strawberry's resolver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Resolver = Callable[..., Any]
Info = GraphQLResolveInfo[Any]


def install_plain_resolvers(schema: strawberry.Schema) -> int:
    """Replace the resolvers of plain fields in `schema`; returns how many."""
    if getattr(schema, "exception_handlers", None) or schema.config.default_resolver is not getattr:
        return 0  # strawberry's chain does more than call the function
    graphql_schema = schema._schema
    subscription = graphql_schema.subscription_type
    info_class = schema.config.info_class
    replaced = 0
    for named in graphql_schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        if named is subscription:
            continue
        for graphql_field in named.fields.values():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if type(field) is not StrawberryField:
                continue  # subclasses may compute their result otherwise
            plain = _plain_resolver(field, info_class)
            if plain is not None:
                graphql_field.resolve = plain
                replaced += 1
    return replaced


def _plain_resolver(field: StrawberryField, info_class: type) -> Resolver | None:
    if field.extensions or field.is_subscription or field.arguments:
        return None
    resolver = field.base_resolver
    if resolver is None:
        return _attribute(field.python_name)
    func = resolver.wrapped_func
    if isinstance(func, (staticmethod, classmethod)) or not callable(func):
        return None
    if resolver.root_parameter is not None or resolver.parent_parameter is not None:
        return None
    if resolver.self_parameter is None:
        return None
    info = resolver.info_parameter
    if info is None:
        return _method(func)
    return _method_with_info(func, info.name, info_class, field)


def _attribute(name: str) -> Resolver:
    def resolve(source: Any, info: Info) -> Any:
        return getattr(source, name)

    return resolve


def _method(func: Callable[[Any], Any]) -> Resolver:
    def resolve(source: Any, info: Info) -> Any:
        return func(source)

    return resolve


def _method_with_info(
    func: Callable[..., Any], name: str, info_class: type, field: StrawberryField
) -> Resolver:
    def resolve(source: Any, info: Info) -> Any:
        return func(source, **{name: info_class(_raw_info=info, _field=field)})

    return resolve
