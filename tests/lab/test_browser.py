"""Tests in headless Chromium: log in, pick a profile, JupyterLab opens with the extension set
and the server stops at once with a notebook open."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..browser import console_errors, first_visit, log_in, wait_for_kernel
from ..hubserver import ADMIN, ADMIN_PASSWORD
from .extension_set import EXTENSION_SET, SIDEBAR_PANELS

pytestmark = [pytest.mark.slow, pytest.mark.browser]
# The notebook the test opens (the welcome one a first visit opens stays behind it, hidden)
NOTEBOOK = ".jp-NotebookPanel:visible"
MAKE_FRAME = "import pandas as pd\nframe = pd.DataFrame({'a': [1, 2, 3], 'b': [4, 5, 6]})"
# What the inspector's kernel script reports for `frame` (its listing function stays defined).
SHAPE_OF_FRAME = (
    "[v['varShape'] for v in __mljar_variable_inspector_dict_list().data"
    " if v['varName'] == 'frame']"
)


@pytest.fixture
def hub(make_hub):
    """The product's default: AI on, so the whole extension set (jupyter-ai's included) loads."""
    return make_hub(HUBKIT_AI="true")


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.console_errors = console_errors(page)
    # webpack's module federation warns when an extension was built for other versions of a
    # shared package than the page has, and gives it the page's version anyway
    page.version_warnings = []
    page.on(
        "console",
        lambda m: "Unsatisfied version" in m.text and page.version_warnings.append(m.text),
    )
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
    first_visit(page)
    launcher = page.inner_text(".jp-Launcher:visible")
    for kernel, _ in catalog.kernels(slug):
        assert kernel.display_name in launcher
    # And the extension set is loaded and active
    config = json.loads(page.inner_text("#jupyter-config-data"))
    loaded = {e["name"] for e in config["federated_extensions"]}
    assert set(EXTENSION_SET) <= loaded, set(EXTENSION_SET) - loaded
    assert not set(EXTENSION_SET) & set(config["disabledExtensions"]), config["disabledExtensions"]
    # And no extension was built for a newer JupyterLab than the one installed (`jupyter
    # labextension list` checks only the version range each extension declares)
    core = [w for w in page.version_warnings if "shared singleton module @jupyterlab/" in w]
    assert core == [], core
    page.wait_for_selector("[data-id='jp-git-sessions']", timeout=30_000)
    panels = set(page.eval_on_selector_all(".lm-TabBar-tab", "els => els.map(e => e.dataset.id)"))
    assert panels >= SIDEBAR_PANELS, SIDEBAR_PANELS - panels
    page.wait_for_selector("text=/Mem: .* 2048.00 MB/", timeout=30_000)  # the size's limit
    # When a Python notebook runs a cell
    page.click(".jp-Launcher:visible .jp-LauncherCard[data-category='Notebook'][title*='Python 3']")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell .cm-content", timeout=60_000)
    wait_for_kernel(page)
    run_in_last_cell(page, "answer = 41 + 1\nanswer")
    # Then its result shows, timed by execute-time, and the variable inspector lists it
    page.wait_for_selector(f"{NOTEBOOK} .jp-OutputArea-output:has-text('42')", timeout=60_000)
    page.wait_for_selector("text=/Last executed at .* in /", timeout=30_000)
    page.click("[data-id='mljar-variable-inspector::mljar-left-sidebar']")
    page.wait_for_selector("text=Your Variables", timeout=30_000)
    inspector = page.locator(".lm-StackedPanel-child:has-text('Your Variables')").first
    wait_listed(page, inspector, "answer")
    assert "int" in inspector.inner_text() and "42" in inspector.inner_text()
    # And the inspector imported no library into the kernel (envs/python/etc/hubkit/post-install.d)
    run_in_last_cell(page, "import sys\n'pandas' in sys.modules")
    page.wait_for_selector(f"{NOTEBOOK} .jp-OutputArea-output:has-text('False')", timeout=60_000)
    # When the user imports pandas and makes a DataFrame, the inspector lists it as a table
    run_in_last_cell(page, MAKE_FRAME)
    wait_listed(page, inspector, "frame")
    # with the shape its pandas check finds (the sidebar shows it only when widened)
    run_in_last_cell(page, SHAPE_OF_FRAME)
    page.wait_for_selector(
        f"{NOTEBOOK} .jp-OutputArea-output:has-text(\"['3 x 2']\")", timeout=60_000
    )
    # And nothing failed in the browser
    page.wait_for_timeout(3000)
    assert page.console_errors == []
    # When the server is stopped from the hub while the notebook is still open
    stopped = hub.api("DELETE", f"/users/{ADMIN}/server", hub.admin_token)
    # Then it stops at once: 204, where 202 says the hub still waits for the process (which
    # hung, envs/python/etc/jupyter/jupyter_server_config.py), after the server's own cleanup
    assert stopped.status_code == 204, stopped.text
    log = Path(hub.env["HUBKIT_HOMES_DIR"], ADMIN, ".local/state/hubkit/jupyter-server.log")
    assert "Kernel shutdown" in log.read_text().split("--- hubkit: starting")[-1]


def run_in_last_cell(page, code: str) -> None:
    page.click(f"{NOTEBOOK} .jp-Cell:last-child .cm-content")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")


def wait_listed(page, inspector, name: str) -> None:
    """Wait until the variable inspector lists `name`; under load its automatic refresh after a
    cell can come late, so ask it again."""
    for _ in range(12):
        if inspector.get_by_text(name, exact=True).count():
            break
        inspector.locator("[aria-label='Refresh variables']").click()
        page.wait_for_timeout(2500)
    inspector.get_by_text(name, exact=True).wait_for(timeout=5_000)
