"""Tests for hostile input at every endpoint the project adds or configures, against the real hub
and proxy: login, signup, logout, authorize, discard, change-password, display names, the spawn
form, REST spawns and JupyterHub's PATCH with user_options, the usage page and API, group sizes,
the AI gateway, the SQL workspace's API in a user's server and the sharing API (issue 17).

Each case checks the status, that the message is clear and bounded (short, escaped), and that
nothing was stored or changed: stored options, accounts, groups. The conftest's hostile_cases
counts the cases; the terminal summary prints how many ran and passed.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote as url_quote

import pytest
import requests
import sqlalchemy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hubkit.bounds import QUOTE_CHARS
from hubkit.policy import profiles
from tests import SIZES as POLICY_SIZES

from ..databases import free_port
from ..hubserver import ADMIN, ADMIN_PASSWORD, HubServer, login_error

pytestmark = pytest.mark.slow

LONG = "<b>" + "A" * 100_000
PAYLOADS = {
    "html": "<img src=x onerror=alert(1)><script>alert(1)</script>",
    "traversal": "../../../../etc/passwd",
    "sql": "'; DROP TABLE users; --",
    "control": "a\x00b\x1b[31m\r\n\u202e\u200b",
    "unicode": "ünïcødé 😀 \u0301\ufeff",
    "long": LONG,
}
# A message may quote QUOTE_CHARS characters of what was sent; the rest is the hub's own words.
MESSAGE_CHARS = 400
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure repeats here
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
ALICE_OPTIONS = {"profile": "python-sql", "size": "medium"}
# What a browser sends on a link the admin clicks on the hub's own pages.
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
SIGNUP_REFUSED = ("alert-danger", "alert-info", "alert-success")


@pytest.fixture(scope="module")
def hub(tmp_path_factory, catalog, layout, available_profiles):
    """A hub with alice (stored options from a real start), bob in group `lab`, carol (whose
    server the `lab` fixture starts) and the admin. Failed logins never lock anyone here: the
    lockout has tests of its own. The AI gateway has no vendor key: nothing leaves the hub."""
    tmp = tmp_path_factory.mktemp("hostile")
    with HubServer(
        tmp,
        catalog,
        layout,
        HUBKIT_ALLOWED_FAILED_LOGINS="0",
        HUBKIT_AI="true",
        HUBKIT_AI_GATEWAY_URL=f"http://127.0.0.1:{free_port()}",
    ) as server:
        server.passwords = {
            "alice": "alice-long-Passphrase",
            "bob": "bob-long-Passphrase",
            "carol": "carol-long-Passphrase",
        }
        server.users = {name: server.add_account(name, pw) for name, pw in server.passwords.items()}
        server.api("POST", "/groups/lab").raise_for_status()
        server.api("POST", "/groups/lab/users", json={"users": ["bob"]}).raise_for_status()
        alice = server.users["alice"][1]
        server.spawn("alice", alice, ALICE_OPTIONS)
        server.api("DELETE", "/users/alice/server", alice).raise_for_status()
        server.wait_for(lambda: not server.api("GET", "/users/alice").json()["servers"], 60)
        server.admin = server.login(ADMIN, ADMIN_PASSWORD)
        yield server


@pytest.fixture(scope="module")
def offered(catalog, available_profiles):
    return profiles.profile_list(catalog, POLICY_SIZES, available_profiles)


def stored_options(hub: HubServer, name: str = "alice") -> dict:
    return hub.api("GET", f"/users/{name}/server").json()["user_options"]


def accounts(hub: HubServer) -> str:
    """The admin's list of accounts (names, 2FA, authorized) as /hub/authorize renders it."""
    page = hub.admin.get(f"{hub.url}/hub/authorize")
    page.raise_for_status()
    return page.text.split("<tbody>")[1].split("</tbody>")[0]


def state(hub: HubServer) -> dict:
    """What no hostile request may change: stored options, accounts, users, groups."""
    usage = hub.api("GET", "/hubkit/usage").json()["users"]
    return {
        "options": {row["name"]: row["user_options"] for row in usage},
        "servers": {name: stored_options(hub, name) for name in ("alice", "bob")},
        "accounts": accounts(hub),
        "users": sorted(u["name"] for u in hub.api("GET", "/users").json()),
        "groups": {
            g["name"]: (g["users"], g["properties"]) for g in hub.api("GET", "/groups").json()
        },
    }


def assert_bounded(text: str, sent: str = LONG) -> None:
    """A message is short, and quotes at most QUOTE_CHARS characters of what was sent."""
    assert len(text) <= MESSAGE_CHARS, text[:MESSAGE_CHARS]
    if len(sent) > QUOTE_CHARS + 10:
        assert sent[: QUOTE_CHARS + 10] not in text, text


def assert_escaped(html: str) -> None:
    """No markup that was sent comes back as markup."""
    assert "<img src=x" not in html and "<script>alert" not in html and "<b>AAAA" not in html


def page_alert(html: str) -> tuple[str, str]:
    """(alert class, message) of NativeAuthenticator's signup/change-password pages."""
    match = re.search(r'class="alert (alert-\w+)[^"]*" role="alert">\s*(.*?)\s*</div>', html, re.S)
    assert match, html[-2000:]
    return match.group(1), match.group(2)


def spawn_message(r: requests.Response) -> str:
    return (
        r.json()["message"]
        if r.headers.get("Content-Type", "").startswith("application/json")
        else r.text
    )


# --- Spawn: REST API and form ----------------------------------------------------------------

