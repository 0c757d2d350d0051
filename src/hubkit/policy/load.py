"""Load and check the hub policy: the schema first, then what the schema cannot say (one
default size, groups that roles name, scopes JupyterHub knows).

The policy is the admin's data (sizes, groups, roles, the scopes of the hub's services), kept
out of jupyterhub_config.py so it is reviewed and changed like the catalog; the hub reads it
at start and stops with one line naming the file and the entry when it is wrong.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..datafile import DataFileError, read_yaml, validate

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")
# Where the hub finds the policy: HUBKIT_POLICY, else hub/policy.yaml of the project folder.
VARIABLE = "HUBKIT_POLICY"

Size = dict[str, Any]


class PolicyError(DataFileError):
    """A malformed hub policy: `str()` names file, entry and problem."""


@dataclass(frozen=True)
class Group:
    name: str
    description: str = ""
    sizes: dict[str, Size] = field(default_factory=dict)


@dataclass(frozen=True)
class Role:
    """A JupyterHub role: its scopes, and the groups or the hub service holding it."""

    name: str
    scopes: tuple[str, ...]
    description: str = ""
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class SharedConnection:
    """A database connection the admin shares with some users' servers. The URL carries no
    password: that comes from the hub's environment (stack.env), named by `password_env`."""

    name: str
    url: str
    description: str = ""
    password_env: str | None = None
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    @classmethod
    def from_entry(cls, name: str, entry: Mapping[str, Any]) -> SharedConnection:
        """From the policy's entry (or the spawner's `shared_connections`, which hold the
        same keys)."""
        return cls(
            name,
            entry["url"],
            entry.get("description", ""),
            entry.get("password_env") or None,
            tuple(entry.get("users", ())),
            tuple(entry.get("groups", ())),
        )

    def entry(self) -> dict[str, Any]:
        """The policy's entry for this connection (no password: there is none here)."""
        return {k: v for k, v in asdict(self).items() if k != "name"}

    def granted(self, user: str, groups: set[str]) -> bool:
        return user in self.users or bool(groups & set(self.groups))

    def full_url(self, password: str) -> str:
        """The URL with the password (read by the hub from `password_env`)."""
        from sqlalchemy.engine import make_url

        if not self.password_env:
            return self.url
        return make_url(self.url).set(password=password).render_as_string(hide_password=False)


# The account, group and role of a shared project: `project-<name>`. No one may sign up with
# the prefix (hubkit.hub.credentials), so the account is the project's alone.
PROJECT_PREFIX = "project-"


@dataclass(frozen=True)
class Project:
    """A shared project: an account with its own server and home that members open with their
    own identity (JupyterHub's collaboration accounts), members being users and groups' users."""

    name: str
    display_name: str
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    profile: str = ""

    @property
    def account(self) -> str:
        """The project's account, group and role name."""
        return PROJECT_PREFIX + self.name

    def scopes(self) -> list[str]:
        """What members may do, and no more: open the project's server (`access:servers`),
        start and stop it and see its state (`servers`, which includes `read:servers`), and
        read the account's name (the home page's link)."""
        only = f"!user={self.account}"
        return [f"access:servers{only}", f"servers{only}", f"read:users:name{only}"]

    def role(self) -> dict[str, Any]:
        """JupyterHub's role for the project's members, bound to the project's group."""
        return {
            "name": self.account,
            "description": f"Members of the shared project {self.display_name!r}.",
            "scopes": self.scopes(),
            "groups": [self.account],
        }


LIMIT_KEYS = ("requests_per_minute", "monthly_tokens", "monthly_usd")


