"""A notebook's history on a shared server (hubkit_lab.history): checkpoints carry the display
name of the hub user who made them, and restoring a cell goes through the shared document, so a
collaborator editing another cell at the same time keeps their edit and sees the restore."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio

import pytest
import requests

from ..browser import use_theme
from ..collab import Editor
from ..hubserver import HubServer
from .test_collaboration import put_notebook, saved_sources
from .test_sharing import WITHDRAWN_WITHIN, contents, open_notebook, share

pytestmark = pytest.mark.slow
BEFORE, BROKEN, NOTE = "total = 6 * 7", "total = 0  # broken", "note = 'bob'"


def alice_api(hub: HubServer, token: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method,
        f"{hub.url}/user/alice/{path}",
        headers={"Authorization": f"token {token}"},
        timeout=60,
        **kwargs,
    )


def history(hub: HubServer, token: str, path: str, **body) -> requests.Response:
    url = f"hubkit-lab/history?path={path}"
    if body:
        return alice_api(hub, token, "POST", url, json=body)
    return alice_api(hub, token, "GET", url)


async def test_a_checkpoint_restores_a_cell_while_another_user_edits_a_different_cell(team):
    hub = team
    alice, bob = hub.sessions["alice"][1], hub.sessions["bob"][1]
    path = "history.ipynb"
    # Given alice's notebook with a checkpoint she named, and a change to its first cell since
    put_notebook(hub, path, [BEFORE, NOTE])
    r = history(hub, alice, path, name="Before the change")
    assert r.status_code == 201, r.text
    checkpoint = r.json()
    assert checkpoint["author"] == {"username": "alice", "display_name": "Alice Liddell"}
    put_notebook(hub, path, [BROKEN, NOTE])
    assert share(hub, alice, user="bob").status_code == 200
    try:
        hub.wait_for(lambda: contents(hub, bob) == 200, WITHDRAWN_WITHIN, "bob let in")
        # A checkpoint bob makes is listed with his name
        r = history(hub, bob, path, name="Bob's look")
        assert r.status_code == 201 and r.json()["author"]["username"] == "bob", r.text

        # When bob, in the shared notebook, types into the second cell
        typed = "  # checked by bob"
        async with Editor(f"{hub.url}/user/alice", bob, path) as editor:

            async def type_slowly() -> None:
                for char in typed:
                    editor.key(1, char)
                    await asyncio.sleep(0.1)

            typing = asyncio.create_task(type_slowly())
            await asyncio.sleep(0.6)
            # And alice restores the first cell from her checkpoint meanwhile
            r = await asyncio.to_thread(
                history, hub, alice, path, action="restore", id=checkpoint["id"], cell_id="cell-0"
            )
            assert r.status_code == 200, r.text
            assert r.json()["live"] is True  # through the shared document bob is in
            await typing
            # Then bob sees the restore live, and his whole edit is there
            await editor.until(
                lambda: [editor.source(0), editor.source(1)] == [BEFORE, NOTE + typed],
                30,
                "the restored cell and bob's edit in bob's document",
            )
        # And both end up in the saved file
        both = [BEFORE, NOTE + typed]
        hub.wait_for(lambda: saved_sources(hub, path, "alice") == both, 30, "both edits saved")
        # The list: newest first, and the one jupyter_server makes at a notebook's first save
        listed = history(hub, alice, path).json()["checkpoints"]
        assert [(c["name"], c["kind"]) for c in listed] == [
            ("Bob's look", "named"),
            ("Before the change", "named"),
            ("", "save"),
        ]
    finally:
        hub.api("PATCH", "/shares/alice/", alice, json={"user": "bob"})
        hub.wait_for(lambda: contents(hub, bob) == 403, WITHDRAWN_WITHIN, "bob refused")


@pytest.mark.browser
def test_history_panel_compares_a_checkpoint_and_restores_one_cell(team, browser, tmp_path):
    hub = team
    path = "panel.ipynb"
    put_notebook(hub, path, [BEFORE, NOTE])
    page = open_notebook(browser, hub, "alice", path)
    try:
        # When alice creates a checkpoint from the notebook's toolbar, naming it
        page.click(".jp-NotebookPanel-toolbar [data-command='hubkit-lab:create-checkpoint']")
        page.fill(".jp-Dialog input", "Before the change")
        page.click(".jp-Dialog button.jp-mod-accept")
        # Then the History panel lists it with her display name
        item = ".hk-Checkpoint:has(.hk-Checkpoint-name:text-is('Before the change'))"
        page.wait_for_selector(f"{item} .hk-Checkpoint-author:text-is('Alice Liddell')")
        # When she changes the first cell and compares
        editor = page.locator(".jp-Notebook .jp-Cell >> nth=0 >> .cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.type(BROKEN)
        page.click(f"{item} .hk-Checkpoint-compare")
        # Then the comparison shows the first cell's change, line by line
        cell = ".hk-HistoryCell.hk-mod-modified"
        page.wait_for_selector(f"{cell} .hk-AiDiff-removed:has-text('{BEFORE}')")
        assert page.is_visible(f"{cell} .hk-AiDiff-added:has-text('{BROKEN}')")
        assert page.inner_text(".hk-HistoryDiff-summary") == "1 cell differs from the notebook now"
        page.screenshot(path=str(tmp_path / "history-light.png"))
        use_theme(page, "JupyterLab Dark")
        page.screenshot(path=str(tmp_path / "history-dark.png"))
        use_theme(page, "JupyterLab Light")
        # When she restores that cell, the editor shows it as it was, and it is saved
        page.click(f"{cell} .hk-HistoryCell-restore[data-cell='cell-0']")
        page.wait_for_selector(
            ".hk-HistoryDiff-summary:text-is('The notebook now is the same as this checkpoint.')"
        )
        assert editor.inner_text() == BEFORE
        restored = [BEFORE, NOTE]
        hub.wait_for(lambda: saved_sources(hub, path, "alice") == restored, 30, "the restore saved")
    except Exception:
        page.screenshot(path=str(tmp_path / "failed.png"))
        raise
    finally:
        page.context.close()
