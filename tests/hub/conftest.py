"""Fixtures for the hub tests.

- hostile_cases: counts the hostile-input cases (`with hostile_cases.case(): ...`, one per
  request or Hypothesis example); the run's terminal summary says how many ran and passed
  (tests/tally.py).
- team: one hub for the sharing, collaboration and history tests (the package-scoped
  `team_hub`): alice's server runs, bob, carol and dave may be let in. Each test starts with
  alice's server shared with nobody: no user or group share, no share code.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from ..hubserver import HubServer
from ..tally import HOSTILE, CaseTally


@pytest.fixture(scope="session")
def hostile_cases() -> CaseTally:
    return HOSTILE


# Display names given at signup (bob and dave give none)
DISPLAY_NAMES = {"alice": "Alice Liddell", "carol": "Carol Ann"}


@pytest.fixture(scope="package")
def team_hub(tmp_path_factory, catalog, layout, available_profiles):
    """A hub with alice's server running; bob, dave and carol (in power-users) have none.
    Passwords are `<name>-Pass-12345`."""
    with HubServer(tmp_path_factory.mktemp("sharing"), catalog, layout) as hub:
        hub.sessions = {}
        for name, groups in (("alice", ()), ("bob", ()), ("carol", ("power-users",)), ("dave", ())):
            hub.sessions[name] = hub.add_account(
                name, f"{name}-Pass-12345", groups, DISPLAY_NAMES.get(name, "")
            )
        hub.spawn("alice", hub.sessions["alice"][1], {"profile": "python-sql"})
        yield hub


@pytest.fixture
def team(team_hub: HubServer) -> HubServer:
    """team_hub with alice's server shared with nobody, whatever an earlier test left."""
    alice = team_hub.sessions["alice"][1]
    team_hub.api("DELETE", "/shares/alice/", alice).raise_for_status()
    team_hub.api("DELETE", "/share-codes/alice/", alice).raise_for_status()
    return team_hub
