"""Tests in headless Chromium: log in, pick a profile, JupyterLab opens with the extension set."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json

import pytest

from ..browser import log_in
from ..hubserver import ADMIN, ADMIN_PASSWORD
from .extension_set import EXTENSION_SET, SIDEBAR_PANELS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return page


def test_login_pick_profile_and_open_jupyterlab(hub, catalog, available_profiles, page):
    slug = available_profiles[-1]
    # Given the login page
    log_in(page, hub.url, ADMIN, ADMIN_PASSWORD)
    # Then the profile form lists each available profile with its kernels
    page.wait_for_selector("input[name=profile]")
    for available in available_profiles:
        card = page.locator(".card", has=page.locator(f"#profile-{available}"))
        kernels = ", ".join(k.display_name for k, _ in catalog.kernels(available))
        assert f"Kernels: {kernels}" in card.inner_text()
    # When the last profile is chosen with the keyboard and the form submitted
    page.focus(f"#profile-{available_profiles[0]}")
    for _ in available_profiles[1:]:
        page.keyboard.press("ArrowDown")
    assert page.is_checked(f"#profile-{slug}")
    page.click("form button[type=submit], form input[type=submit]")
    # Then JupyterLab opens with a launcher card per kernel of the profile
    page.wait_for_url("**/user/admin/lab**", timeout=120_000)
    page.wait_for_selector(".jp-Launcher", timeout=120_000)
    launcher = page.inner_text(".jp-Launcher")
    for kernel, _ in catalog.kernels(slug):
        assert kernel.display_name in launcher
    # And the extension set is loaded and active
    config = json.loads(page.inner_text("#jupyter-config-data"))
    loaded = {e["name"] for e in config["federated_extensions"]}
    assert set(EXTENSION_SET) <= loaded, set(EXTENSION_SET) - loaded
    page.wait_for_selector("[data-id='jp-git-sessions']", timeout=30_000)
    panels = set(page.eval_on_selector_all(".lm-TabBar-tab", "els => els.map(e => e.dataset.id)"))
    assert panels >= SIDEBAR_PANELS, SIDEBAR_PANELS - panels
    page.wait_for_selector("text=/Mem: .* 2048.00 MB/", timeout=30_000)  # the size's limit
    # When a Python notebook runs a cell
    page.click(".jp-Launcher .jp-LauncherCard[data-category='Notebook'][title*='Python 3']")
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=60_000)
    page.wait_for_selector("text=Python 3 | Idle", timeout=60_000)
    page.click(".jp-Notebook .jp-Cell .cm-content")
    page.keyboard.type("answer = 41 + 1\nanswer")
    page.keyboard.press("Shift+Enter")
    # Then its result shows, timed by execute-time, and the variable inspector lists it
    page.wait_for_selector(".jp-OutputArea-output:has-text('42')", timeout=60_000)
    page.wait_for_selector("text=/Last executed at .* in /", timeout=30_000)
    page.click("[data-id='mljar-variable-inspector::mljar-left-sidebar']")
    page.wait_for_selector("text=Your Variables", timeout=30_000)
    inspector = page.locator(".lm-StackedPanel-child:has-text('Your Variables')").first
    for _ in range(12):  # under load the first automatic refresh can come late: ask again
        if inspector.locator("text=answer").count():
            break
        inspector.locator("[aria-label='Refresh variables']").click()
        page.wait_for_timeout(2500)
    inspector.locator("text=answer").wait_for(timeout=5_000)
    assert "int" in inspector.inner_text() and "42" in inspector.inner_text()
    # And nothing failed in the browser
    page.wait_for_timeout(3000)
    assert page.console_errors == []
