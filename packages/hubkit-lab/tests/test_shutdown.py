"""Tests for stopping a server while a notebook is open in a browser (hubkit_lab.shutdown)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
import websocket
from lab_servers import TOKEN, jupyter_server

pytestmark = pytest.mark.slow

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "first",
            "metadata": {},
            "outputs": [],
            "source": "6 * 7",
        }
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}
# A server stopped by the hub that takes longer than this is killed by it (and the user waits)
PROMPT = 10.0


def seconds_to_exit_with_a_notebook_open(home: Path, *args: str) -> float | None:
    """Start a server, open a notebook in a collaboration room as JupyterLab does, stop the
    server with SIGTERM (as the hub does) while the room's websocket is open: the seconds it
    took to exit, or None if it was still running after PROMPT seconds."""
    home.mkdir(parents=True)
    (home / "notebook.ipynb").write_text(json.dumps(NOTEBOOK))
    with jupyter_server(home, *args) as server:
        auth = {"Authorization": f"token {TOKEN}"}
        session = requests.put(
            f"{server.url}/api/collaboration/session/notebook.ipynb",
            json={"format": "json", "type": "notebook"},
            headers=auth,
            timeout=30,
        )
        session.raise_for_status()
        room = "json:notebook:{fileId}?sessionId={sessionId}".format(**session.json())
        ws = websocket.create_connection(
            f"{server.url.replace('http', 'ws')}/api/collaboration/room/{room}",
            header=[f"Authorization: token {TOKEN}"],
            timeout=30,
        )
        try:
            ws.send_binary(bytes([0, 0, 1, 0]))  # Yjs sync step 1: "send me the document"
            assert ws.recv(), "the room sent nothing"
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=PROMPT)
            except subprocess.TimeoutExpired:
                server.process.kill()  # as the hub does after its timeout
                return None
            return time.monotonic() - started
        finally:
            ws.close()


def test_a_server_with_a_notebook_open_exits_promptly(tmp_path: Path) -> None:
    # Given a server (hubkit_lab's defaults) with a notebook open in a collaboration room
    # When the hub stops it while the browser still holds the room's websocket
    took = seconds_to_exit_with_a_notebook_open(tmp_path / "home")
    # Then it exits at once, instead of waiting forever for AnyIO's worker threads
    assert took is not None, f"still running {PROMPT} s after SIGTERM"
    assert took < PROMPT


def test_without_the_exit_hook_the_server_hangs(tmp_path: Path) -> None:
    # Given the same server with the exit hook turned off
    # When the hub stops it while a notebook is open
    took = seconds_to_exit_with_a_notebook_open(
        tmp_path / "home", "--HubkitLab.stop_anyio_workers_at_exit=False"
    )
    # Then it does not exit: the hook is still needed. When this fails, the installed
    # jupyter-collaboration has the fix (PR #546): drop hubkit_lab.shutdown and its option.
    assert took is None, f"exited in {took:.1f} s without the hook"
