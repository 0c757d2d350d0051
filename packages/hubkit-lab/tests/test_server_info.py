"""Tests for GET /hubkit-lab/server, which the status bar item shows (hubkit_lab.handlers)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_servers import Server, jupyter_server

pytestmark = pytest.mark.slow

SPAWNED = {  # what the hub sets for a server of the Python & SQL profile, size Small
    "HUBKIT_PROFILE": "python-sql",
    "HUBKIT_PROFILE_NAME": "Python & SQL",
    "HUBKIT_SIZE": "small",
    "HUBKIT_SIZE_NAME": "Small",
    "CPU_LIMIT": "1.0",
    "MEM_LIMIT": str(2 * 1024**3),
}


@pytest.fixture(scope="module")
def spawned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with jupyter_server(tmp_path_factory.mktemp("spawned"), env=SPAWNED) as server:
        yield server


def test_without_the_token_nothing_is_told(spawned: Server) -> None:
    # Given a server started by the hub
    # When a client without the token asks which profile it runs
    r = spawned.get("/hubkit-lab/server", token=False)
    # Then it is refused (403, or a redirect to the login page), and told nothing
    assert r.status_code in (302, 403)
    assert b"python-sql" not in r.content and b"Small" not in r.content


def test_with_the_token_the_profile_and_size_are_told(spawned: Server) -> None:
    # Given a server started by the hub with its profile, size and limits in its environment
    # When the status bar item asks which profile it runs
    r = spawned.get("/hubkit-lab/server")
    # Then it gets them as JSON, the limits as numbers (CPUs, bytes)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {
        "profile": "python-sql",
        "profile_name": "Python & SQL",
        "size": "small",
        "size_name": "Small",
        "cpu_limit": 1.0,
        "mem_limit": 2 * 1024**3,
    }


def test_a_server_not_started_by_the_hub_tells_nulls(tmp_path: Path) -> None:
    # Given a server started by hand: no profile, size or limits in its environment
    with jupyter_server(tmp_path) as server:
        # When the status bar item asks which profile it runs
        r = server.get("/hubkit-lab/server")
    # Then every value is null (the item then shows nothing)
    assert r.status_code == 200
    assert r.json() == {
        "profile": None,
        "profile_name": None,
        "size": None,
        "size_name": None,
        "cpu_limit": None,
        "mem_limit": None,
    }
