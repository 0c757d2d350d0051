"""Tests for editing one notebook together on a shared server (issue 14): alice shares her
server with bob; both edit through the hub's proxy with their own tokens, as Yjs clients of
jupyter-collaboration's rooms (tests/collab.py) and in two Chromium contexts; their documents
converge with every keystroke, no edit is lost when the server restarts, both see the outputs of
cells either of them runs, and "jump to" a collaborator selects the cell with their cursor."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import re
import sqlite3
from itertools import zip_longest

import nbformat
import pytest
import requests

from ..browser import closed_after, use_theme
from ..collab import Editor
from ..hubserver import HubServer
from .test_sharing import WITHDRAWN_WITHIN, contents, open_notebook, share
from .test_sql_workspace import upload_notebook

pytestmark = pytest.mark.slow


def code_cell(source: str, index: int) -> dict:
    return {
        "cell_type": "code",
        "id": f"cell-{index}",
        "source": source,
        "metadata": {},
        "outputs": [],
        "execution_count": None,
    }


def put_notebook(hub: HubServer, path: str, sources: list[str]) -> None:
    notebook = {
        "cells": [code_cell(s, i) for i, s in enumerate(sources)],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    r = requests.put(
        f"{hub.url}/user/alice/api/contents/{path}",
        json={"type": "notebook", "content": notebook},
        headers={"Authorization": f"token {hub.sessions['alice'][1]}"},
        timeout=30,
    )
    assert r.status_code in (200, 201), r.text


def saved_sources(hub: HubServer, path: str, user: str = "bob") -> list[str] | None:
    """The cells' sources in the notebook file, as the Contents API (`user`'s token) reads it
    (None: read during a save)."""
    notebook = hub.saved_notebook("alice", path, hub.sessions[user][1])
    return None if notebook is None else [cell["source"] for cell in notebook["cells"]]


class shared_with_bob:
    """alice shares her server with bob for the block, and revokes it after."""

    def __init__(self, hub: HubServer) -> None:
        self.hub = hub
        self.alice, self.bob = hub.sessions["alice"][1], hub.sessions["bob"][1]

    def __enter__(self) -> None:
        assert share(self.hub, self.alice, user="bob").status_code == 200
        self.hub.wait_for(
            lambda: contents(self.hub, self.bob) == 200, WITHDRAWN_WITHIN, "bob let in"
        )

    def __exit__(self, *exc) -> None:
        self.hub.api("PATCH", "/shares/alice/", self.alice, json={"user": "bob"})
        self.hub.wait_for(
            lambda: contents(self.hub, self.bob) == 403, WITHDRAWN_WITHIN, "bob refused"
        )


async def typist(editor: Editor, keystrokes: list[tuple[int, str, int | None]], seed: int):
    """Type the keystrokes (cell, character, position or None for the end) one by one, with
    0-8 ms between them, so two typists' keystrokes cross on the wire."""
    rng = random.Random(seed)
    for cell, char, at in keystrokes:
        editor.key(cell, char, at)
        await asyncio.sleep(rng.uniform(0, 0.008))


def subsequence(part: str, whole: str) -> bool:
    chars = iter(whole)
    return all(c in chars for c in part)