VALUES = st.one_of(
    st.sampled_from(list(PAYLOADS.values())),
    st.text(max_size=80),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
OPTIONS = st.one_of(
    st.fixed_dictionaries({}, optional={"profile": VALUES, "size": VALUES}),
    st.dictionaries(
        st.one_of(
            st.sampled_from(["image", "cmd", "cpu_limit", "mem_limit", "environment", "../x"]),
            st.text(min_size=1, max_size=30),
        ),
        VALUES,
        min_size=1,
        max_size=4,
    ),
)


def refused(offered: list[dict], options: dict) -> bool:
    try:
        profiles.validate_user_options(offered, options)
    except ValueError:
        return True
    return False


@settings(EXAMPLES)
@given(options=OPTIONS)
def test_refused_rest_spawn_leaves_stored_options(hub, offered, hostile_cases, options):
    assume(refused(offered, options))
    with hostile_cases.case():
        # Given alice's options from her last start
        # When she asks the REST API to start with options the form never offers
        r = hub.api(
            "POST", "/users/alice/server", hub.users["alice"][1], json={"user_options": options}
        )
        # Then it is refused with a short message, and her stored options are as they were
        assert r.status_code == 400, r.text[:500]
        message = r.json()["message"]
        assert message
        assert_bounded(message, max((str(v) for v in options.values()), key=len, default=""))
        assert stored_options(hub) == ALICE_OPTIONS
        assert not hub.api("GET", "/users/alice").json()["servers"]


@pytest.mark.parametrize(
    "body, message",
    [
        (b"[1, 2]", "must be a JSON object"),
        (b'"profile"', "must be a JSON object"),
        (b"{", "Invalid JSON"),
        (b"\xff\xfe{}", "Invalid JSON"),
        (b'{"user_options": "python-sql"}', "user_options must be an object"),
        (b'{"user_options": {"profile": "' + LONG.encode() * 20 + b'"}}', "is too long"),
        (b'{"user_options": {"profile": {"nested": [1, 2, {"x": null}]}}}', "must be a string"),
        (b'{"user_options": {"profile": "python-sql", "size": 1e308}}', "must be a string"),
        (b'{"user_options": {"profile": "python-sql\\u0000"}}', "unknown profile"),
    ],
    ids=[
        "array",
        "string",
        "truncated",
        "not-utf8",
        "options-string",
        "2MB",
        "nested",
        "number",
        "nul",
    ],
)
def test_rest_spawn_bodies_of_the_wrong_shape(hub, hostile_cases, body, message):
    with hostile_cases.case():
        # When alice sends a body JupyterHub or the profile check cannot take
        r = requests.post(
            f"{hub.url}/hub/api/users/alice/server",
            data=body,
            headers={"Authorization": f"token {hub.users['alice'][1]}"},
        )
        # Then it is refused with a short message naming the problem, and nothing is stored
        assert r.status_code == 400, r.text[:500]
        assert message in r.json()["message"]
        assert_bounded(r.json()["message"])
        assert stored_options(hub) == ALICE_OPTIONS


def test_spawn_with_someone_elses_or_a_dead_token(hub, hostile_cases):
    before = state(hub)
    alice = hub.users["alice"][1]
    expiring = hub.api("POST", "/users/bob/tokens", json={"expires_in": 1}).json()["token"]
    revoked = hub.api("POST", "/users/bob/tokens", json={}).json()
    hub.api("DELETE", f"/users/bob/tokens/{revoked['id']}").raise_for_status()
    time.sleep(2)
    for token, expected in [
        (alice, (403, 404)),  # another user's token: JupyterHub hides bob
        (expiring, (403,)),
        (revoked["token"], (403,)),
        ("not-a-token", (403,)),
    ]:
        with hostile_cases.case():
            # When bob's server is started with a token that is not bob's, or no longer valid
            r = hub.api("POST", "/users/bob/server", token, json={"user_options": ALICE_OPTIONS})
            # Then it is refused, and nothing changed
            assert r.status_code in expected, r.text[:300]
            assert_bounded(r.text)
    assert state(hub) == before


FORM_TEXT = st.text(max_size=200) | st.sampled_from(list(PAYLOADS.values()))
# In a URL: 300 KB of query is refused by the proxy before the hub sees it.
URL_TEXT = st.text(max_size=200) | st.sampled_from([v for v in PAYLOADS.values() if v is not LONG])


@settings(EXAMPLES)
@given(profile=FORM_TEXT, size=FORM_TEXT)
def test_refused_form_spawn_leaves_stored_options(hub, offered, hostile_cases, profile, size):
    fields = {"profile": profile, f"profile-option-{profile}--size": size}
    # Empty fields pick the defaults: those forms are valid.
    assume(refused(offered, profiles.options_from_form({k: [v] for k, v in fields.items()})))
    session = hub.users["alice"][0]
    with hostile_cases.case():
        # When alice posts the spawn form with a profile or size it never offered
        r = session.post(
            f"{hub.url}/hub/spawn",
            data={**fields, "_xsrf": session.cookies["_xsrf"]},
        )
        # Then the page says why, escaped and short, and her stored options are as they were
        assert r.status_code == 400, r.text[-500:]
        assert_escaped(r.text)
        assert LONG[:60] not in r.text
        assert stored_options(hub) == ALICE_OPTIONS


def test_spawn_form_without_xsrf_is_refused(hub, hostile_cases):
    with hostile_cases.case():
        # When the spawn form is posted without the xsrf token (a cross-site request)
        r = hub.users["alice"][0].post(f"{hub.url}/hub/spawn", data={"profile": "python-sql"})
        # Then it is refused and nothing starts
        assert r.status_code == 403
        assert not hub.api("GET", "/users/alice").json()["servers"]


# --- Signup, login, passwords ------------------------------------------------------------------

BAD_NAMES = st.one_of(
    st.builds(
        lambda a, bad, b: a + bad + b,
        st.text(max_size=20),
        st.sampled_from(["/", ",", " ", "\x00", "\x1b", "\u202e", "\u200b", "\n", "\t"]),
        st.text(max_size=20),
    ),
    st.text(min_size=129, max_size=400).filter(lambda s: len(s.strip()) > 128),
    st.sampled_from(["", ".", "..", "../..", " padded", PAYLOADS["html"], PAYLOADS["sql"], LONG]),
)


@settings(EXAMPLES)
@given(username=BAD_NAMES)
def test_signup_with_a_name_no_account_can_have(hub, hostile_cases, username):
    before = accounts(hub)
    with hostile_cases.case():
        # When someone signs up with a name JupyterHub or NativeAuthenticator cannot take
        page = hub.signup(username, "a-long-enough-Passphrase")
        # Then the page says what a name may be, without the name, and no account exists
        alert, message = page_alert(page)
        assert alert == "alert-danger", message
        assert_bounded(message, username)
        assert_escaped(page)
        assert accounts(hub) == before


def test_sql_and_markup_in_a_valid_name_are_plain_data(hub, hostile_cases):
    name = "robert');drop-table--<i>"
    with hostile_cases.case():
        # When someone signs up with SQL and markup in an otherwise valid name
        assert "Your information has been sent to the admin." in hub.signup(
            name, "robert-Passphrase-1"
        )
        # Then the account is pending like any other, shown escaped, and the others are intact
        listing = accounts(hub)
        assert "robert&#39;);drop-table--&lt;i&gt;" in listing and "<i>" not in listing
        assert "alice" in listing and "bob" in listing
        # And the admin can discard it by its name
        r = hub.admin.get(f"{hub.url}/hub/discard/{url_quote(name, safe='')}", headers=SAME_ORIGIN)
        assert r.status_code == 200 and "robert" not in accounts(hub)


PASSPHRASES = [
    ("ascii-100", "correct horse battery staple " * 3 + "0123456789x", True),
    ("1024-bytes", "é" * 512, True),
    ("cjk", "長いパスフレーズ" * 40, True),  # 960 bytes in 320 characters
    ("1025-bytes", "é" * 512 + "x", False),
    ("10k", "x" * 10_000, False),
]


@pytest.mark.parametrize("label, password, fits", PASSPHRASES, ids=[p[0] for p in PASSPHRASES])
def test_long_and_non_ascii_passphrases(hub, hostile_cases, label, password, fits):
    name = f"pass-{label}"
    with hostile_cases.case():
        # When someone signs up with a long or non-ASCII passphrase
        page = hub.signup(name, password)
        alert, message = page_alert(page)
        if fits:
            # Then up to 1024 bytes of UTF-8 it works: pending, then they log in with it
            assert alert == "alert-info", message
            hub.admin.get(f"{hub.url}/hub/authorize/{name}", headers=SAME_ORIGIN).raise_for_status()
            hub.login(name, password)
            assert "Invalid username" in login_error(hub.post_login(name, password[:-1] + "!").text)
        else:
            # Then past it the page says the bound in bytes, and no account is made
            assert alert == "alert-danger"
            assert "at most 1024 bytes" in message and f"has {len(password.encode())}" in message
            assert_bounded(message, password)
            assert f"authorize/{name}" not in accounts(hub)


LOGINS = {
    "huge-name": {"username": LONG, "password": "x"},
    "control-name": {"username": PAYLOADS["control"], "password": "x"},
    "markup-name": {"username": PAYLOADS["html"], "password": "x"},
    "sql-name": {"username": "alice' OR '1'='1", "password": "' OR '1'='1"},
    "traversal-name": {"username": PAYLOADS["traversal"], "password": "x"},
    "huge-password": {"username": "alice", "password": "x" * 1_000_000},
    "no-password": {"username": "alice"},
    "no-username": {"password": "x"},
}


@pytest.mark.parametrize("data", LOGINS.values(), ids=LOGINS.keys())
def test_hostile_login(hub, hostile_cases, data):
    with hostile_cases.case():
        # When someone logs in with a hostile name or password
        session = requests.Session()
        session.get(f"{hub.url}/hub/login").raise_for_status()
        r = session.post(f"{hub.url}/hub/login", data={**data, "_xsrf": session.cookies["_xsrf"]})
        # Then the login page says so plainly, shows the name back escaped and cut, no session
        assert r.status_code == 200 and "/hub/login" in r.url
        assert login_error(r.text) == "Invalid username or password."
        assert_escaped(r.text)
        assert LONG[:200] not in r.text
        assert "jupyterhub-session-id" not in session.cookies


def test_login_without_xsrf_is_refused(hub, hostile_cases):
    with hostile_cases.case():
        # When a login is posted cross-site, without the xsrf cookie and field
        r = requests.post(f"{hub.url}/hub/login", data={"username": "alice", "password": "x"})
        # Then it is refused before any password is checked
        assert r.status_code == 403


def test_change_password_with_hostile_input(hub, hostile_cases):
    session = hub.login("alice", hub.passwords["alice"])
    xsrf = session.cookies["_xsrf"]
    url = f"{hub.url}/hub/change-password"
    new = {"new_password": "a-new-Passphrase-1", "new_password_confirmation": "a-new-Passphrase-1"}
    too_long = "€" * 400
    cases = [
        ({"old_password": LONG, **new, "_xsrf": xsrf}, 200, "current password was incorrect"),
        ({"old_password": "x" * 1_000_000, **new, "_xsrf": xsrf}, 200, "current password was"),
        (
            {
                "old_password": hub.passwords["alice"],
                "new_password": too_long,
                "new_password_confirmation": too_long,
                "_xsrf": xsrf,
            },
            200,
            "at most 1024 bytes",
        ),
        ({"old_password": hub.passwords["alice"], "_xsrf": xsrf}, 400, ""),  # fields missing
        ({"old_password": hub.passwords["alice"], **new}, 403, ""),  # no xsrf
    ]
    for data, status, message in cases:
        with hostile_cases.case():
            # When alice changes her password with hostile fields
            r = session.post(url, data=data)
            # Then it is refused with a clear, short message
            assert r.status_code == status, r.text[-500:]
            if message:
                alert, text = page_alert(r.text)
                assert alert == "alert-danger" and message in text
                assert_bounded(text, data["old_password"])
    # And her password is unchanged
    hub.login("alice", hub.passwords["alice"])


@pytest.mark.parametrize("page", ["authorize", "discard", "change-password"])
def test_admin_pages_answer_404_for_names_without_an_account(hub, hostile_cases, page):
    before = accounts(hub)
    # (Not LONG: 300 KB of URL is refused by the proxy before the hub sees it.)
    names = ["nobody", *(v for v in PAYLOADS.values() if v is not LONG), "ALICE", "%00", "x" * 5000]
    for name in names:
        with hostile_cases.case():
            # When the admin opens a page for a name without an account
            r = hub.admin.get(
                f"{hub.url}/hub/{page}/{url_quote(name, safe='')}",
                allow_redirects=False,
                headers=SAME_ORIGIN,
            )
            # Then it is not found, with a short message
            assert r.status_code == 404, (name[:40], r.status_code)
            assert_escaped(r.text)
            assert name[: QUOTE_CHARS + 10] not in r.text or len(name) <= QUOTE_CHARS + 10
    with hostile_cases.case():
        # And a plain user is refused on them, even for a real name
        r = hub.users["bob"][0].get(
            f"{hub.url}/hub/{page}/alice", allow_redirects=False, headers=SAME_ORIGIN
        )
        assert r.status_code == 403
    assert accounts(hub) == before


def test_admin_password_reset_for_an_unknown_name_or_too_long(hub, hostile_cases):
    xsrf = hub.admin.cookies["_xsrf"]
    too_long = "x" * 2000
    for name, password, status in [("nobody", "a-new-Passphrase-1", 404), ("bob", too_long, 200)]:
        with hostile_cases.case():
            # When the admin resets the password of a name without an account, or to 2000 bytes
            r = hub.admin.post(
                f"{hub.url}/hub/change-password/{name}",
                data={
                    "new_password": password,
                    "new_password_confirmation": password,
                    "_xsrf": xsrf,
                },
            )
            # Then it is not found, or refused with the bound
            assert r.status_code == status
            if status == 200:
                alert, text = page_alert(r.text)
                assert alert == "alert-danger" and "at most 1024 bytes" in text
    # And bob's password is unchanged
    hub.login("bob", hub.passwords["bob"])


# --- Usage page and API, group sizes -------------------------------------------------------------


@settings(EXAMPLES)
@given(params=st.dictionaries(st.text(min_size=1, max_size=20), URL_TEXT, max_size=3))
def test_usage_ignores_parameters(hub, hostile_cases, params):
    with hostile_cases.case():
        # When the usage API is asked with hostile query parameters
        r = hub.api("GET", "/hubkit/usage", params=params)
        # Then they are ignored: the usual answer, nothing echoed
        assert r.status_code == 200
        rows = {row["name"]: row["user_options"] for row in r.json()["users"]}
        assert rows["alice"] == ALICE_OPTIONS
        assert_escaped(r.text)


def test_usage_refuses_other_users_and_dead_tokens(hub, hostile_cases):
    bob = hub.users["bob"][1]
    expiring = hub.api("POST", "/users/bob/tokens", json={"expires_in": 1}).json()["token"]
    time.sleep(2)
    for token in (bob, expiring, "not-a-token", ""):
        with hostile_cases.case():
            # When a plain user's, an expired or a made-up token asks for everyone's usage
            r = requests.get(
                f"{hub.url}/hub/api/hubkit/usage", headers={"Authorization": f"token {token}"}
            )
            # Then it is refused
            assert r.status_code == 403


def test_a_logged_out_admin_session_opens_nothing(hub, hostile_cases):
    # Given the cookies of an admin's session, copied before the admin logged out
    session = hub.login(ADMIN, ADMIN_PASSWORD)
    stale = session.cookies.copy()
    assert requests.get(f"{hub.url}/hub/usage", cookies=stale).status_code == 200
    session.get(f"{hub.url}/hub/logout").raise_for_status()
    try:
        with hostile_cases.case():
            # When they are sent again (JupyterHub 6.1.1 kept accepting them after a logout)
            page = requests.get(f"{hub.url}/hub/usage", cookies=stale, allow_redirects=False)
            api = requests.get(f"{hub.url}/hub/api/hubkit/usage", cookies=stale)
            # Then the usage page and the API refuse them (a live admin session gets 200)
            assert page.status_code == 403, page.status_code
            assert "data-user" not in page.text
            assert api.status_code == 403, api.status_code
    finally:
        # (The logout ended every session of the admin's: the suite's own logs in again.)
        hub.admin = hub.login(ADMIN, ADMIN_PASSWORD)


def stored_server(hub: HubServer, name: str) -> dict:
    """The server's options and display name as stored in the hub's database (JupyterHub's API
    shows the hub's copy in memory, which its PATCH does not update)."""
    url = hub.env.get("JUPYTERHUB_DB_URL") or f"sqlite:///{hub.tmp / 'jupyterhub.sqlite'}"
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as db:
            options, display_name = db.execute(
                sqlalchemy.text(
                    "SELECT s.user_options, s.display_name FROM spawners s JOIN users u"
                    " ON s.user_id = u.id WHERE u.name = :name AND s.name = ''"
                ),
                {"name": name},
            ).one()
    finally:
        engine.dispose()
    return {"user_options": json.loads(options or "{}"), "display_name": display_name}


PATCHES = {
    "100KB-profile": ({"user_options": {"profile": LONG}}, "is too long"),
    "markup-profile": ({"user_options": {"profile": PAYLOADS["html"]}}, "unknown profile"),
    "image": ({"user_options": {"image": "evil/image", "cmd": ["sh"]}}, "unsupported option"),
    "number-size": ({"user_options": {"profile": "python-sql", "size": 5}}, "must be a string"),
    "options-string": ({"user_options": "python-sql"}, "must be an object"),
    "100KB-display-name": ({"display_name": LONG}, "is too long"),
    "control-display-name": ({"display_name": "a\x1b[31mb"}, "control"),
    "unknown-field": ({"state": {"pid": 1}, LONG: 1}, "Unsupported field"),
    "array": ([1, 2], "must be a JSON object"),
}


@pytest.mark.parametrize("body, message", PATCHES.values(), ids=PATCHES.keys())
def test_patch_of_a_stopped_server_is_checked_as_a_spawn(hub, hostile_cases, body, message):
    before = stored_server(hub, "bob")
    with hostile_cases.case():
        # When bob writes into his stopped server through JupyterHub's PATCH (start:servers,
        # which every user has), with options no spawn would take
        r = hub.api("PATCH", "/users/bob/server", hub.users["bob"][1], json=body)
        # Then it is refused with a short message naming the problem (was: stored; 500 for an
        # unknown field), nothing is stored, and the hub's log has none of it
        assert r.status_code == 400, r.text[:300]
        assert message in r.json()["message"], r.json()["message"]
        assert_bounded(r.json()["message"])
        assert stored_server(hub, "bob") == before
        assert LONG[:200] not in hub.log_path.read_text(errors="replace")


def test_patch_with_offered_options_still_works(hub, hostile_cases, offered):
    before = stored_server(hub, "bob")["user_options"]
    bob = hub.users["bob"][1]
    choice = {"profile": offered[0]["slug"]}
    try:
        with hostile_cases.case():
            # When bob stores an offered profile through the PATCH
            r = hub.api("PATCH", "/users/bob/server", bob, json={"user_options": choice})
            # Then it is stored as JupyterHub does it
            assert r.status_code == 200, r.text[:300]
            assert r.json()["user_options"] == choice
            assert stored_server(hub, "bob")["user_options"] == choice
    finally:
        hub.api("PATCH", "/users/bob/server", bob, json={"user_options": before})
    assert stored_server(hub, "bob")["user_options"] == before


def test_usage_shows_only_short_stored_options(hub, hostile_cases):
    bob = hub.users["bob"][1]
    with hostile_cases.case():
        # Given bob tried to write 100 KB into his stopped server's options through
        # JupyterHub's PATCH, which asks no spawner (it stored them before issue 17's fix)
        r = hub.api("PATCH", "/users/bob/server", bob, json={"user_options": {"profile": LONG}})
        assert r.status_code == 400
        # When the admin opens the usage page and API
        rows = {row["name"]: row for row in hub.api("GET", "/hubkit/usage").json()["users"]}
        page = hub.admin.get(f"{hub.url}/hub/usage").text
        # Then they show none of it
        assert rows["bob"]["user_options"] == {}
        assert "AAAAAAAAAA" not in page


# The issue's probe, as it was sent.
PROBE = "<img src=x onerror=alert(1)>" + "A" * 100_000


def test_the_issues_probe_leaves_no_trace(hub, hostile_cases):
    alice = hub.users["alice"][1]
    with hostile_cases.case():
        # When alice starts her server through the REST API with the issue's profile
        r = hub.api("POST", "/users/alice/server", alice, json={"profile": PROBE})
        # Then it is refused with a short message quoting at most QUOTE_CHARS of it
        assert r.status_code == 400
        message = r.json()["message"]
        assert "unknown profile" in message or "too long" in message, message
        assert len(message) <= MESSAGE_CHARS and PROBE[: QUOTE_CHARS + 1] not in message
        # And the usage page, the usage API and the admin panel's source show nothing of it
        usage_page = hub.admin.get(f"{hub.url}/hub/usage").text
        usage_api = hub.api("GET", "/hubkit/usage")
        panel = hub.api("GET", "/users/alice", params={"include_stopped_servers": "1"})
        for text in (usage_page, usage_api.text, panel.text):
            assert "onerror" not in text and "A" * 100 not in text
        rows = {row["name"]: row["user_options"] for row in usage_api.json()["users"]}
        assert rows["alice"] == ALICE_OPTIONS
        assert panel.json()["servers"][""]["user_options"] == ALICE_OPTIONS
        # And the hub's database keeps her options from her last start
        assert stored_server(hub, "alice")["user_options"] == ALICE_OPTIONS


SIZES = st.dictionaries(
    st.one_of(st.text(max_size=80), st.sampled_from(["../x", PAYLOADS["html"], "x" * 100])),
    st.one_of(
        VALUES,
        st.fixed_dictionaries(
            {"display_name": st.one_of(VALUES, st.sampled_from([PAYLOADS["html"], "D" * 500]))},
            optional={
                "cpu_limit": VALUES,
                "mem_limit": VALUES,
                "gpu": VALUES,
                "image": st.just("evil/image"),
                "cmd": st.just(["sh"]),
            },
        ),
    ),
    min_size=1,
    max_size=3,
)


def offered_sizes(form: str) -> set[str]:
    return set(re.findall(r'name="profile-option-[^"]*--size"[^>]*value="([^"]*)"', form)) | set(
        re.findall(r'value="([^"]*)"[^>]*name="profile-option-[^"]*--size"', form)
    )


@settings(EXAMPLES)
@given(sizes=SIZES)
def test_group_sizes_from_the_rest_api_are_checked(hub, offered, hostile_cases, sizes):
    with hostile_cases.case():
        # When the admin gives group lab sizes through its properties, of any shape
        r = hub.api("PUT", "/groups/lab/properties", json={"hubkit_sizes": sizes})
        assert r.status_code == 200, r.text[:300]
        # Then bob's form still opens, offers only well-formed resource sizes, escaped
        form = hub.users["bob"][0].get(f"{hub.url}/hub/spawn")
        assert form.status_code == 200
        assert_escaped(form.text)
        valid = {slug for slug, size in sizes.items() if not profiles.size_problem(slug, size)}
        assert valid - {""} <= offered_sizes(form.text), valid - offered_sizes(form.text)
        assert "D" * 101 not in form.text
        # (An empty or default slug is a valid request: it would start a server.)
        for slug in set(sizes) - valid - set(POLICY_SIZES) - {""}:
            # And no malformed size can be started through the REST API either
            r = hub.api(
                "POST",
                "/users/bob/server",
                hub.users["bob"][1],
                json={"user_options": {"profile": offered[0]["slug"], "size": slug}},
            )
            assert r.status_code == 400, r.text[:300]
            assert_bounded(r.json()["message"], slug)


def test_group_sizes_cannot_be_set_by_members(hub, hostile_cases):
    before = state(hub)["groups"]
    bob = hub.users["bob"][1]
    sizes = {"huge": {"display_name": "Huge", "cpu_limit": 64.0}}
    for method, path, body, status in [
        ("PUT", "/groups/lab/properties", {"hubkit_sizes": sizes}, (403,)),
        ("POST", "/groups/power-users/users", {"users": ["bob"]}, (403,)),
        # Refused for scope, or as a PUT to a group named ".." (seen both ways)
        ("PUT", "/groups/../groups/lab/properties", {"hubkit_sizes": sizes}, (403, 405)),
    ]:
        with hostile_cases.case():
            # When a member tries to give their group sizes, or join a bigger one
            r = hub.api(method, path, bob, json=body)
            # Then it is refused, and the groups are as they were
            assert r.status_code in status, r.text[:300]
            assert state(hub)["groups"] == before


# --- Account changes on a GET: authorize and discard ----------------------------------------

CROSS_SITE = {
    "cross-site": {"Sec-Fetch-Site": "cross-site"},
    "same-site": {"Sec-Fetch-Site": "same-site"},  # another port or subdomain of the same site
    "no-origin": {},  # a page sending no referrer, from a browser without Sec-Fetch-Site
    "other-referer": {"Referer": "https://attacker.example/hub/authorize"},
}


def authorized(hub: HubServer, name: str) -> bool | None:
    """Whether the account is authorized (None: no account), from the admin's list."""
    row = next((r for r in accounts(hub).split("<tr") if f"<td>{name}</td>" in r), None)
    return None if row is None else "<td>Yes</td>" in row


def test_authorize_and_discard_refuse_requests_from_other_sites(hub, hostile_cases):
    # Given a pending signup
    name = "csrf-target"
    assert "sent to the admin" in hub.signup(name, "csrf-target-Passphrase")
    assert authorized(hub, name) is False
    try:
        for page in ("authorize", "discard"):
            for headers in CROSS_SITE.values():
                with hostile_cases.case():
                    # When another site makes the admin's browser open the page's link
                    r = hub.admin.get(
                        f"{hub.url}/hub/{page}/{name}", headers=headers, allow_redirects=False
                    )
                    # Then it is refused saying why, and the account is as it was
                    assert r.status_code == 403, (page, headers, r.status_code)
                    assert "another site" in r.text
                    assert authorized(hub, name) is False
        with hostile_cases.case():
            # And the admin's own clicks work: the browser says same-origin, or (a browser
            # without Sec-Fetch-Site) sends a Referer on the hub
            r = hub.admin.get(f"{hub.url}/hub/authorize/{name}", headers=SAME_ORIGIN)
            assert r.status_code == 200 and authorized(hub, name) is True
            referer = {"Referer": f"{hub.url}/hub/authorize"}
            r = hub.admin.get(f"{hub.url}/hub/authorize/{name}", headers=referer)
            assert r.status_code == 200 and authorized(hub, name) is False
            # (NativeAuthenticator discards pending signups only)
            r = hub.admin.get(f"{hub.url}/hub/discard/{name}", headers=SAME_ORIGIN)
            assert r.status_code == 200 and authorized(hub, name) is None
    finally:
        hub.admin.get(f"{hub.url}/hub/discard/{name}", headers=SAME_ORIGIN)


def test_signup_without_xsrf_is_refused(hub, hostile_cases):
    before = accounts(hub)
    with hostile_cases.case():
        # When a signup is posted cross-site, without the xsrf cookie and field
        r = requests.post(
            f"{hub.url}/hub/signup",
            data={
                "username": "xsrf-signup",
                "signup_password": "xsrf-signup-Passphrase",
                "signup_password_confirmation": "xsrf-signup-Passphrase",
            },
        )
        # Then it is refused, and no account is made
        assert r.status_code == 403
        assert accounts(hub) == before


# --- Display names --------------------------------------------------------------------------


def display_name_field(html: str) -> str:
    match = re.search(r'name="display_name"[^>]*value="([^"]*)"', html) or re.search(
        r'value="([^"]*)"[^>]*name="display_name"', html
    )
    assert match, html[-1500:]
    return match.group(1)


def test_display_names_with_hostile_input(hub, hostile_cases):
    alice = hub.users["alice"][0]
    url = f"{hub.url}/hub/display-name"
    before = display_name_field(alice.get(url).text)
    xsrf = alice.cookies["_xsrf"]
    cases = [
        ({"display_name": LONG, "_xsrf": xsrf}, 400, "at most 64 characters"),
        ({"display_name": PAYLOADS["control"], "_xsrf": xsrf}, 400, "control"),
        ({"display_name": "Alice"}, 403, ""),  # no xsrf
    ]
    for data, status, message in cases:
        with hostile_cases.case():
            # When alice sets a display name that is too long, has control characters, or
            # comes from another site
            r = alice.post(url, data=data)
            # Then it is refused, saying the bound, shown back escaped and cut, nothing stored
            assert r.status_code == status, r.text[-300:]
            assert_escaped(r.text)
            assert LONG[:100] not in r.text
            if message:
                result = re.search(r'id="hubkit-display-name-result">(.*?)</div>', r.text, re.S)
                assert result and message in result.group(1), r.text[-1500:]
            assert display_name_field(alice.get(url).text) == before
    with hostile_cases.case():
        # And markup is a name like any other: stored as text, shown escaped
        r = alice.post(url, data={"display_name": PAYLOADS["html"][:60], "_xsrf": xsrf})
        assert r.status_code == 200 and "<img src=x" not in r.text
        alice.post(url, data={"display_name": before, "_xsrf": xsrf}).raise_for_status()
    for path, session, status in [
        ("/hub/display-name/alice", hub.users["bob"][0], 403),  # someone else's
        (f"/hub/display-name/{url_quote(PAYLOADS['traversal'], safe='')}", hub.admin, 404),
        (f"/hub/display-name/{'x' * 5000}", hub.admin, 404),
    ]:
        with hostile_cases.case():
            # When a plain user opens someone else's, or the admin a name without an account
            r = session.get(f"{hub.url}{path}")
            # Then it is refused or not found, with a short page
            assert r.status_code == status, (path[:60], r.status_code)
            assert "x" * 100 not in r.text


# --- The AI gateway -------------------------------------------------------------------------


def gateway(hub: HubServer, token: str, body: bytes) -> requests.Response:
    """A request to the AI gateway through the hub's proxy, as a user's server makes it."""
    return requests.post(
        f"{hub.url}/services/ai-gateway/anthropic/v1/messages",
        data=body,
        headers={"x-api-key": token, "content-type": "application/json"},
        timeout=60,
    )


def ai_usage(hub: HubServer) -> dict:
    return {row["name"]: row.get("ai") for row in hub.api("GET", "/hubkit/usage").json()["users"]}


def test_ai_gateway_with_hostile_requests(hub, hostile_cases):
    alice = hub.users["alice"][1]
    hub.wait_for(lambda: gateway(hub, "", b"{}").status_code == 401, 30, "the AI gateway answering")
    before = ai_usage(hub)
    message = {"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    cases = [
        # An unknown model of 100 KB: its 404 quotes at most QUOTE_CHARS of it
        (alice, json.dumps({**message, "model": LONG}).encode(), 404, "is not offered"),
        (alice, json.dumps({**message, "model": PAYLOADS["html"]}).encode(), 404, "not offered"),
        (alice, json.dumps({**message, "model": ["a"]}).encode(), 400, "names no `model`"),
        (alice, b"\xff{", 400, "not JSON"),
        (alice, b"[1]", 400, "JSON object"),
        # 40 MB: over the gateway's 32 MB, refused without forwarding it
        (alice, b'{"model": "' + b"x" * 40_000_000 + b'"}', 413, "at most 33554432"),
        ("not-a-token", json.dumps({**message, "model": LONG}).encode(), 401, "not a valid"),
    ]
    for token, body, status, text in cases:
        with hostile_cases.case():
            # When a user's server sends the gateway a request of the wrong shape or size
            r = gateway(hub, token, body)
            # Then it is refused in Anthropic's shape, with a short message saying why
            assert r.status_code == status, (status, r.status_code, r.text[:300])
            error = r.json()["error"]["message"]
            assert text in error, error
            assert_bounded(error)
    # And nothing was recorded as used
    assert ai_usage(hub) == before


# --- The SQL workspace's API in a user's server (hubkit-lab), through the hub -----------------


@pytest.fixture(scope="module")
def lab(hub):
    """carol's running server: (base URL of hubkit-lab's API, carol's token)."""
    token = hub.users["carol"][1]
    hub.spawn("carol", token, {"profile": "python-sql"})
    yield f"{hub.url}/user/carol/hubkit-lab", token
    hub.api("DELETE", "/users/carol/server")


LAB_CASES = {
    "100KB-name": ("POST", "connections", {"name": LONG, "url": "sqlite://"}, 400),
    "markup-name": ("POST", "connections", {"name": PAYLOADS["html"], "url": "sqlite://"}, 400),
    "traversal-name": ("POST", "connections", {"name": "../../x", "url": "sqlite://"}, 400),
    "sql-name": ("POST", "connections", {"name": PAYLOADS["sql"], "url": "sqlite://"}, 400),
    "number-name": ("POST", "connections", {"name": 5, "url": "sqlite://"}, 400),
    "100KB-url": ("POST", "connections", {"name": "evil", "url": LONG}, 400),
    "no-scheme-url": ("POST", "connections", {"name": "evil", "url": PAYLOADS["traversal"]}, 400),
    "100KB-description": (
        "POST",
        "connections",
        {"name": "evil", "url": "sqlite://", "description": LONG},
        400,
    ),
    "array-body": ("POST", "connections", [1, 2], 400),
    "test-100KB-url": ("POST", "connections/test", {"url": LONG}, 400),
    "edit-builtin": ("PUT", "connections/duckdb", {"url": "sqlite://"}, 403),
    "delete-unknown": ("DELETE", "connections/nobody", None, 404),
    "catalog-traversal": ("GET", f"catalog/{url_quote('../../etc', safe='')}", None, 400),
    "catalog-long": ("GET", f"catalog/{'x' * 3000}", None, 400),
    "preview-rows": ("GET", "catalog/duckdb/main/t/preview?n=100000000", None, 400),
    "builder-100KB-prefix": (
        "POST",
        "builder/duckdb",
        {"state": {"tables": [{"schema": "main", "table": "t"}]}, "prefix": LONG},
        400,
    ),
    "builder-state": ("POST", "builder/duckdb", {"state": LONG}, 400),
    "builder-operator": (
        "POST",
        "builder/duckdb",
        {
            "state": {
                "tables": [{"schema": "main", "table": "t"}],
                "filters": [{"table": 0, "column": "a", "op": LONG, "value": 1}],
            }
        },
        400,
    ),
    "joins-shape": ("POST", "builder/duckdb/joins", {"tables": LONG}, 400),
}


@pytest.mark.parametrize("method, path, body, status", LAB_CASES.values(), ids=LAB_CASES.keys())
def test_sql_workspace_api_with_hostile_input(hub, lab, hostile_cases, method, path, body, status):
    base, token = lab
    headers = {"Authorization": f"token {token}"}
    before = requests.get(f"{base}/connections", headers=headers).json()
    with hostile_cases.case():
        # When carol's server's SQL API is sent names, URLs and builder states of the wrong
        # shape or size
        r = requests.request(method, f"{base}/{path}", json=body, headers=headers, timeout=60)
        # Then it is refused with a short message, and her connections are as they were
        assert r.status_code == status, (r.status_code, r.text[:300])
        assert_bounded(r.json()["message"])
        assert requests.get(f"{base}/connections", headers=headers).json() == before


def test_sql_workspace_api_refuses_other_users(hub, lab, hostile_cases):
    base, token = lab
    for method, path, body in [
        ("GET", "connections", None),
        ("POST", "connections", {"name": "evil", "url": "sqlite://"}),
        ("POST", "builder/duckdb", {"state": {}}),
    ]:
        with hostile_cases.case():
            # When bob (never given access) calls carol's server's SQL API with his token
            r = requests.request(
                method,
                f"{base}/{path}",
                json=body,
                headers={"Authorization": f"token {hub.users['bob'][1]}"},
                allow_redirects=False,
            )
            # Then it is refused, and nothing was added
            assert r.status_code == 403, (path, r.status_code)
    names = [
        c["name"]
        for c in requests.get(
            f"{base}/connections", headers={"Authorization": f"token {token}"}
        ).json()["connections"]
    ]
    assert "evil" not in names


# --- Sharing (JupyterHub's shares and share codes, as the project configures them) -----------


def shares(hub: HubServer) -> tuple[list, list]:
    return (
        hub.api("GET", "/shares/alice/").json()["items"],
        hub.api("GET", "/share-codes/alice/").json()["items"],
    )


def test_sharing_with_hostile_input(hub, hostile_cases):
    before = shares(hub)
    alice, bob = hub.users["alice"][1], hub.users["bob"][1]
    for token, path, body, status in [
        (alice, "/shares/alice/", {"user": LONG}, (400,)),  # JupyterHub echoed it whole
        (alice, "/shares/alice/", {"user": PAYLOADS["html"]}, (400, 404)),
        (alice, "/shares/alice/", {"group": PAYLOADS["traversal"]}, (400, 404)),
        (alice, "/shares/alice/", {"user": "bob", "group": "lab"}, (400,)),
        (alice, "/shares/alice/", {"user": "bob", "scopes": ["admin:users"]}, (400, 403)),
        (alice, "/shares/alice/", [1], (400,)),
        (alice, "/share-codes/alice/", {"expires_in": "never"}, (400,)),
        (alice, "/share-codes/alice/", {"scopes": ["admin:users"]}, (400, 403)),
        (bob, "/shares/alice/", {"user": "bob"}, (403, 404)),  # bob shares alice's server
        (bob, "/share-codes/alice/", {}, (403, 404)),
    ]:
        with hostile_cases.case():
            # When a share is made with a name of the wrong shape, too many scopes, or by
            # someone else than the server's owner
            r = hub.api("POST", path, token, json=body)
            # Then it is refused with a short message, and no share or code exists
            assert r.status_code in status, (path, str(body)[:60], r.text[:300])
            assert_bounded(r.json()["message"])
            assert shares(hub) == before
    for code in (LONG[:5000], PAYLOADS["html"], PAYLOADS["sql"]):
        with hostile_cases.case():
            # When bob accepts a made-up share code
            r = hub.users["bob"][0].get(f"{hub.url}/hub/accept-share", params={"code": code})
            # Then it is refused on a short page, and nothing was shared
            assert r.status_code in (400, 404), r.status_code
            assert_escaped(r.text)
            assert code[:100] not in r.text or len(code) < 100
            assert shares(hub) == before
