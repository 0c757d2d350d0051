"""Tests in headless Chromium: a new user signs up, the admin approves them on /hub/authorize,
they log in, pick a profile with the keyboard and JupyterLab opens."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from ..browser import first_visit, log_in
from ..hubserver import ADMIN, ADMIN_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_signup_approval_login_and_jupyterlab(hub, catalog, available_profiles, browser):
    password = "holly-long-Passphrase"
    user = browser.new_context().new_page()
    # Given a visitor who signs up
    user.goto(f"{hub.url}/hub/signup")
    user.fill("#username_input", "holly")
    user.fill("#password_input", password)
    user.fill("#password_confirmation_input", password)
    user.click("#signup_submit")
    user.wait_for_selector("text=Your information has been sent to the admin")
    # When she logs in before approval, she is told to wait for it
    log_in(user, hub.url, "holly", password)
    user.wait_for_selector("text=has not been authorized by an administrator yet")
    # When the admin approves her on the authorize page
    admin = browser.new_context().new_page()
    log_in(admin, hub.url, ADMIN, ADMIN_PASSWORD)
    admin.wait_for_url("**/hub/spawn**")
    admin.goto(f"{hub.url}/hub/authorize")
    admin.click("a[href$='authorize/holly']")
    admin.wait_for_selector("a[href$='authorize/holly']:has-text('Unauthorize')")
    # Then she logs in and sees the profile form with descriptions and kernels
    log_in(user, hub.url, "holly", password)
    user.wait_for_selector("input[name=profile]")
    slug = available_profiles[-1]
    card = user.locator(".card", has=user.locator(f"#profile-{slug}"))
    assert catalog.profiles[slug].description in card.inner_text()
    # When she picks the last profile with the keyboard and submits with Enter
    user.focus(f"#profile-{available_profiles[0]}")
    for _ in available_profiles[1:]:
        user.keyboard.press("ArrowDown")
    assert user.is_checked(f"#profile-{slug}")
    user.keyboard.press("Enter")
    # Then JupyterLab opens with the profile's kernels in the launcher
    user.wait_for_url("**/user/holly/lab**", timeout=120_000)
    first_visit(user)
    launcher = user.inner_text(".jp-Launcher:visible")
    for kernel, _ in catalog.kernels(slug):
        assert kernel.display_name in launcher
    # And the admin sees her server with the chosen profile
    server = hub.api("GET", "/users/holly").json()["servers"][""]
    assert server["user_options"]["profile"] == slug