async def test_two_editors_converge_with_every_keystroke(team):
    hub = team
    path = "together.ipynb"
    # Given alice's notebook: a cell both edit, one each, and one where both type at the end
    put_notebook(hub, path, ["x = 0", "", "", "# notes:"])
    server = f"{hub.url}/user/alice"
    shared_a, shared_b = "alpha = 1; ", "; beta = 2  # bob typed this"
    own_a, own_b = "print('alice was here')", "print('bob was here')"
    end_a, end_b = " alice-" + "a" * 30, " bob-" + "b" * 30
    with shared_with_bob(hub):
        async with (
            Editor(server, hub.sessions["alice"][1], path) as alice,
            Editor(server, hub.sessions["bob"][1], path) as bob,
        ):
            assert bob.source(0) == "x = 0"
            # When both type at once: alice at the start of cell 0, bob at its end; each in a
            # cell of their own; both at the end of the last cell
            keys_a, keys_b = [], []
            for i, (s, o, e) in enumerate(zip_longest(shared_a, own_a, end_a)):
                keys_a += [(0, s, i)] if s else []
                keys_a += [(1, o, None)] if o else []
                keys_a += [(3, e, None)] if e else []
            for s, o, e in zip_longest(shared_b, own_b, end_b):
                keys_b += [(0, s, None)] if s else []
                keys_b += [(2, o, None)] if o else []
                keys_b += [(3, e, None)] if e else []
            await asyncio.gather(typist(alice, keys_a, 1), typist(bob, keys_b, 2))

            # Then both documents converge, with every keystroke of both in place
            expected = [shared_a + "x = 0" + shared_b, own_a, own_b]
            for editor in (alice, bob):
                await editor.until(
                    lambda e=editor: (
                        [e.source(i) for i in range(3)] == expected
                        and len(e.source(3)) == len("# notes:" + end_a + end_b)
                    ),
                    30,
                    "every keystroke",
                )
            assert alice.source(3) == bob.source(3)
            # typed at the same place at once, their keystrokes interleave, each in its order
            last = alice.source(3)
            assert last.startswith("# notes:")
            assert subsequence(end_a, last) and subsequence(end_b, last), last
            print(f"cell 3 after both typed at its end: {last!r}")
            # And the server saves the same text into the notebook file (autosave)
            hub.wait_for(
                lambda: saved_sources(hub, path) == [*expected, last], 30, "the file saved"
            )


async def test_no_edit_is_lost_when_the_shared_server_restarts(team):
    """ "Lost" here: a keystroke that reached a user's document (typed by them, or received)
    missing after the restart from either document or, after the autosave, from the file. The
    server writes every update to its YStore at once and the file after each second of quiet;
    keystrokes typed while the server is down stay in the typist's document and go out with the
    sync after reconnecting, as JupyterLab's provider sends them."""
    hub = team
    alice_token, bob_token = hub.sessions["alice"][1], hub.sessions["bob"][1]
    path = "restart.ipynb"
    put_notebook(hub, path, ["a = ''", "b = ''"])
    server = f"{hub.url}/user/alice"
    with shared_with_bob(hub):
        async with (
            Editor(server, alice_token, path) as alice,
            Editor(server, bob_token, path) as bob,
        ):
            # Given both typing in their cells; the server stops right after their last
            # keystrokes reached the other (no pause for the autosave)
            await asyncio.gather(
                typist(alice, [(0, c, None) for c in "  # before, alice"], 3),
                typist(bob, [(1, c, None) for c in "  # before, bob"], 4),
            )
            before = ["a = ''  # before, alice", "b = ''  # before, bob"]
            for editor in (alice, bob):
                await editor.until(
                    lambda e=editor: [e.source(0), e.source(1)] == before, 30, "synced"
                )
            r = hub.api("DELETE", "/users/alice/server", alice_token)
            assert r.status_code in (202, 204), r.text
            hub.wait_for(
                lambda: not hub.api("GET", "/users/alice").json()["servers"], 60, "stopped"
            )
            await alice.until(lambda: not alice.connected and not bob.connected, 30, "closed")
            # When both keep typing while it is down, and it starts again
            for c in " + offline":
                alice.key(0, c)
                bob.key(1, c)
            after_stop = [before[0] + " + offline", before[1] + " + offline"]
            hub.spawn("alice", alice_token, {"profile": "python-sql"})
            on_disk = saved_sources(hub, path)
            print(f"the file after the restart, before anyone reconnected: {on_disk}")
            took = await asyncio.gather(alice.reconnect(), bob.reconnect())
            print(f"reconnected after {max(took):.1f} s")
            # Then after reconnecting, each document has every keystroke of both
            for editor in (alice, bob):
                try:
                    await editor.until(
                        lambda e=editor: [e.source(0), e.source(1)] == after_stop,
                        30,
                        "edits before and during the restart",
                    )
                except TimeoutError:
                    pytest.fail(f"{[editor.source(0), editor.source(1)]} != {after_stop}")
            # And typing goes on, and the file gets all of it
            alice.key(0, "!")
            await bob.until(lambda: bob.source(0).endswith("offline!"), 30, "a new edit")
            final = [after_stop[0] + "!", after_stop[1]]
            hub.wait_for(lambda: saved_sources(hub, path) == final, 30, "the file saved")


