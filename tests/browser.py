"""Headless Chromium for the tests and benchmarks: Debian's chromium driven by Playwright."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The extension's browser flows (packages/hubkit-lab/tests, which stand alone) run through the
# hub too; the hub's tests share their helpers. (A path from this file: benchmarks import it as
# the top-level module `browser` too.)
LAB_TESTS = Path(__file__).resolve().parents[1] / "packages" / "hubkit-lab" / "tests"
sys.path.insert(0, str(LAB_TESTS))
from browser_flow import wait_for_kernel  # noqa: E402, F401  (the hub's tests import it from here)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root and without network: no sandbox, no background connections to Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright):
    """A Chromium browser from a started `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# Chromium's own report that the host's network interfaces changed under a request: the Docker
# tests add and remove bridges while the browser tests run beside them. Not the page's doing.
HOST_NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"


def console_errors(page) -> list[str]:
    """The page's console errors and uncaught exceptions from now on (a list that fills as they
    come), but HOST_NETWORK_CHANGED."""
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and HOST_NETWORK_CHANGED not in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def log_in(page, url: str, username: str, password: str) -> None:
    """Submit the hub's login form."""
    page.goto(f"{url}/hub/login")
    page.fill("#username_input", username)
    page.fill("#password_input", password)
    page.click("#login_submit")


def first_visit(page) -> None:
    """A user's first visit to JupyterLab opens the welcome notebook by itself
    (hubkit_lab.welcome): wait for it, then open a launcher in front (File > New Launcher),
    where the tests start. What JupyterLab opened behind it stays in the page, hidden: select
    `:visible` launchers and notebook panels."""
    tab = ".lm-TabBar-tab.lm-mod-current:has-text('Welcome.ipynb')"
    page.wait_for_selector(tab, timeout=120_000)
    # its kernel started (as a reader waits for it): that moves the focus, closing a palette
    page.wait_for_selector("text=/\\| Idle/", timeout=120_000)
    page.keyboard.press("Control+Shift+L")
    page.wait_for_selector(".jp-Launcher:visible", timeout=60_000)


def use_theme(page, theme: str) -> None:
    """Switch JupyterLab to `theme` ("JupyterLab Light" or "JupyterLab Dark") from the
    Settings menu and wait until the page wears it. The menu, not the command palette: a
    kernel starting or a document reloading moves the focus and closes an open palette, and
    the typed command is lost."""
    page.click(".lm-MenuBar-itemLabel:text-is('Settings')")
    page.hover(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(f".lm-Menu-itemLabel:text-is('{theme}')")
    light = "false" if theme.endswith("Dark") else "true"
    page.wait_for_selector(f"body[data-jp-theme-light='{light}']", state="attached", timeout=30_000)
    page.wait_for_selector("#jupyterlab-splash", state="detached")


@contextmanager
def closed_after(tmp_path, **pages) -> Iterator[None]:
    """Close the pages' browser contexts after the block; when it fails, screenshot each page
    first (`failed-<name>.png` in tmp_path) to show what the users saw."""
    try:
        yield
    except Exception:
        for name, page in pages.items():
            page.screenshot(path=str(tmp_path / f"failed-{name}.png"))
        raise
    finally:
        for page in pages.values():
            page.context.close()
