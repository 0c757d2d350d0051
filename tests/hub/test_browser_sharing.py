"""JupyterLab's Share dialog (jupyter-collaboration) against the hub's sharing: alice shares
her server with bob from the dialog, bob opens it in his own browser, alice revokes him."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from ..browser import first_visit, log_in
from ..hubserver import HubServer
from .test_sharing import WITHDRAWN_WITHIN, contents

pytestmark = [pytest.mark.slow, pytest.mark.browser]
DIALOG = ".jp-shared-link-body"


def open_lab(browser, hub: HubServer, user: str, password: str, owner: str):
    page = browser.new_context().new_page()
    log_in(page, hub.url, user, password)
    page.wait_for_url(lambda url: "/hub/login" not in url)
    page.goto(f"{hub.url}/user/{owner}/lab?reset")
    return page


def share_dialog(page):
    """Open the Share dialog from the command palette."""
    page.keyboard.press("Control+Shift+C")
    page.fill(".lm-CommandPalette-input", "Generate a Shared Link")
    page.keyboard.press("Enter")
    page.wait_for_selector(DIALOG)


def test_the_share_dialog_shares_with_a_user_and_revokes(
    tmp_path, catalog, layout, available_profiles, browser
):
    with HubServer(tmp_path, catalog, layout) as hub:
        _, alice = hub.add_account("alice", "alice-Pass-1234")
        _, bob = hub.add_account("bob", "bob-Pass-12345")
        hub.spawn("alice", alice, {"profile": "python-sql"})
        # Given alice in JupyterLab on her server, with the Share dialog open
        page = open_lab(browser, hub, "alice", "alice-Pass-1234", "alice")
        first_visit(page)
        share_dialog(page)
        # Then it offers the other users and groups by name, and says nobody has access yet
        bob_item = page.wait_for_selector(".jp-ManageSharesBody-user-item:text-is('bob')")
        assert page.is_visible(".jp-ManageSharesBody-user-item:text-is('Group power-users')")
        assert page.is_visible(f"{DIALOG} td:has-text('not shared to anybody yet')")
        page.screenshot(path=str(tmp_path / "share-dialog.png"))
        # When she picks bob
        bob_item.click()
        # Then bob is listed as having access, and he opens her JupyterLab in his browser
        page.wait_for_selector(".jp-ManageSharesBody-shares-table td:text-is('bob')")
        page.screenshot(path=str(tmp_path / "share-dialog-shared.png"))
        visitor = open_lab(browser, hub, "bob", "bob-Pass-12345", "alice")
        # the hub asks bob once to let alice's server identify him
        visitor.click("button[type=submit]:text-is('Authorize')")
        visitor.wait_for_selector(".jp-LauncherCard", timeout=90_000)
        assert contents(hub, bob) == 200
        # When alice revokes bob in the dialog
        page.click(".jp-ManageSharesBody-shares-table button:text-is('Revoke')")
        page.wait_for_selector(f"{DIALOG} td:has-text('not shared to anybody yet')")
        # Then bob loses access
        hub.wait_for(lambda: contents(hub, bob) == 403, WITHDRAWN_WITHIN, "bob refused")
        assert hub.api("GET", "/shares/alice/", alice).json()["items"] == []
