"""What an operation costs: the objects it could return, every list assumed full.

In the manner of GitHub's GraphQL API, the cost is known before anything runs, from the
document and its variables, and assumes every page is full:

- every field of an object type costs one per object it returns; scalars and enums
  cost nothing, and neither does ``__typename``;
- a connection (a field with ``first`` returning ``{nodes, pageInfo, totalCount}``) is one
  object, and its ``nodes`` are ``first`` objects (the field's default when not given;
  ``first`` above 100 counts as 100 — the resolver refuses it with ``BAD_USER_INPUT``);
- a list with ``first`` (``changelog``) is ``first`` objects; a list chosen by a list
  argument (``packages(names: [...])``) is one object per element;
- any other list (``maintainers``, ``versions``, ``files``, ``__schema.types``) is
  assumed to hold :data:`LIST_SIZE` objects;
- what is inside a list costs once per element: ``packages(names: [5 names]) { builds {
  nodes { owner { name } } } }`` is 5 packages + 5 connections + 50 builds + 50 owners.

So the cost counts what the operation makes the gateway resolve, and what a cold cache
makes it ask the upstreams for; the README's package page costs about a hundred.
Fragments count where they are spread, each measured once. The minimum cost is 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)

from gateway.resolvers.pages import MAX_FIRST

__all__ = ["LIST_SIZE", "operation_cost"]

#: The assumed length of a list that has no argument saying how long it is.
LIST_SIZE = 10

_META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The cost of a valid ``operation`` with its (coerced) ``variables``."""
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return 1
    walk = _Walk(fragments, variables or {})
    return max(1, walk.selections(operation.selection_set, root, None))


class _Walk:
    """Sums the cost of selection sets, per one object of their type."""

    def __init__(
        self, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> None:
        self.fragments = fragments
        self.variables = variables
        #: The cost of a fragment per object, by name and page size; each measured once.
        self.measured: dict[tuple[str, int | None], int] = {}
        self.entered: set[str] = set()

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, page: int | None
    ) -> int:
        """The cost of ``selection_set`` on one object of type ``parent``.

        ``page`` is the ``first`` of the connection ``parent`` is, if it is one.
        """
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                total += self.selections(selection.selection_set, parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, parent, page)
        return total

    def fragment(self, name: str, parent: GraphQLNamedType, page: int | None) -> int:
        known = self.measured.get((name, page))
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.entered:
            return 0
        self.entered.add(name)
        cost = self.selections(definition.selection_set, parent, page)
        self.entered.discard(name)
        self.measured[(name, page)] = cost
        return cost

    def field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        if node.selection_set is None:
            return 0
        definition = _field(parent, node.name.value)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        listed = is_list_type(get_nullable_type(definition.type))
        first = self.first(node, definition)
        if listed:
            objects = first if first is not None else self.length(node, definition, page)
            inner_page = None
        else:
            objects, inner_page = 1, first
        return objects * (1 + self.selections(node.selection_set, named, inner_page))

    def first(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """The page size a ``first`` argument asks for (its default when not given)."""
        argument = definition.args.get("first")
        if argument is None:
            return None
        value = self.value(node, "first")
        if not isinstance(value, int) or isinstance(value, bool):
            value = argument.default_value
        if not isinstance(value, int) or isinstance(value, bool):
            return MAX_FIRST
        return max(0, min(value, MAX_FIRST))

    def length(self, node: FieldNode, definition: GraphQLField, page: int | None) -> int:
        """How many objects a list field returns: one per element of its list argument,
        its connection's page, or :data:`LIST_SIZE`."""
        for name, argument in definition.args.items():
            if is_list_type(get_nullable_type(argument.type)):
                value = self.value(node, name)
                if isinstance(value, list | tuple):
                    return len(value)
                if value is not None:
                    return 1
        return page if page is not None else LIST_SIZE

    def value(self, node: FieldNode, name: str) -> object:
        """An argument's value: a literal, or the variable's; ``None`` when absent."""
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self.literal(argument.value)
        return None

    def literal(self, value: ValueNode) -> object:
        if isinstance(value, VariableNode):
            return self.variables.get(value.name.value)
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, ListValueNode):
            return list(value.values)
        if isinstance(value, NullValueNode):
            return None
        return value


def _field(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    meta = _META_FIELDS.get(name)
    if meta is not None:
        return meta
    fields = getattr(parent, "fields", None)  # objects and interfaces have fields
    return fields.get(name) if isinstance(fields, dict) else None