@pytest.mark.browser
def test_two_users_type_run_cells_and_jump_to_each_other_in_chromium(team, browser, tmp_path):
    hub = team
    path = "pair.ipynb"
    fillers = [f"step_{i} = {i}" for i in range(3, 40)]
    put_notebook(
        hub,
        path,
        [
            "x = 0",
            "import time\ntime.sleep(3)\nprint('alice ran this')",
            "print('bob ran this')",
            *fillers,
        ],
    )
    with shared_with_bob(hub):
        a = open_notebook(browser, hub, "alice", path)
        b = open_notebook(browser, hub, "bob", path, authorize=True)
        try:
            browser_flow(a, b, tmp_path)
        except Exception:
            a.screenshot(path=str(tmp_path / "failed-alice.png"))
            b.screenshot(path=str(tmp_path / "failed-bob.png"))
            raise
        finally:
            a.context.close()
            b.context.close()


def cell(n: int) -> str:
    return f".jp-Notebook .jp-Cell >> nth={n}"


def browser_flow(a, b, tmp_path) -> None:
    # Given alice at the start of cell 0 and bob at its end
    a.click(f"{cell(0)} >> .cm-content")
    a.keyboard.press("Control+Home")
    b.click(f"{cell(0)} >> .cm-content")
    b.keyboard.press("Control+End")
    # When they type at once, keystroke for keystroke
    for ca, cb in zip_longest("alpha = 1; ", "; beta = 2"):
        if ca:
            a.keyboard.type(ca)
        if cb:
            b.keyboard.type(cb)
    # Then both see the whole text, every keystroke in place
    typed = "alpha = 1; x = 0; beta = 2"
    for page in (a, b):
        page.wait_for_function(
            "([sel, text]) => document.querySelector(sel)?.innerText === text",
            arg=[".jp-Notebook .jp-Cell .cm-content", typed],
            timeout=30_000,
        )

    # When alice runs cell 1 (3 s) and bob runs cell 2 at once, in the same kernel
    a.click(f"{cell(1)} >> .cm-content")
    a.keyboard.press("Control+Enter")
    b.click(f"{cell(2)} >> .cm-content")
    b.keyboard.press("Control+Enter")
    # Then bob's cell waits its turn ([*]), and both see both outputs
    b.wait_for_selector(f"{cell(2)} >> .jp-InputPrompt:text-is('[*]:')", timeout=10_000)
    for page in (a, b):
        page.wait_for_selector(f"{cell(1)} >> .jp-OutputArea-output:has-text('alice ran this')")
        page.wait_for_selector(f"{cell(2)} >> .jp-OutputArea-output:has-text('bob ran this')")
    # with the kernel's execution counts, in the order the kernel ran them, on both pages
    prompts = [[p.inner_text(f"{cell(n)} >> .jp-InputPrompt") for n in (1, 2)] for p in (a, b)]
    assert prompts[0] == prompts[1], prompts
    first, second = (int(re.sub(r"\D", "", t)) for t in prompts[0])
    assert second == first + 1, prompts

    # When bob moves his cursor into cell 30, far below what alice sees
    b.locator(cell(30)).scroll_into_view_if_needed()
    b.click(f"{cell(30)} >> .cm-content")
    b.keyboard.press("End")
    # and alice clicks bob in the notebook's collaborators (top right of the notebook)
    jump = a.locator(".hk-Presence-person[data-username='bob']")
    jump.wait_for(timeout=30_000)
    assert jump.get_attribute("title").startswith("Jump to ")
    a.screenshot(path=str(tmp_path / "presence-light.png"))
    jump.click()
    # Then alice's notebook shows and selects the cell where bob's cursor is
    active = a.locator(".jp-Notebook .jp-Cell.jp-mod-active")
    assert active.locator(".cm-content").inner_text() == "step_30 = 30"
    a.wait_for_function(
        """() => {
          const cell = document.querySelector('.jp-Notebook .jp-Cell.jp-mod-active');
          const view = cell.closest('.jp-WindowedPanel-outer').getBoundingClientRect();
          const box = cell.getBoundingClientRect();
          return box.top >= view.top && box.bottom <= view.bottom;
        }""",
        timeout=10_000,
    )
    use_theme(a, "JupyterLab Dark")
    a.screenshot(path=str(tmp_path / "presence-dark.png"))
    use_theme(a, "JupyterLab Light")


