"""Plain graphql-core resolvers for the fields strawberry would wrap for nothing.

Strawberry calls every resolver through a chain built for the general case: an
`Info` object, argument conversion, field extensions and exception handlers, three
or four Python calls deep. Most of our fields need none of it: they read an
attribute (`CaseEdge.node`) or call a method of the object without arguments
(`Case.caseNumber` returns `self.view.case_number`), or convert their arguments and
call the method (`CitizenView.cases(first: 100)`). For those, once at start-up, the
graphql-core field gets a resolver that does just that, with strawberry's own
argument conversion; the result is the same, and so are errors (raised to
graphql-core as before). Fields with field extensions, `root`/`parent` parameters or
static/class methods keep strawberry's resolver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import StrawberryArgument, convert_argument
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

Resolver = Callable[..., Any]
Info = GraphQLResolveInfo[Any]


def install_plain_resolvers(schema: strawberry.Schema) -> int:
    """Replace the resolvers of plain fields in `schema`; returns how many."""
    if getattr(schema, "exception_handlers", None) or schema.config.default_resolver is not getattr:
        return 0  # strawberry's chain does more than call the function
    graphql_schema = schema._schema
    subscription = graphql_schema.subscription_type
    convert = _Converter(schema.config, schema.schema_converter.scalar_registry)
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
            plain = _plain_resolver(field, convert)
            if plain is not None:
                graphql_field.resolve = plain
                replaced += 1
    return replaced


#: argument types whose GraphQL values are already the Python ones (strawberry passes
#: them through unchanged)
_AS_IS = (int, str, float, bool, strawberry.ID)


class _Converter:
    """Strawberry's argument conversion (input types, enums, names) and its `Info`."""

    def __init__(self, config: StrawberryConfig, scalar_registry: Any) -> None:
        self.info_class = config.info_class
        self._config = config
        self._scalars = scalar_registry

    def plan(self, field: StrawberryField) -> list[tuple[str, str, StrawberryArgument | None]]:
        """Per argument: GraphQL name, Python name, and the argument when its value
        needs strawberry's conversion (None: passed as it is)."""
        found = []
        for argument in field.arguments:
            assert argument.python_name
            type_ = argument.type
            if type(type_) is StrawberryOptional:
                type_ = type_.of_type
            as_is = any(type_ is t for t in _AS_IS)
            name = self._config.name_converter.from_argument(argument)
            found.append((name, argument.python_name, None if as_is else argument))
        return found

    def convert(self, name: str, argument: StrawberryArgument, value: Any, info: Any) -> Any:
        """What strawberry's `convert_arguments` makes of one argument's value."""
        return convert_argument(
            value, argument.type, self._scalars, self._config, info, path=(name,)
        )


def _plain_resolver(field: StrawberryField, convert: _Converter) -> Resolver | None:
    if field.extensions or field.is_subscription:
        return None
    resolver = field.base_resolver
    if resolver is None:
        return None if field.arguments else _attribute(field.python_name)
    func = resolver.wrapped_func
    if isinstance(func, (staticmethod, classmethod)) or not callable(func):
        return None
    if resolver.root_parameter is not None or resolver.parent_parameter is not None:
        return None
    if resolver.self_parameter is None:
        return None
    info = resolver.info_parameter
    if field.arguments:
        return _method_with_arguments(func, info.name if info else None, convert, field)
    if info is None:
        return _method(func)
    return _method_with_info(func, info.name, convert.info_class, field)


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


def _method_with_arguments(
    func: Callable[..., Any], info_name: str | None, convert: _Converter, field: StrawberryField
) -> Resolver:
    info_class = convert.info_class
    plan = convert.plan(field)

    def resolve(source: Any, info: Info, **values: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=field)
        kwargs: dict[str, Any] = {}
        for name, python_name, argument in plan:
            if name in values:
                value = values[name]
                kwargs[python_name] = (
                    value
                    if argument is None
                    else convert.convert(name, argument, value, strawberry_info)
                )
        if info_name is not None:
            kwargs[info_name] = strawberry_info
        return func(source, **kwargs)

    return resolve
