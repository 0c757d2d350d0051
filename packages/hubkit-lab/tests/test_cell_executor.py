"""hubkit-lab's cell executor in headless Chromium (kernel_wait_flow.py): a cell run while a new
notebook's kernel is still being started waits for it and runs, where JupyterLab's own executor
dropped the run without a word (it cleared the cell and moved on)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from lab_servers import jupyter_server
from test_sql_browser import playwright_python, run_flow

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# A server that takes 4 s to create a session (a busy one takes that long, or more): the
# window in which the notebook is open and its kernel not there yet ("Initializing").
SLOW_SESSIONS = """
import asyncio

from jupyter_server.services.sessions.sessionmanager import SessionManager

create_session = SessionManager.create_session


async def slow_create_session(self, *args, **kwargs):
    await asyncio.sleep(4)
    return await create_session(self, *args, **kwargs)


SessionManager.create_session = slow_create_session
"""


def test_a_cell_run_before_the_kernel_is_there_runs_once_it_comes(tmp_path: Path) -> None:
    python = playwright_python()
    # Given a notebook with one cell, on a server slow to start a notebook's kernel
    home = tmp_path / "home"
    home.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, home / "slow.ipynb")
    config = tmp_path / "slow_sessions.py"
    config.write_text(SLOW_SESSIONS)
    with jupyter_server(home, f"--config={config}", app="jupyterlab") as server:
        # When the user opens it and presses Shift+Enter at once
        result = run_flow(python, "kernel_wait_flow.py", server.url, 180)
    seen = result["seen"]
    # Then the kernel was not there yet when they pressed
    assert seen["status_at_press"].endswith("| Initializing"), seen
    # And the cell showed it was waiting, as for a busy kernel
    assert seen["prompt_while_waiting"] == "[*]:", seen
    # And it ran once the kernel came: its output, and the first execution count
    assert seen["output"].strip() == "42" and seen["prompt"] == "[1]:", seen
