"""Errors the SQL workspace shows to users, and the scrubbing that keeps credentials out of them.

Every message that reaches a notebook output, a log or the JupyterLab side goes through
`scrub()`, because drivers put connection strings and user names into their exceptions.
"""

# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# How much of a refused value a message quotes (the hub's hubkit.bounds.QUOTE_CHARS: the
# kernel library does not depend on the hub's package).
QUOTE_CHARS = 40


def brief(value: Any) -> str:
    """A refused value for a message: its repr(), cut to QUOTE_CHARS characters with "…", so
    a message (shown in JupyterLab, sent by the server's API) never carries a whole value of
    the sender's choosing back."""
    text = repr(value)
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


class SqlError(Exception):
    """A user-facing SQL workspace error: shown without a Python traceback."""


class ConnectionNameError(SqlError, ValueError):
    """A connection name that does not match the allowed pattern, or names no connection."""


class ConnectionFileError(SqlError):
    """The personal connections file cannot be read or written."""


class QueryError(SqlError):
    """The database refused or failed a query; the message is the database's own."""


class QueryCancelled(SqlError):
    """The kernel was interrupted and the query was cancelled on the database."""


class UndefinedParameterError(SqlError, NameError):
    """A `{{name}}` or `:name` parameter names no variable of the user's namespace."""


# user:password@ in any URL-like string, whatever the scheme.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")


def scrub(
    message: str, passwords: Iterable[str | None] = (), users: Iterable[str | None] = ()
) -> str:
    """The message without credentials: `user:password@` of any URL becomes `***@`, each
    password that appears literally becomes `***`, and so does each user name where drivers
    quote it (`"alice"`, `'alice'`, `alice@`)."""
    message = _URL_CREDENTIALS.sub(r"\g<scheme>***@", message)
    for password in sorted({p for p in passwords if p}, key=len, reverse=True):
        message = message.replace(password, "***")
    for user in {u for u in users if u}:
        for quoted in (f'"{user}"', f"'{user}'", f"{user}@"):
            message = message.replace(quoted, quoted.replace(user, "***"))
    return message


def first_line(message: str) -> str:
    """The first non-empty line of a driver's message."""
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return message.strip()
