"""The welcome notebook opens by itself once: GET /hubkit-lab/welcome names it while it was
copied into the home (hubkit's `copy_welcome`, at the server's first start) and not opened yet;
POST records that JupyterLab opened it, so a reload or a later login does not open it again.

Both markers live in the home under ~/.local/state/hubkit: `welcome-copied` (written by hubkit's
welcome.py, one copied file per line; hubkit is not installed in the server's environment, so
the path is named here too) and `welcome-opened` (written here).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

STATE = Path(".local", "state", "hubkit")
COPIED, OPENED = STATE / "welcome-copied", STATE / "welcome-opened"


def welcome_to_open(home: Path) -> str | None:
    """The first copied notebook still in the home, unless the welcome was opened already."""
    if (home / OPENED).exists() or not (home / COPIED).is_file():
        return None
    for name in (home / COPIED).read_text().splitlines():
        if name.endswith(".ipynb") and (home / name).is_file():
            return name
    return None


class WelcomeHandler(APIHandler):
    """GET: {"path": the notebook to open, or null}. POST: it was opened."""

    auth_resource = "hubkit-lab"

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.finish(json.dumps({"path": welcome_to_open(Path.home())}))

    @web.authenticated
    @authorized
    def post(self) -> None:
        opened = Path.home() / OPENED
        opened.parent.mkdir(parents=True, exist_ok=True)
        opened.touch()
        self.set_status(204)
        self.finish()


def welcome_routes() -> list[tuple[str, Any]]:
    return [("welcome", WelcomeHandler)]
