"""The page catalog's field expressions (JMESPath), with the plain ones evaluated directly.

Why not `jmespath.search` for all: a page view evaluates a field expression on every response a
fan-out reads (231 budget lines on a portfolio's spending page, then `created_by` of each), and
JMESPath's tree interpreter costs a few method dispatches per node per value; the page user must
stay about as cheap per request as a bare `FastHttpUser` (issue 9, bench/generator.py). Most of
the catalog's expressions are plain paths (`count`, `[0].id`, `data[].id`, `[a, b]`,
`map(&x, @)`), so JMESPath parses every expression (its syntax and its errors stay the
library's) and the nodes of those plain kinds are turned into Python functions with JMESPath's
exact semantics (a field of a non-object is null, a projection drops nulls, `map` keeps them, ...).
Any other node (filters, slices, comparisons, other functions) leaves the whole expression to
JMESPath's interpreter. tests/test_fields.py checks both give the same on every expression of the
catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jmespath
from jmespath.parser import ParsedResult

Getter = Callable[[Any], Any]
_COMPOSITE = {"subexpression", "index_expression", "flatten", "projection", "multi_select_list"}


class Expression:
    """A compiled expression: `search(value)` as `jmespath.search(expression, value)`."""

    __slots__ = ("direct", "expression", "search")

    def __init__(self, expression: str) -> None:
        self.expression = expression
        parsed: ParsedResult = jmespath.compile(expression)  # raises JMESPathError on bad syntax
        getter = _getter(parsed.parsed, parsed)
        self.direct = getter is not None
        """Evaluated without the interpreter (for tests and the bench)."""
        self.search: Getter = getter if getter is not None else parsed.search


def _getter(node: dict[str, Any], parsed: ParsedResult) -> Getter | None:
    """A function computing `node`, or None when a node is not of the plain kinds."""
    kind = node["type"]
    children = node.get("children", [])
    if kind in ("identity", "current"):
        return _identity
    if kind == "field":
        return _field(node["value"])
    if kind == "index":
        return _index(node["value"])
    if kind == "function_expression" and node["value"] == "map" and len(children) == 2:
        if children[0]["type"] != "expref":
            return None
        each, over = _getter(children[0]["children"][0], parsed), _getter(children[1], parsed)
        if each is None or over is None:
            return None
        return _map(each, over, parsed.search)
    if kind not in _COMPOSITE:
        return None
    subs = [_getter(c, parsed) for c in children]
    if any(s is None for s in subs):
        return None
    if kind in ("subexpression", "index_expression"):
        return _chain(subs)  # type: ignore[arg-type]
    if kind == "flatten":
        return _flatten(subs[0])  # type: ignore[arg-type]
    if kind == "projection":
        return _projection(subs[0], subs[1])  # type: ignore[arg-type]
    if kind == "multi_select_list":
        return _multi_select(subs)  # type: ignore[arg-type]
    return None


def _identity(value: Any) -> Any:
    return value


def _field(name: str) -> Getter:
    def get(value: Any) -> Any:
        return value.get(name) if isinstance(value, dict) else None

    return get


def _index(position: int) -> Getter:
    def get(value: Any) -> Any:
        if not isinstance(value, list):
            return None
        try:
            return value[position]
        except IndexError:
            return None

    return get


def _chain(steps: list[Getter]) -> Getter:
    if len(steps) == 2:
        first, second = steps

        def get2(value: Any) -> Any:
            return second(first(value))

        return get2

    def get(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return get


def _flatten(base: Getter) -> Getter:
    def get(value: Any) -> Any:
        found = base(value)
        if not isinstance(found, list):
            return None
        merged: list[Any] = []
        for element in found:
            if isinstance(element, list):
                merged.extend(element)
            else:
                merged.append(element)
        return merged

    return get


def _projection(base: Getter, each: Getter) -> Getter:
    def get(value: Any) -> Any:
        found = base(value)
        if not isinstance(found, list):
            return None
        collected = []
        for element in found:
            current = each(element)
            if current is not None:
                collected.append(current)
        return collected

    return get


def _multi_select(parts: list[Getter]) -> Getter:
    def get(value: Any) -> Any:
        return None if value is None else [part(value) for part in parts]

    return get


def _map(each: Getter, over: Getter, interpreted: Getter) -> Getter:
    def get(value: Any) -> Any:
        found = over(value)
        if not isinstance(found, list):
            return interpreted(value)  # JMESPath's own type error, word for word
        return [each(element) for element in found]

    return get
