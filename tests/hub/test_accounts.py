"""Tests for accounts: signup with approval, password policy, password change, TOTP, lockout."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import sqlite3

import bcrypt
import onetimepass
import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from hubkit.hub.credentials import PREHASHED
from hubkit.hub.lockout import LoginAttemptStore, create_table

from ..hubserver import ADMIN, ADMIN_PASSWORD, HubServer, login_error

PENDING = "Your information has been sent to the admin."


@pytest.fixture(scope="module")
def shared_hub(tmp_path_factory, catalog, layout, available_profiles):
    """One hub for the account tests that need no special settings (each starts in ~4 s)."""
    with HubServer(tmp_path_factory.mktemp("accounts"), catalog, layout) as server:
        yield server


def test_lockout_store_counts_locks_and_reopens():
    # Given an empty table and 3 allowed failures with a 60 s lockout
    engine = create_engine("sqlite://")
    with Session(engine) as db:
        create_table(db)
        store = LoginAttemptStore(db, allowed=3, lockout_seconds=60)
        # When two logins fail, the account is not locked yet
        assert [store.add_failure("eve", now=100), store.add_failure("eve", now=101)] == [1, 2]
        assert store.seconds_left("eve", now=102) == 0
        # When the third fails, it is locked for 60 s after the last failure
        store.add_failure("eve", now=110)
        assert store.seconds_left("eve", now=120) == 50
        assert store.seconds_left("bob", now=120) == 0
        # Then after the wait a failure starts a new window instead of locking again
        assert store.seconds_left("eve", now=171) == 0
        assert store.add_failure("eve", now=171) == 1
        # And a successful login clears the counter
        store.clear("eve")
        assert store.seconds_left("eve", now=172) == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "password, why",
    [("Short-1a", "too short"), ("1q2w3e4r5t", "common"), ("qwertyuiop", "common")],
)
def test_weak_password_is_refused_at_signup(shared_hub, password, why):
    # When someone signs up with a password that is too short or too common
    page = shared_hub.signup(f"weak{abs(hash(password)) % 1000}", password)
    # Then the account is not created and the page says what the policy is
    assert "at least 10 characters and is not too common" in page, why
    assert PENDING not in page


@pytest.mark.slow
def test_signup_needs_admin_approval(shared_hub):
    hub = shared_hub
    # Given a user who signed up
    assert PENDING in hub.signup("carol", "carol-long-Passphrase")
    # When they log in before approval, they are told they are not authorized yet
    r = hub.post_login("carol", "carol-long-Passphrase")
    assert "has not been authorized by an administrator yet" in login_error(r.text)
    # And the authorize page refuses anyone not logged in as an admin
    assert requests.get(f"{hub.url}/hub/authorize").status_code == 403
    # When the admin approves them on /hub/authorize
    hub.authorize("carol")
    # Then they can log in, and still cannot approve anyone
    session = hub.login("carol", "carol-long-Passphrase")
    assert session.get(f"{hub.url}/hub/authorize").status_code == 403
    assert session.get(f"{hub.url}/hub/authorize/carol").status_code == 403


@pytest.mark.slow
def test_admin_account_exists_from_the_environment(shared_hub):
    # Then the admin logs in with JUPYTER_PASSWORD without signing up, and is an admin
    session = shared_hub.login(ADMIN, ADMIN_PASSWORD)
    token = shared_hub.new_token(session, ADMIN)
    assert shared_hub.api("GET", "/user", token).json()["admin"] is True


@pytest.mark.slow
def test_password_change(shared_hub):
    hub = shared_hub
    # Given an approved user, logged in
    session, _ = hub.add_account("dave", "dave-first-Passphrase")
    # When they change their password, a weak new one is refused
    form = {"old_password": "dave-first-Passphrase", "_xsrf": session.cookies["_xsrf"]}
    weak = {**form, "new_password": "abc", "new_password_confirmation": "abc"}
    r = session.post(f"{hub.url}/hub/change-password", data=weak)
    assert "at least 10 characters" in r.text
    new = "dave-second-Passphrase"
    good = {**form, "new_password": new, "new_password_confirmation": new}
    r = session.post(f"{hub.url}/hub/change-password", data=good)
    assert "changed successfully" in r.text
    # Then the old password no longer works and the new one does
    assert "Invalid username or password" in login_error(
        hub.post_login("dave", "dave-first-Passphrase").text
    )
    hub.login("dave", new)


@pytest.mark.slow
def test_two_factor_login(shared_hub):
    hub = shared_hub
    # Given a user who asked for 2FA at signup and was shown the TOTP secret
    page = hub.signup("erin", "erin-long-Passphrase", two_fa=True)
    secret = page.split("Your two factor authentication code is <strong>")[1].split("<")[0]
    hub.authorize("erin")
    # When they log in without a code or with a wrong one, it fails
    assert "/hub/login" in hub.post_login("erin", "erin-long-Passphrase").url
    assert "/hub/login" in hub.post_login("erin", "erin-long-Passphrase", **{"2fa": "000000"}).url
    # Then with the current code from their authenticator app it works
    hub.login("erin", "erin-long-Passphrase", **{"2fa": str(onetimepass.get_totp(secret))})


@pytest.mark.slow
def test_open_signup_option(make_hub):
    # Given a hub with HUBKIT_OPEN_SIGNUP=true
    hub = make_hub("open", HUBKIT_OPEN_SIGNUP="true")
    # When someone signs up, they can log in at once
    assert "The signup was successful" in hub.signup("frank", "frank-long-Passphrase")
    hub.login("frank", "frank-long-Passphrase")


@pytest.mark.slow
def test_failed_logins_lock_the_account_across_a_restart(make_hub):
    # Given a hub allowing 3 failed logins with a 10-minute lockout
    hub = make_hub("lockout", HUBKIT_ALLOWED_FAILED_LOGINS="3", HUBKIT_LOCKOUT_SECONDS="600")
    hub.add_account("gina", "gina-long-Passphrase")
    # When the password is wrong 3 times
    for _ in range(3):
        r = hub.post_login("gina", "wrong-password-123")
        assert "/hub/login" in r.url
    # Then even the right password is refused, with the reason
    r = hub.post_login("gina", "gina-long-Passphrase")
    assert "this account is locked for" in login_error(r.text), r.text
    # And after a hub restart it is still locked (the counter is in the hub database)
    hub.restart()
    r = hub.post_login("gina", "gina-long-Passphrase")
    assert "this account is locked for" in login_error(r.text)
    # And another account is not affected
    hub.login(ADMIN, ADMIN_PASSWORD)
    # When the lockout has passed (the admin shortens it to 1 s: the lock ends 1 s after the
    # last failure, which is long past), the right password works again
    hub.env["HUBKIT_LOCKOUT_SECONDS"] = "1"
    hub.restart()
    hub.login("gina", "gina-long-Passphrase")


@pytest.mark.slow
def test_accounts_hashed_by_nativeauthenticator_still_log_in(make_hub):
    # Given an account whose password NativeAuthenticator 1.3.0 hashed (plain bcrypt)
    hub = make_hub("legacy")
    hub.add_account("hana", "hana-first-Passphrase")
    with sqlite3.connect(hub.tmp / "jupyterhub.sqlite") as db:
        legacy = bcrypt.hashpw(b"hana-old-Passphrase", bcrypt.gensalt())
        db.execute("UPDATE users_info SET password = ? WHERE username = 'hana'", (legacy,))
    hub.restart()
    # When she logs in with it, it works, and a wrong one does not
    session = hub.login("hana", "hana-old-Passphrase")
    assert "Invalid username" in login_error(hub.post_login("hana", "hana-old-passphrase").text)
    # Then changing it stores hubkit's hash, with which she logs in
    new = "hana-new-Passphrase-" + "é" * 100
    form = {"old_password": "hana-old-Passphrase", "new_password": new}
    form |= {"new_password_confirmation": new, "_xsrf": session.cookies["_xsrf"]}
    assert "changed successfully" in session.post(f"{hub.url}/hub/change-password", data=form).text
    with sqlite3.connect(hub.tmp / "jupyterhub.sqlite") as db:
        (stored,) = db.execute("SELECT password FROM users_info WHERE username = 'hana'").fetchone()
    assert stored.startswith(PREHASHED)
    hub.login("hana", new)
