"""JupyterLab's Share dialog (jupyter-collaboration) against the hub's sharing: alice shares
her server with bob from the dialog, bob opens it in his own browser, alice revokes him; alice
makes a share code (hubkit-lab's "Share with a link" dialog), dave accepts it, alice revokes it.
On the `team` hub of tests/hub/conftest.py."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from ..browser import closed_after, first_visit, log_in, use_theme
from .test_sharing import BOB_DISPLAY_NAME, WITHDRAWN_WITHIN, authorize_once, contents

pytestmark = [pytest.mark.slow, pytest.mark.browser]
DIALOG = ".jp-shared-link-body"


def open_lab(browser, hub, user: str):
    """`user` logged in, on alice's JupyterLab."""
    page = browser.new_context().new_page()
    log_in(page, hub.url, user, f"{user}-Pass-12345")
    page.wait_for_url(lambda url: "/hub/login" not in url)
    page.goto(f"{hub.url}/user/alice/lab?reset")
    return page


def alice_lab(browser, hub):
    """alice on her JupyterLab, a launcher in front. Her first visit opens the welcome notebook
    (hubkit_lab.welcome), which first_visit waits for; the later ones open a launcher only."""
    r = requests.get(
        f"{hub.url}/user/alice/hubkit-lab/welcome",
        headers={"Authorization": f"token {hub.sessions['alice'][1]}"},
        timeout=30,
    )
    r.raise_for_status()
    page = open_lab(browser, hub, "alice")
    if r.json()["path"]:
        first_visit(page)
    else:
        page.wait_for_selector(".jp-Launcher:visible", timeout=120_000)
    return page


def share_dialog(page):
    """Open the Share dialog from the command palette."""
    page.keyboard.press("Control+Shift+C")
    page.fill(".lm-CommandPalette-input", "Generate a Shared Link")
    page.keyboard.press("Enter")
    page.wait_for_selector(DIALOG)


def by_name(selector: str) -> str:
    """bob's entry in the dialog, by login name or by the display name an earlier test of the
    `team` hub may have given him."""
    return f"{selector}:text-is('bob'), {selector}:text-is('{BOB_DISPLAY_NAME}')"


def test_the_share_dialog_shares_with_a_user_and_revokes(team, browser, tmp_path):
    hub = team
    alice = hub.sessions["alice"][1]
    bob = hub.sessions["bob"][1]
    # Given alice in JupyterLab on her server (shared with nobody), with the Share dialog open
    page = alice_lab(browser, hub)
    share_dialog(page)
    # Then it offers the other users and groups by name, and says nobody has access yet
    bob_item = page.wait_for_selector(by_name(".jp-ManageSharesBody-user-item"))
    assert page.is_visible(".jp-ManageSharesBody-user-item:text-is('Group power-users')")
    assert page.is_visible(f"{DIALOG} td:has-text('not shared to anybody yet')")
    page.screenshot(path=str(tmp_path / "share-dialog.png"))
    # When she picks bob
    bob_item.click()
    try:
        # Then bob is listed as having access, and he opens her JupyterLab in his browser
        page.wait_for_selector(by_name(".jp-ManageSharesBody-shares-table td"))
        page.screenshot(path=str(tmp_path / "share-dialog-shared.png"))
        visitor = open_lab(browser, hub, "bob")
        authorize_once(visitor)
        visitor.wait_for_selector(".jp-LauncherCard", timeout=90_000)
        assert contents(hub, bob) == 200
        # When alice revokes bob in the dialog
        page.click(".jp-ManageSharesBody-shares-table button:text-is('Revoke')")
        page.wait_for_selector(f"{DIALOG} td:has-text('not shared to anybody yet')")
        # Then bob loses access
        hub.wait_for(lambda: contents(hub, bob) == 403, WITHDRAWN_WITHIN, "bob refused")
        assert hub.api("GET", "/shares/alice/", alice).json()["items"] == []
    finally:  # the team hub as it was: alice's server shared with nobody
        hub.api("PATCH", "/shares/alice/", alice, json={"user": "bob"})


CODES = ".hk-ShareCodes"
CODE_ROW = f"{CODES} .hk-ShareCodes-code"


def share_code_dialog(page):
    """Open the share-code dialog from the command palette."""
    page.keyboard.press("Control+Shift+C")
    page.fill(".lm-CommandPalette-input", "Share with a link (share code)")
    page.keyboard.press("Enter")
    page.wait_for_selector(CODES)