def put_sql_notebook(hub: HubServer, path: str) -> None:
    """alice's notebook with one SQL cell on the kernel's DuckDB, its picker's metadata set."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "%%sql_cell -c duckdb -o df\nSELECT 1 AS one",
        metadata={"hubkit": {"sql": {"connection": "duckdb", "output": "df", "limit": None}}},
    )])  # fmt: skip
    upload_notebook(hub, "alice", hub.sessions["alice"][1], path, notebook)


def bob_types_offline(bob: Editor) -> None:
    """What bob types in the SQL cell while his edits have not reached alice: the variable
    `df` becomes `totals` in the magic line, a row limit after it, a comment after the SQL."""
    source = bob.notebook.ycells[0]["source"]
    line = str(source).split("\n", 1)[0]
    at = line.index("-o df") + 3
    with bob.notebook.ydoc.transaction():
        del source[at : at + 2]
        source.insert(at, "totals")
    source.insert(len(line) + len("totals") - 2, " -l 100")
    source.insert(len(str(source)), "  -- bob")


def off_the_page(work) -> None:
    """Run the coroutine function on its own event loop in a thread: Playwright's sync API
    holds this thread's loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(work())).result()


@pytest.mark.browser
def test_a_sql_cell_edited_by_two_people_converges(team, browser, tmp_path):
    hub = team
    path = "together-sql.ipynb"
    server = f"{hub.url}/user/alice"
    # Given alice's SQL cell on DuckDB, her personal connection "notes", bob let in
    put_sql_notebook(hub, path)
    notes = tmp_path / "notes.db"
    sqlite3.connect(notes).close()
    r = requests.post(
        f"{server}/hubkit-lab/connections",
        json={"name": "notes", "url": f"sqlite:///{notes}"},
        headers={"Authorization": f"token {hub.sessions['alice'][1]}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    bob = Editor(server, hub.sessions["bob"][1], path)

    async def bob_edits() -> None:
        await bob.connect()
        await bob.disconnect()
        bob_types_offline(bob)

    expected = {"connection": "notes", "output": "totals", "limit": 100}

    def metadata() -> dict:
        return bob.notebook.ycells[0]["metadata"].to_py().get("hubkit", {}).get("sql", {})

    async def bob_syncs() -> None:
        await bob.reconnect()
        await bob.until(lambda: metadata() == expected, 30, "the metadata of both changes")
        await bob.disconnect()

    with shared_with_bob(hub):
        a = open_notebook(browser, hub, "alice", path)
        with closed_after(tmp_path, alice=a):
            a.wait_for_selector(".hk-SqlCell-connection select option[value='notes']",
                                state="attached", timeout=60_000)  # fmt: skip
            # When bob changes the variable and the limit, and alice the connection in her
            # picker, neither seeing the other's change yet
            off_the_page(bob_edits)
            a.select_option(".hk-SqlCell-connection select", "notes")
            a.wait_for_function(
                "() => document.querySelector('.jp-Cell .cm-line').textContent.includes('-c notes')"
            )
            off_the_page(bob_syncs)
            # Then both have one magic line with both changes, the same source, and the
            # picker's metadata saying what the line says
            line = "%%sql_cell -c notes -o totals -l 100"
            source = str(bob.notebook.ycells[0]["source"])
            assert source == f"{line}\nSELECT 1 AS one  -- bob", source
            a.wait_for_function(
                "text => document.querySelector('.jp-Cell .cm-content').innerText === text",
                arg=source,
            )
            assert a.input_value(".hk-SqlCell-output") == "totals"
            assert a.input_value(".hk-SqlCell-limit") == "100"
            assert a.input_value(".hk-SqlCell-connection select") == "notes"
            a.screenshot(path=str(tmp_path / "sql-together.png"))
