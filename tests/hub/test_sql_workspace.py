"""The SQL workspace through the real hub, in headless Chromium: a user logs in, creates a personal
connection in the Databases panel, turns a cell into SQL, completes a table, runs it, inserts a
table from the schema browser and uses the result in Python; a connection the admin shares with a
group appears for its member and not for another user."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys

import nbformat
import pytest
import requests

from tests import ROOT

from ..browser import log_in
from ..hubserver import HubServer
from ..utils import edit_yaml

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FLOW = ROOT / "packages" / "hubkit-lab" / "tests" / "browser_flow.py"


def make_shop(path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY,"
            " customer_id INTEGER REFERENCES customers (id), amount NUMERIC);"
            "INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');"
            "INSERT INTO orders VALUES (1, 1, 120.5), (2, 1, 10), (3, 2, 300);"
        )


def upload_notebook(
    hub: HubServer, username: str, token: str, source: str = "", name: str = "demo.ipynb"
) -> None:
    """A notebook with one Python cell in the user's home."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    r = requests.put(
        f"{hub.url}/user/{username}/api/contents/{name}",
        data=json.dumps({"type": "notebook", "content": notebook}),
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    r.raise_for_status()


def test_sql_workspace_through_the_hub(tmp_path, catalog, layout, available_profiles, browser):
    # Given a hub that shares a database with power-users; alice is one, bob is not
    policy = tmp_path / "policy.yaml"
    make_shop(tmp_path / "team.db")
    make_shop(tmp_path / "shop.db")
    edit_yaml(
        ROOT / "hub" / "policy.yaml",
        lambda d: d.update(
            connections={
                "teamdb": {"url": f"sqlite:///{tmp_path / 'team.db'}", "groups": ["power-users"]}
            }
        ),
        policy,
    )
    (tmp_path / "hub").mkdir()
    with HubServer(tmp_path / "hub", catalog, layout, HUBKIT_POLICY=str(policy)) as hub:
        alice_password, bob_password = "alice-Long-pass-1", "bob-Long-pass-12"
        _, alice = hub.add_account("alice", alice_password, groups=("power-users",))
        _, bob = hub.add_account("bob", bob_password)
        for name, token in (("alice", alice), ("bob", bob)):
            hub.spawn(name, token, {"profile": "python-sql"})
        upload_notebook(hub, "alice", alice)
        # When alice goes through the SQL workspace in her JupyterLab, logged in on the hub
        flow = subprocess.run(
            [
                sys.executable, FLOW, f"{hub.url}/user/alice", "-",
                "--login", f"alice:{alice_password}",
                "--create", f"sqlite:///{tmp_path / 'shop.db'}",
                "--expect-shared", "teamdb",
            ],
            capture_output=True, text=True, timeout=400, check=False,
        )  # fmt: skip
        # Then every step passed, down to the result used in a Python cell
        assert flow.stdout.strip(), flow.stderr[-2000:]
        result = json.loads(flow.stdout.strip().splitlines()[-1])
        assert result["error"] is None, result
        assert result["steps"][-1] == "kernel-frames", result
        assert {"created", "shared", "completion", "run", "inserted"} <= set(result["steps"])
        # And her connection is in her home only, readable by her alone, without the notebook
        saved = tmp_path / "hub" / "homes" / "alice" / ".config" / "hubkit" / "connections.json"
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        assert "shop" in json.loads(saved.read_text())
        # And bob's Databases panel lists the built-in DuckDB, not the team's database
        page = browser.new_context().new_page()
        log_in(page, hub.url, "bob", bob_password)
        page.wait_for_url(lambda url: "/hub/login" not in url)
        page.goto(f"{hub.url}/user/bob/lab?reset")
        page.click(".jp-SideBar [data-id='hubkit-lab-databases']", timeout=120_000)
        page.wait_for_selector(".hk-Databases-label:text-is('duckdb')", timeout=60_000)
        labels = page.locator(".hk-Databases-connection > .hk-Databases-row").all_inner_texts()
        assert not any("teamdb" in label for label in labels), labels
