"""Bounds on untrusted input (spawn options, sizes, form fields) and how messages quote it.

Everything the project's code reads from a request is checked against a bound before it is
used or stored: a refusal names the field and quotes at most `QUOTE_CHARS` characters of what
was sent, escaped with repr() (control characters, quotes, newlines), so a message never
carries a whole hostile value back (issue 17). Accounts' bounds are in hubkit.hub.credentials.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

# How much of a refused value a message quotes.
QUOTE_CHARS = 40
# Longest option value (profile or size slug) a spawn request may carry; slugs are far shorter.
MAX_OPTION_CHARS = 64


def quote(value: str) -> str:
    """A short, escaped rendering of untrusted text for a message: repr() of its first
    `QUOTE_CHARS` characters, with "…" when it was longer."""
    return repr(value[:QUOTE_CHARS]) + ("…" if len(value) > QUOTE_CHARS else "")


def type_name(value: object) -> str:
    """JSON's name for the type of a decoded value (what the sender wrote)."""
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
    names |= {dict: "object", type(None): "null"}
    return names.get(type(value), type(value).__name__)
