"""Query parameters: `{{name}}` and `:name` in a SQL cell take Python variables of the user's
namespace and are bound by the driver, never pasted into the SQL text.

A small scanner finds them outside string literals, quoted identifiers, dollar-quoted bodies
and comments (so `'12:30'`, `x::int` and `-- :note` stay SQL), then renders the query in the
placeholder style each driver wants. A variable where an identifier is expected stays a bound
value, so the database refuses it: that is the point.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .errors import UndefinedParameterError

Style = Literal["qmark", "numeric_dollar", "sqlalchemy"]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_BRACES = re.compile(r"\{\{\s*(" + _IDENT + r")\s*\}\}")
_COLON = re.compile(r":(" + _IDENT + r")")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class ParsedQuery:
    """The SQL cut into literal text and parameter names, in order."""

    parts: tuple[str | tuple[str], ...]  # a str is SQL text, a 1-tuple a parameter name

    @property
    def names(self) -> list[str]:
        return [p[0] for p in self.parts if isinstance(p, tuple)]

    def render(self, style: Style, namespace: Mapping[str, Any]) -> tuple[str, Any]:
        """The SQL for `style` and its parameters: a list for qmark and numeric_dollar, a dict
        for SQLAlchemy's text() (where every other colon is escaped)."""
        sql: list[str] = []
        values: list[Any] = []
        named: dict[str, Any] = {}
        for part in self.parts:
            if isinstance(part, str):
                sql.append(part.replace(":", "\\:") if style == "sqlalchemy" else part)
                continue
            name = part[0]
            if name not in namespace:
                raise UndefinedParameterError(
                    f"Parameter {name!r} is not defined: assign it in a Python cell first"
                )
            value = namespace[name]
            if style == "qmark":
                sql.append("?")
                values.append(value)
            elif style == "numeric_dollar":
                values.append(value)
                sql.append(f"${len(values)}")
            else:
                named[name] = value
                sql.append(f":{name}")
        return "".join(sql), (named if style == "sqlalchemy" else values)


def parse(sql: str) -> ParsedQuery:
    """Find the parameters of `sql`."""
    parts: list[str | tuple[str]] = []
    text_start = 0
    i, n = 0, len(sql)

    def cut(start: int, end: int, name: str) -> None:
        nonlocal text_start
        if start > text_start:
            parts.append(sql[text_start:start])
        parts.append((name,))
        text_start = end

    while i < n:
        c = sql[i]
        if c in "'\"`":
            # A quoted string or identifier; a doubled quote stays inside.
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                if sql[j] == "\\" and c == "'":
                    j += 2
                    continue
                j += 1
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "$" and (m := _DOLLAR_TAG.match(sql, i)) and (i == 0 or not sql[i - 1].isalnum()):
            j = sql.find(m.group(0), m.end())
            i = n if j < 0 else j + len(m.group(0))
        elif (c == "{" and (m := _BRACES.match(sql, i))) or (
            c == ":"
            and (m := _COLON.match(sql, i))
            and (i == 0 or (sql[i - 1] not in ":\\" and not sql[i - 1].isalnum()))
            and not sql.startswith(":=", i)
        ):
            cut(i, m.end(), m.group(1))
            i = m.end()
        else:
            i += 1
    if text_start < n:
        parts.append(sql[text_start:])
    return ParsedQuery(tuple(parts))
