"""JupyterLab's Share dialog (jupyter-collaboration) against the hub's sharing: alice shares
her server with bob from the dialog, bob opens it in his own browser, alice revokes him. On the
`team` hub of tests/hub/conftest.py."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from ..browser import first_visit, log_in
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
    page = open_lab(browser, hub, "alice")
    first_visit(page)
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
