"""The shape of an operation — how deep it nests, how many aliases and directives it has —
and the validation rule that holds it within limits.

Fragments count where they are spread: a fragment of fifteen aliases spread a hundred
times is fifteen hundred aliases (the amplification of CVE-2026-47707). Each fragment is
measured once and its measure reused at every spread, so measuring stays linear in the
document however the fragments multiply.

Depth is the number of object fields on the longest path from the root, as strawberry's
``QueryDepthLimiter`` counts it: ``{ releases { name } }`` is 1. The subtrees of
``__schema`` and ``__type`` do not count towards depth — GraphiQL's own introspection
query nests ``ofType`` nine levels — but their aliases and directives do; turn
introspection off in production (``GATEWAY_INTROSPECTION=false``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from gateway.errors import MAX_ALIASES_EXCEEDED, MAX_DEPTH_EXCEEDED, MAX_DIRECTIVES_EXCEEDED

__all__ = ["Shape", "measure", "shape_rule"]

_INTROSPECTION = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class Shape:
    """What an operation (or a fragment, or a selection set) measures."""

    depth: int = 0
    aliases: int = 0
    directives: int = 0


class _Measure:
    """Measures selection sets, each fragment once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.measured: dict[str, Shape] = {}
        self.entered: set[str] = set()

    def selections(self, selection_set: SelectionSetNode) -> Shape:
        depth = aliases = directives = 0
        for selection in selection_set.selections:
            directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                aliases += selection.alias is not None
                if selection.selection_set is None:
                    continue
                inner = self.selections(selection.selection_set)
                if selection.name.value not in _INTROSPECTION:
                    depth = max(depth, 1 + inner.depth)
            elif isinstance(selection, InlineFragmentNode):
                inner = self.selections(selection.selection_set)
                depth = max(depth, inner.depth)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
                depth = max(depth, inner.depth)
            else:  # pragma: no cover - the three kinds of selection
                continue
            aliases += inner.aliases
            directives += inner.directives
        return Shape(depth, aliases, directives)

    def fragment(self, name: str) -> Shape:
        known = self.measured.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.entered:
            return Shape()  # unknown or cyclic: other rules report it
        self.entered.add(name)
        inner = self.selections(definition.selection_set)
        self.entered.discard(name)
        shape = Shape(
            inner.depth, inner.aliases, inner.directives + len(definition.directives or ())
        )
        self.measured[name] = shape
        return shape


def measure(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> Shape:
    """The shape of ``operation``, its fragments expanded."""
    inner = _Measure(fragments).selections(operation.selection_set)
    return Shape(inner.depth, inner.aliases, inner.directives + len(operation.directives or ()))


def shape_rule(*, max_depth: int, max_aliases: int, max_directives: int) -> type[ValidationRule]:
    """A validation rule refusing operations deeper, or with more aliases or directives,
    than the limits; each refusal is an error with its own ``extensions.code``."""

    class ShapeRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = {
                definition.name.value: definition
                for definition in context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            # measured here, not in __init__: graphql-core first checks that the
            # fragments do not nest deeper than the interpreter can follow
            shape = measure(node, self.fragments)
            name = f"'{node.name.value}'" if node.name else "The operation"
            for measured, limit, code, what in (
                (shape.depth, max_depth, MAX_DEPTH_EXCEEDED, "is nested deeper than"),
                (shape.aliases, max_aliases, MAX_ALIASES_EXCEEDED, "has more aliases than"),
                (
                    shape.directives,
                    max_directives,
                    MAX_DIRECTIVES_EXCEEDED,
                    "has more directives than",
                ),
            ):
                if measured > limit:
                    self.report_error(
                        GraphQLError(
                            f"{name} {what} the limit of {limit} ({measured})",
                            node,
                            extensions={"code": code, "limit": limit, "measured": measured},
                        )
                    )

    return ShapeRule