def test_a_share_code_made_in_jupyterlab_lets_whoever_accepts_it_in(team, browser, tmp_path):
    hub = team
    alice = hub.sessions["alice"][1]
    dave = hub.sessions["dave"][1]
    hub.wait_for(lambda: contents(hub, dave) == 403, WITHDRAWN_WITHIN, "dave refused")
    page = alice_lab(browser, hub)
    visitor = browser.new_context().new_page()
    with closed_after(tmp_path, alice=page, dave=visitor):
        # Given alice in JupyterLab: the Share dialog leads to share codes
        share_dialog(page)
        page.click(f"{DIALOG} .hk-ShareCodes-open")
        page.wait_for_selector(f"{CODES} .hk-ShareCodes-none:has-text('No links yet')")
        assert page.locator(DIALOG).count() == 0
        # When she creates a link that can be accepted for 7 days
        page.select_option(f"{CODES} select", label="7 days")
        page.click(f"{CODES} button:text-is('Create Link')")
        # Then she gets the link to copy, when it expires, and the code listed, not used yet
        url = page.wait_for_selector(".hk-ShareCodes-link").input_value()
        assert url.startswith(f"{hub.url}/hub/accept-share?code=")
        assert page.inner_text(".hk-ShareCodes-expires").startswith("Expires in 7 days (")
        page.wait_for_selector(f"{CODE_ROW}.hk-mod-new")
        assert page.locator(CODE_ROW).count() == 1
        assert page.inner_text(f"{CODE_ROW} td >> nth=2") == "not yet"
        [code] = hub.api("GET", "/share-codes/alice/", alice).json()["items"]
        left = datetime.fromisoformat(code["expires_at"]) - datetime.now(UTC)
        assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
        page.screenshot(path=str(tmp_path / "share-code-light.png"))

        # When dave, logged in, opens the link and accepts, while alice's dialog is open
        log_in(visitor, hub.url, "dave", "dave-Pass-12345")
        visitor.wait_for_url(lambda u: "/hub/login" not in u)
        visitor.goto(url)
        visitor.click("button:text-is('Accept invitation')")
        # Then he is in alice's JupyterLab, and may open her files
        authorize_once(visitor)
        visitor.wait_for_selector(".jp-LabShell", timeout=90_000)
        hub.wait_for(lambda: contents(hub, dave) == 200, WITHDRAWN_WITHIN, "dave let in")
        # And alice's open dialog shows the code used once (it lists the codes every 5 s)
        page.wait_for_selector(f"{CODE_ROW} time:text-matches('^1 time, last ')", timeout=30_000)
        page.click(".jp-Dialog-button:has-text('Close')")

        # And alice, opening the dialog again from the palette, sees the same
        use_theme(page, "JupyterLab Dark")
        share_code_dialog(page)
        page.wait_for_selector(f"{CODE_ROW} time:text-matches('^1 time, last ')")
        assert page.locator(".hk-ShareCodes-new").is_hidden()  # a link is shown only once
        page.screenshot(path=str(tmp_path / "share-code-dark.png"))
        # When she revokes it
        page.click(f"{CODE_ROW} button:text-is('Revoke')")
        page.wait_for_selector(f"{CODES} .hk-ShareCodes-none")
        assert hub.api("GET", "/share-codes/alice/", alice).json()["items"] == []
        # Then nobody can accept it any more
        assert visitor.goto(url).status == 404
        # But dave keeps the share he got with it (JupyterHub's shares outlive their code),
        # until alice removes him in the Share dialog, which the code dialog leads to
        assert contents(hub, dave) == 200
        shares = hub.api("GET", "/shares/alice/", alice).json()["items"]
        assert [s["user"]["name"] for s in shares] == ["dave"]
        page.click(f"{CODES} a:text-is('Who has access…')")
        table = ".jp-ManageSharesBody-shares-table"
        page.wait_for_selector(f"{table} td:text-is('dave'), {table} td:text-is('Dave Dee')")
        page.click(f"{table} button:text-is('Revoke')")
        page.wait_for_selector(f"{DIALOG} td:has-text('not shared to anybody yet')")
        hub.wait_for(lambda: contents(hub, dave) == 403, WITHDRAWN_WITHIN, "dave refused")
        page.click(".jp-Dialog-button:has-text('Close')")
        use_theme(page, "JupyterLab Light")
