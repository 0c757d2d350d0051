"""Tests for the bounds on hub input: quoting in messages, usernames, password hashes, which
requests count as the hub's own pages, share requests (no hub needed)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from types import SimpleNamespace

import bcrypt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from hubkit.bounds import QUOTE_CHARS, quote
from hubkit.hub.authenticator import same_origin
from hubkit.hub.credentials import (
    PREHASHED,
    check_password,
    password_digest,
    username_problem,
)
from hubkit.hub.server_api import share_problem


@settings(max_examples=200)
@given(value=st.text(max_size=500))
def test_quote_is_short_and_escaped(value):
    # When any text is quoted for a message
    quoted = quote(value)
    # Then it is a repr() of at most QUOTE_CHARS characters: no raw control characters
    assert quoted.rstrip("…") == repr(value[:QUOTE_CHARS])
    assert quoted.endswith("…") == (len(value) > QUOTE_CHARS)
    assert not any(c in quoted for c in "\x00\n\r\x1b")


@pytest.mark.parametrize(
    "name, problem",
    [
        ("alice", None),
        ("ünïcødé", None),
        ("x" * 128, None),
        ("x" * 129, "at most 128 characters"),
        ("a\x00b", "control"),
        ("a\u202eb", "control"),  # right-to-left override (a format character)
        ("a\u200bb", "control"),  # zero-width space
        ("project-x", "reserved for shared projects"),  # the projects' accounts
        ("projects", None),
    ],
)
def test_username_problem(name, problem):
    found = username_problem(name)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(
    "password",
    ["short-pass-1", "x" * 100, "é" * 512, "長いパスフレーズ" * 40],
    ids=["short", "100-ascii", "1024-bytes", "cjk"],
)
def test_prehashed_passwords_of_any_length(password):
    # Given a password stored as hubkit stores new ones
    stored = PREHASHED + bcrypt.hashpw(password_digest(password), bcrypt.gensalt(4))
    # Then it verifies, and passwords differing anywhere (past 72 bytes too) do not
    assert check_password(password, stored)
    assert not check_password(password + "x", stored)
    assert not check_password(password[:-1], stored)


def test_nativeauthenticator_hashes_still_verify():
    # Given a plain bcrypt hash as NativeAuthenticator 1.3.0 made it
    stored = bcrypt.hashpw(b"an-old-Passphrase", bcrypt.gensalt(4))
    # Then the password verifies and others do not, long ones included (bcrypt 5 raises on them)
    assert check_password("an-old-Passphrase", stored)
    assert not check_password("an-old-passphrase", stored)
    assert not check_password("x" * 100, stored)
    # And a value that is no bcrypt hash is a mismatch, not an error
    assert not check_password("anything", b"not a hash")
    assert not check_password("anything", PREHASHED + b"not a hash")


@pytest.mark.parametrize(
    "headers, allowed",
    [
        ({"Sec-Fetch-Site": "same-origin"}, True),  # a click on the hub's own page
        ({"Sec-Fetch-Site": "none"}, True),  # typed, or a bookmark
        ({"Sec-Fetch-Site": "same-site"}, False),  # another port or subdomain
        ({"Sec-Fetch-Site": "cross-site"}, False),
        # Precedence: a browser sending Sec-Fetch-Site is believed over a Referer
        ({"Sec-Fetch-Site": "cross-site", "Referer": "http://hub.example:8000/hub/"}, False),
        ({"Referer": "http://hub.example:8000/hub/authorize"}, True),  # older browsers
        ({"Referer": "http://hub.example.evil:8000/hub/authorize"}, False),
        ({"Referer": "http://hub.example:9000/"}, False),
        ({}, False),  # no origin at all
    ],
)
def test_same_origin(headers, allowed):
    # Given a request to the hub at hub.example:8000 with these headers
    request = HTTPServerRequest(
        headers=HTTPHeaders({"Host": "hub.example:8000", **headers}),
        start_line=RequestStartLine("GET", "/hub/authorize/x", "HTTP/1.1"),
    )
    handler = SimpleNamespace(request=request)
    # Then it counts as the hub's own page exactly when the browser says so
    assert same_origin(handler) is allowed


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"user": "bob"}, None),
        ({"group": "lab", "scopes": ["access:servers!server=alice/"]}, None),
        ([1], "must be a JSON object, not array"),
        ({"user": 5}, "user must be a string, not number"),
        ({"group": "g" * 256}, "is too long: at most 255"),
        ({"scopes": "all"}, "scopes must be a list"),
        ({"scopes": ["s"] * 33}, "scopes must be a list of at most 32"),
        ({"scopes": ["x" * 300]}, "is not a string of at most 255"),
    ],
)
def test_share_problem(body, problem):
    found = share_problem(body)
    assert (found is None) if problem is None else (problem in found and len(found) < 200)
