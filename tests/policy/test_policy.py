"""Tests for the hub policy (hub/policy.yaml): its schema and checks, and the hub reading it."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from hubkit.policy import PolicyError, load_policy
from tests import ROOT

from ..utils import edit_yaml, load_hub_config

SHIPPED = ROOT / "hub" / "policy.yaml"
SHOW = """
spawner = c.Spawner
print(json.dumps({"sizes": spawner.sizes, "group_sizes": spawner.group_sizes,
                  "groups": sorted(c.JupyterHub.load_groups), "roles": c.JupyterHub.load_roles}))
"""


def edited(tmp_path, change: Callable[[dict[str, Any]], Any]):
    return edit_yaml(SHIPPED, change, tmp_path / "policy.yaml")


def test_the_shipped_policy_configures_sizes_groups_and_least_privilege_roles(tmp_path):
    # Given the shipped policy and a hub with a metrics token
    policy = load_policy(SHIPPED)
    # When JupyterHub loads the hub configuration
    (tmp_path / "i.json").write_text("{}")
    result = load_hub_config(
        tmp_path, SHOW, HUBKIT_IMAGES=str(tmp_path / "i.json"), HUBKIT_METRICS_TOKEN="m" * 64
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    # Then the spawner offers the policy's sizes, and its groups' sizes to their members
    assert loaded["sizes"] == policy.sizes
    assert loaded["group_sizes"]["power-users"]["large"]["mem_limit"] == "8G"
    assert loaded["groups"] == ["data-stewards", "gpu-users", "monitoring", "power-users"]
    # And each running service holds a role of its own with the policy's scopes, never admin
    roles = {r["name"]: r for r in loaded["roles"]}
    assert roles["idle-culler"]["services"] == ["idle-culler"]
    assert roles["metrics"]["scopes"] == ["read:metrics"]
    assert "account-culler" not in roles  # HUBKIT_CULL_USERS_AFTER unset: not running
    assert roles["monitoring"]["groups"] == ["monitoring"]
    # And every user may share their servers, pick people by name and use the AI gateway,
    # nothing more (the policy's `user` role replaces JupyterHub's, so the gateway's scope must
    # be in it: JupyterHub ignores extra_user_scopes then)
    assert roles["user"]["scopes"] == [
        "self",
        "shares!user",
        "read:users:name",
        "list:users",
        "read:groups:name",
        "list:groups",
        "access:services!service=ai-gateway",
    ]
    assert "groups" not in roles["user"]
    assert not any(
        s == "admin" or s.startswith("admin:")
        for r in roles.values()
        for s in r["scopes"]
        if r["name"] != "account-culler"
    )


@pytest.mark.parametrize(
    "change, entry, message",
    [
        (
            lambda d: d["sizes"]["small"].update(cpu_limit=-1),
            "sizes.small.cpu_limit",
            "less than or equal to the minimum of 0",
        ),
        (
            lambda d: d["sizes"]["small"].update(mem_limit="2 gigabytes"),
            "sizes.small.mem_limit",
            "is not valid",
        ),
        (
            lambda d: d["sizes"]["small"].update(image="evil/image"),
            "sizes.small",
            "'image' was unexpected",
        ),
        (
            lambda d: d["roles"]["monitoring"].update(groups=["auditors"]),
            "roles.monitoring.groups[0]",
            "unknown group 'auditors'",
        ),
        (
            lambda d: d["roles"]["monitoring"]["scopes"].append("read:everything"),
            "roles.monitoring.scopes[10]",
            "unknown scope 'read:everything'",
        ),
        (
            lambda d: d["services"]["idle-culler"]["scopes"].append("delete:everything"),
            "services.idle-culler.scopes[4]",
            "unknown scope 'delete:everything'",
        ),
        (
            lambda d: d["sizes"]["medium"].update(default=True),
            "sizes",
            "only one size may be the default",
        ),
        (
            lambda d: d["groups"]["power-users"]["sizes"].update(small={"display_name": "S"}),
            "groups.power-users.sizes",
            "already name sizes for all",
        ),
        (
            lambda d: d.update(connections={"wh": {"url": "postgresql://u:pw@db/wh"}}),
            "connections.wh.url",
            "holds a password: put it in stack.env",
        ),
        (
            lambda d: d.update(
                connections={"wh": {"url": "postgresql://u@db/wh", "groups": ["x"]}}
            ),
            "connections.wh.groups[0]",
            "unknown group 'x'",
        ),
        (
            lambda d: d.update(connections={"wh; DROP": {"url": "sqlite://"}}),
            "connections",
            "does not match",
        ),
        (
            lambda d: d["roles"].update(admin={"scopes": ["self"]}),
            "roles.admin",
            "admin role cannot be changed",
        ),
        (
            lambda d: d.update(lab_token_scopes=["shares!server", "share:everything"]),
            "lab_token_scopes[1]",
            "unknown scope 'share:everything'",
        ),
        (
            lambda d: d.update(connections={"wh": {"url": "not a url"}}),
            "connections.wh.url",
            "not a SQLAlchemy URL",
        ),
        (
            lambda d: d.update(projects={"Team A": {"display_name": "A"}}),
            "projects",
            "'Team A' does not match",
        ),
        (
            lambda d: d.update(projects={"a": {"display_name": "A", "groups": ["x"]}}),
            "projects.a.groups[0]",
            "unknown group 'x'",
        ),
        (
            lambda d: d.update(projects={"a": {"display_name": "A", "users": ["project-b"]}}),
            "projects.a.users[0]",
            "'project-b' is a project's account, not a person",
        ),
        (
            lambda d: d.update(projects={"a": {"users": ["alice"]}}),
            "projects.a",
            "'display_name' is a required property",
        ),
        (
            lambda d: (
                d["groups"].update({"project-a": None}),
                d.update(projects={"a": {"display_name": "A"}}),
            ),
            "projects.a",
            "the policy has a group 'project-a' already",
        ),
    ],
)
def test_a_wrong_entry_is_named_with_its_file(tmp_path, change, entry, message):
    path = edited(tmp_path, change)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}: {entry}: "), str(info.value)
    assert message in str(info.value)


def test_a_projects_members_get_one_role_with_least_privilege_on_its_server(tmp_path):
    # Given a policy with a shared project
    project = {"display_name": "Analytics", "users": ["alice"], "groups": ["power-users"]}
    path = edited(tmp_path, lambda d: d.update(projects={"analytics": project}))
    (tmp_path / "i.json").write_text("{}")
    # When JupyterHub loads the hub configuration
    result = load_hub_config(
        tmp_path, SHOW, HUBKIT_IMAGES=str(tmp_path / "i.json"), HUBKIT_POLICY=str(path)
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    # Then the project's group exists from the start and holds a role of the same name that
    # reaches the project's account and nothing else
    assert "project-analytics" in loaded["groups"]
    roles = {r["name"]: r for r in loaded["roles"]}
    assert roles["project-analytics"]["groups"] == ["project-analytics"]
    assert roles["project-analytics"]["scopes"] == [
        "access:servers!user=project-analytics",
        "servers!user=project-analytics",
        "read:users:name!user=project-analytics",
    ]


def test_the_hub_does_not_start_with_a_wrong_policy_and_says_where(tmp_path):
    # Given a policy whose role names a scope JupyterHub does not have
    path = edited(tmp_path, lambda d: d["roles"]["monitoring"]["scopes"].append("read:all"))
    (tmp_path / "i.json").write_text("{}")
    # When the hub loads its configuration
    result = load_hub_config(
        tmp_path, SHOW, HUBKIT_IMAGES=str(tmp_path / "i.json"), HUBKIT_POLICY=str(path)
    )
    # Then it stops with one line naming the file, the entry and the problem
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"hub policy: {path}: roles.monitoring.scopes[10]: unknown scope 'read:all'"
    )


def test_a_shared_connections_password_must_be_in_the_environment(tmp_path):
    # Given a policy sharing a connection whose password is in WAREHOUSE_PASSWORD
    path = edited(
        tmp_path,
        lambda d: d.update(
            connections={
                "warehouse": {
                    "url": "postgresql+psycopg://analyst@db.lan/wh",
                    "password_env": "WAREHOUSE_PASSWORD",
                    "groups": ["power-users"],
                }
            }
        ),
    )
    (tmp_path / "i.json").write_text("{}")
    # When the hub starts without that variable
    result = load_hub_config(
        tmp_path, SHOW, HUBKIT_IMAGES=str(tmp_path / "i.json"), HUBKIT_POLICY=str(path)
    )
    # Then it stops with one line naming the variable
    assert result.returncode != 0
    assert "connections need WAREHOUSE_PASSWORD: add them to stack.env" in result.stderr
    assert "Traceback" not in result.stderr
    # And with it, the spawner learns the connection without its password
    result = load_hub_config(
        tmp_path,
        "print(json.dumps(c.Spawner.shared_connections))",
        HUBKIT_IMAGES=str(tmp_path / "i.json"),
        HUBKIT_POLICY=str(path),
        WAREHOUSE_PASSWORD="s3cret-pw",
    )
    assert result.returncode == 0, result.stderr
    shared = json.loads(result.stdout)["warehouse"]
    assert shared["url"] == "postgresql+psycopg://analyst@db.lan/wh"
    assert "s3cret-pw" not in result.stdout


def test_a_missing_or_unreadable_policy_is_one_line(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("sizes: [\n")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(tmp_path / "bad.yaml")


def test_the_server_token_keeps_the_policys_server_role_and_gets_the_gateway(tmp_path):
    script = "print(json.dumps(c.Spawner.server_token_scopes))"
    (tmp_path / "i.json").write_text("{}")
    # Given the shipped policy (no `server` role): JupyterHub's default one and the gateway
    result = load_hub_config(tmp_path, script, HUBKIT_IMAGES=str(tmp_path / "i.json"))
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(result.stdout)) == [
        "access:servers!server",
        "access:services!service=ai-gateway",
        "users:activity!user",
    ]
    # Given a policy whose `server` role may also read the user's groups, that too
    path = edited(
        tmp_path,
        lambda d: d["roles"].update(
            server={
                "description": "Activity and groups",
                "scopes": [
                    "users:activity!user",
                    "access:servers!server",
                    "read:users:groups!user",
                ],
            }
        ),
    )
    result = load_hub_config(
        tmp_path, script, HUBKIT_IMAGES=str(tmp_path / "i.json"), HUBKIT_POLICY=str(path)
    )
    assert result.returncode == 0, result.stderr
    assert "read:users:groups!user" in json.loads(result.stdout)
    assert "access:services!service=ai-gateway" in json.loads(result.stdout)