@dataclass(frozen=True)
class AIPolicy:
    """The AI gateway's part of the policy: the models offered and the limits.

    A user's limit is their own entry's, else the most generous of their groups', else
    everyone's (`limits`); a limit set nowhere is no limit.
    """

    models: tuple[str, ...] = ()
    default_model: str = ""
    limits: dict[str, float] = field(default_factory=dict)
    groups: dict[str, dict[str, float]] = field(default_factory=dict)
    users: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any] | None) -> AIPolicy:
        entry = entry or {}
        models = tuple(entry.get("models", ()))
        return cls(
            models,
            entry.get("default_model") or (models[0] if models else ""),
            dict(entry.get("limits") or {}),
            {k: dict(v or {}) for k, v in (entry.get("groups") or {}).items()},
            {k: dict(v or {}) for k, v in (entry.get("users") or {}).items()},
        )

    def limits_for(self, user: str, groups: set[str]) -> dict[str, float]:
        """The user's limits: key -> value, absent when unlimited."""
        out: dict[str, float] = {}
        own = self.users.get(user, {})
        for key in LIMIT_KEYS:
            if key in own:
                out[key] = own[key]
                continue
            from_groups = [self.groups[g][key] for g in groups if key in self.groups.get(g, {})]
            if from_groups:
                out[key] = max(from_groups)
            elif key in self.limits:
                out[key] = self.limits[key]
        return out


