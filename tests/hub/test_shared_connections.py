"""Tests for database connections the admin shares (hub policy `connections`): only granted
users' servers get them, with the password from the hub's environment."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import io
import json
import tarfile

import pytest

from tests import ROOT

from ..hubserver import HubServer
from ..utils import edit_yaml
from .test_docker_config import client, make_spawner  # noqa: F401 (the fixture)

SHARED = {
    "warehouse": {
        "url": "postgresql+psycopg://analyst@db.lan:5432/wh",
        "description": "The team's warehouse",
        "password_env": "TEST_WAREHOUSE_PASSWORD",
        "users": [],
        "groups": ["power-users"],
    },
    "lookup": {"url": "sqlite:////srv/lookup.db", "users": ["alice"], "groups": []},
}


def shared_env(spawner) -> dict:
    """The connections a Docker server gets: the file its container is given before it starts
    (the environment only names it)."""
    spawner.apply_profile_options({"profile": "python-sql"})
    before = len(spawner.client.archives)
    created = asyncio.run(spawner.create_object())
    env = spawner.environment
    assert "HUBKIT_SHARED_CONNECTIONS" not in env
    archives = [a for a in spawner.client.archives[before:] if a[0] == created["Id"]]
    if "HUBKIT_SHARED_CONNECTIONS_FILE" not in env:
        assert archives == []
        return {}
    [(_, parent, data)] = archives
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        path = env["HUBKIT_SHARED_CONNECTIONS_FILE"]
        member = members[path.removeprefix(parent + "/")]
        # readable by the server's user (jovyan) alone, in a folder only it can open
        assert (member.mode, member.uid) == (0o400, 1000)
        assert (members[member.name.rsplit("/", 1)[0]].mode, member.uid) == (0o500, 1000)
        return json.loads(tar.extractfile(member).read())


@pytest.mark.usefixtures("client")
def test_granted_users_get_the_connection_with_its_password_and_others_nothing(
    catalog, monkeypatch
):
    monkeypatch.setenv("TEST_WAREHOUSE_PASSWORD", "s3cret/pw")
    # Given a member of power-users, alice (named), and bob (neither)
    member = make_spawner(catalog, groups=["power-users"])
    member.user.name = "carol"
    member.shared_connections = SHARED
    alice = make_spawner(catalog)
    alice.shared_connections = SHARED
    bob = make_spawner(catalog)
    bob.user.name = "bob"
    bob.shared_connections = SHARED
    # When each one's server is configured
    # Then the member gets the warehouse with the password from the hub's environment
    got = shared_env(member)
    assert list(got) == ["warehouse"]
    assert got["warehouse"]["url"] == "postgresql+psycopg://analyst:s3cret%2Fpw@db.lan:5432/wh"
    assert got["warehouse"]["description"] == "The team's warehouse"
    # And alice the connection granted to her by name, bob none at all
    assert list(shared_env(alice)) == ["lookup"]
    assert shared_env(bob) == {}


LIST = (
    "from hubkit_kernel.sql import list_connections\n"
    "print(sorted((c.name, c.kind) for c in list_connections()))"
)


@pytest.mark.slow
async def test_a_shared_connection_reaches_only_granted_users_kernels(
    tmp_path, catalog, layout, available_profiles
):
    # Given a hub whose policy shares a SQLite database with power-users
    policy = tmp_path / "policy.yaml"
    database = tmp_path / "shared.db"
    edit_yaml(
        ROOT / "hub" / "policy.yaml",
        lambda d: d.update(
            connections={"teamdb": {"url": f"sqlite:///{database}", "groups": ["power-users"]}}
        ),
        policy,
    )
    (tmp_path / "hub").mkdir()
    with HubServer(tmp_path / "hub", catalog, layout, HUBKIT_POLICY=str(policy)) as hub:
        _, alice = hub.add_account("alice", groups=("power-users",))
        _, bob = hub.add_account("bob")
        for name, token in (("alice", alice), ("bob", bob)):
            hub.spawn(name, token, {"profile": "python-sql"})
        # When each lists the connections in a Python kernel of their server
        seen = {
            name: await hub.execute(name, token, "python3", LIST)
            for name, token in (("alice", alice), ("bob", bob))
        }
    # Then alice's kernel has the shared connection, bob's does not
    assert "('teamdb', 'shared')" in seen["alice"], seen
    assert "teamdb" not in seen["bob"], seen
