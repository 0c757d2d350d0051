"""Tests for the parameter scanner: what counts as a parameter and how it is rendered."""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from hubkit_kernel.sql.errors import UndefinedParameterError
from hubkit_kernel.sql.parameters import parse


@pytest.mark.parametrize(
    ("sql", "names"),
    [
        ("SELECT {{a}}, {{ b }}", ["a", "b"]),
        ("SELECT :a, x::int, ':c', \"d:e\", '{{f}}'", ["a"]),
        ("SELECT 1 -- :g\n, :h /* :i */", ["h"]),
        ("SELECT $$ :j $$, $tag$ {{k}} $tag$, :l", ["l"]),
        ("SELECT arr[1:n], 'it''s :m', :o", ["o"]),
        ("SET @x := 1", []),
    ],
)
def test_finds_parameters_outside_literals_and_comments(sql, names):
    assert parse(sql).names == names


def test_renders_each_style():
    query = parse("SELECT {{a}} AS x, :b AS y, 'p:q' AS z")
    ns = {"a": 1, "b": "two"}
    assert query.render("qmark", ns) == ("SELECT ? AS x, ? AS y, 'p:q' AS z", [1, "two"])
    assert query.render("numeric_dollar", ns) == ("SELECT $1 AS x, $2 AS y, 'p:q' AS z", [1, "two"])
    sql, params = query.render("sqlalchemy", ns)
    assert sql == "SELECT :a AS x, :b AS y, 'p\\:q' AS z"
    assert params == ns


def test_undefined_variable_is_named():
    with pytest.raises(UndefinedParameterError, match="'missing'"):
        parse("SELECT :missing").render("qmark", {})