@dataclass(frozen=True)
class HubPolicy:
    path: Path
    sizes: dict[str, Size]
    groups: dict[str, Group]
    roles: dict[str, Role]
    services: dict[str, Role]  # service name -> its role (same name)
    connections: dict[str, SharedConnection] = field(default_factory=dict)
    ai: AIPolicy = field(default_factory=AIPolicy)
    lab_token_scopes: tuple[str, ...] = ()
    projects: dict[str, Project] = field(default_factory=dict)

    def group_sizes(self) -> dict[str, dict[str, Size]]:
        """Group name -> the extra sizes its members may choose."""
        return {name: dict(g.sizes) for name, g in self.groups.items() if g.sizes}

    def load_roles(
        self, services: list[str], user_scopes: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """JupyterHub's `load_roles`: the policy's roles, and one role per running service.
        `user_scopes` join the `user` role: a `user` role here replaces JupyterHub's default
        one, and with it JupyterHub's `extra_user_scopes`."""
        roles = [
            {
                "name": r.name,
                "description": r.description,
                "scopes": list(r.scopes),
                **({"groups": list(r.groups)} if r.groups else {}),
            }
            for r in self.roles.values()
        ]
        for name in services:
            role = self.services[name]
            roles.append(
                {
                    "name": name,
                    "description": role.description,
                    "scopes": list(role.scopes),
                    "services": [name],
                }
            )
        roles += [project.role() for project in self.projects.values()]
        if user_scopes:
            user = next((r for r in roles if r["name"] == "user"), None)
            if user is None:
                user = {"name": "user", "scopes": ["self"]}
                roles.append(user)
            user["scopes"] += [s for s in user_scopes if s not in user["scopes"]]
        return roles


def default_policy_path(project_root: Path) -> Path:
    return Path(os.environ.get(VARIABLE) or project_root / "hub" / "policy.yaml")


def load_policy(path: Path) -> HubPolicy:
    """Read and check the policy; PolicyError naming the file and entry on the first problem."""
    data = read_yaml(path, PolicyError)
    validate(data, SCHEMA_PATH, path, PolicyError)
    groups = {
        name: Group(name, (entry or {}).get("description", ""), (entry or {}).get("sizes", {}))
        for name, entry in (data.get("groups") or {}).items()
    }
    roles = {
        name: Role(name, tuple(e["scopes"]), e.get("description", ""), tuple(e.get("groups", ())))
        for name, e in (data.get("roles") or {}).items()
    }
    services = {
        name: Role(name, tuple(e["scopes"]), e.get("description", ""))
        for name, e in (data.get("services") or {}).items()
    }
    connections = {
        name: SharedConnection.from_entry(name, entry)
        for name, entry in (data.get("connections") or {}).items()
    }
    ai = AIPolicy.from_entry(data.get("ai"))
    projects = {
        name: Project(
            name,
            e["display_name"],
            tuple(e.get("users", ())),
            tuple(e.get("groups", ())),
            e.get("profile", ""),
        )
        for name, e in (data.get("projects") or {}).items()
    }
    policy = HubPolicy(
        path,
        data["sizes"],
        groups,
        roles,
        services,
        connections,
        ai,
        tuple(data.get("lab_token_scopes") or ()),
        projects,
    )
    _check(policy)
    return policy


def _check(policy: HubPolicy) -> None:
    path = policy.path
    defaults = [slug for slug, size in policy.sizes.items() if size.get("default")]
    if len(defaults) > 1:
        raise PolicyError(path, "sizes", f"only one size may be the default, not {defaults}")
    for group in policy.groups.values():
        taken = set(group.sizes) & set(policy.sizes)
        if taken:
            raise PolicyError(
                path, f"groups.{group.name}.sizes", f"{sorted(taken)} already name sizes for all"
            )
    if "admin" in policy.roles:
        raise PolicyError(path, "roles.admin", "JupyterHub's admin role cannot be changed")
    if policy.roles.get("user", Role("user", ())).groups:
        raise PolicyError(path, "roles.user.groups", "the user role is every user's already")
    for role in policy.roles.values():
        for i, group in enumerate(role.groups):
            if group not in policy.groups:
                raise PolicyError(
                    path, f"roles.{role.name}.groups[{i}]", f"unknown group {group!r}"
                )
    for connection in policy.connections.values():
        _check_connection(path, connection, policy)
    _check_ai(path, policy)
    _check_projects(path, policy)
    for kind, roles in (("roles", policy.roles), ("services", policy.services)):
        for role in roles.values():
            _check_scopes(path, f"{kind}.{role.name}.scopes", role.scopes)
    _check_scopes(path, "lab_token_scopes", policy.lab_token_scopes)


def _check_scopes(path: Path, where: str, scopes: tuple[str, ...]) -> None:
    for i, scope in enumerate(scopes):
        if not known_scope(scope):
            raise PolicyError(path, f"{where}[{i}]", f"unknown scope {scope!r}")


def _check_connection(path: Path, connection: SharedConnection, policy: HubPolicy) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    where = f"connections.{connection.name}"
    try:
        url = make_url(connection.url)
    except (ArgumentError, ValueError):
        # Not echoed: a malformed URL may still hold a password.
        raise PolicyError(path, f"{where}.url", "not a SQLAlchemy URL") from None
    if url.password is not None:
        raise PolicyError(
            path,
            f"{where}.url",
            "holds a password: put it in stack.env and name the variable in `password_env`",
        )
    for i, group in enumerate(connection.groups):
        if group not in policy.groups:
            raise PolicyError(path, f"{where}.groups[{i}]", f"unknown group {group!r}")


def _check_ai(path: Path, policy: HubPolicy) -> None:
    ai = policy.ai
    if ai.default_model and ai.default_model not in ai.models:
        raise PolicyError(path, "ai.default_model", f"{ai.default_model!r} is not in ai.models")
    for group in ai.groups:
        if group not in policy.groups:
            raise PolicyError(path, f"ai.groups.{group}", f"unknown group {group!r}")


def _check_projects(path: Path, policy: HubPolicy) -> None:
    """What the policy alone can tell; members' accounts are checked by the hub, which knows
    them (hubkit.hub.projects)."""
    for project in policy.projects.values():
        where = f"projects.{project.name}"
        if project.account in policy.roles or project.account in policy.groups:
            kind = "role" if project.account in policy.roles else "group"
            raise PolicyError(path, where, f"the policy has a {kind} {project.account!r} already")
        for i, group in enumerate(project.groups):
            if group not in policy.groups:
                raise PolicyError(path, f"{where}.groups[{i}]", f"unknown group {group!r}")
        for i, user in enumerate(project.users):
            if user.startswith(PROJECT_PREFIX):
                raise PolicyError(
                    path, f"{where}.users[{i}]", f"{user!r} is a project's account, not a person"
                )


def known_scope(scope: str) -> bool:
    """Whether JupyterHub defines the scope (a `!filter` suffix is allowed)."""
    from jupyterhub.scopes import scope_definitions  # the hub's own table of scopes

    return scope.split("!", 1)[0] in scope_definitions
