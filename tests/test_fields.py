"""Field expressions evaluated directly give what JMESPath gives, on every expression of the catalog."""

from __future__ import annotations

import random
import re
from typing import Any

import jmespath
import pytest

from ops_perf.users.pages.catalog import CATALOG, fill_fiscal_years
from ops_perf.users.pages.fields import Expression

FISCAL_YEAR = 2027


def catalog_expressions() -> list[str]:
    found = {CATALOG.user_field}
    for page in CATALOG.pages.values():
        for call in page.calls:
            found |= {call.each.field} if call.each else set()
            found |= {call.pages.total} if call.pages else set()
            found |= {call.when.field} if call.when else set()
    return sorted(fill_fiscal_years(e, FISCAL_YEAR) for e in found)


EXPRESSIONS = catalog_expressions()
KEYS = sorted({k for e in EXPRESSIONS for k in re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\d{4}", e)} - {"map"})
EXTRA = ["[0].a.b", "a[1]", "a[-1].b", "[][]", "a.[b, c].d", "[].[a, b]", "map(&a, b)", "map(&[a], @)", "@.a"]


def value(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value built from the expressions' own keys: deep enough to walk every path, with the
    nulls, wrong types, empty and nested lists that JMESPath has rules for."""
    roll = rng.random()
    if depth > 4 or roll < 0.25:
        return rng.choice([None, 0, 7, -1, "x", "", True, False, 2.5, [], {}])
    if roll < 0.6:
        return {k: value(rng, depth + 1) for k in rng.sample([*KEYS, "a", "b", "c", "d"], rng.randint(0, 6))}
    return [value(rng, depth + 1) for _ in range(rng.randint(0, 5))]


def outcome(search: Any, body: Any) -> Any:
    try:
        return ("value", search(body))
    except jmespath.exceptions.JMESPathError as err:
        return ("error", type(err), str(err))


@pytest.mark.parametrize("expression", EXPRESSIONS + EXTRA)
def test_direct_evaluation_matches_jmespath(expression: str) -> None:
    compiled = Expression(expression)
    reference = jmespath.compile(expression)
    rng = random.Random(expression)
    bodies = [value(rng) for _ in range(200)]
    # The shapes the catalog reads, whatever the random draw gave.
    bodies += [None, [], {}, [None], [[1, 2], 3, [None]], {"data": [{"id": 1}, {"id": None}, 5, {"id": 2}]}]
    for body in bodies:
        assert outcome(compiled.search, body) == outcome(reference.search, body), f"{expression} on {body!r}"


def test_plain_paths_skip_the_interpreter_and_the_rest_keep_it() -> None:
    for plain in ("count", "[0].id", "data[].id", "[].budget_line_items[]", "[a, b]", "map(&portfolio_id, @)"):
        assert Expression(plain).direct, plain
    for rich in ("data[?has_proc_shop_change]", "budget_line_items[:25].created_by", "length(@)", "a || b"):
        assert not Expression(rich).direct, rich
    direct = [e for e in EXPRESSIONS if Expression(e).direct]
    assert len(direct) >= len(EXPRESSIONS) * 2 // 3, "most of the catalog's expressions are plain paths"


def test_a_bad_expression_is_still_jmespaths_error() -> None:
    with pytest.raises(jmespath.exceptions.ParseError):
        Expression("data[?")
