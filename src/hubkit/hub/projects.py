"""Shared projects (hub policy `projects`), following JupyterHub's collaboration accounts: each
project is an account `project-<name>` nobody logs in as, with its own server and home; its
members (a group of the same name) hold a role of the same name that lets them open, start and
stop that server, each with their own identity.

The hub applies the policy at start and again every `ProjectSync.interval` seconds, inside the
hub process: JupyterHub has no REST API for roles, so a separate service could not create a
project's role. A member removed from the policy loses access at the next pass; their open
websockets are closed by the server's access checks (hubkit_lab.sharing), as for a revoked
share. A project removed from the policy loses its group and role (nobody but admins can open
it) and its running server is stopped (as the hub's REST API stops one: route, then spawner);
its account and home stay.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from jupyterhub import orm, roles
from nativeauthenticator.orm import UserInfo
from tornado.ioloop import PeriodicCallback
from traitlets import Float, List, Unicode, validate
from traitlets.config import LoggingConfigurable

from ..policy import PROJECT_PREFIX, PolicyError, Project, load_policy

# JupyterHub's pages hubkit extends: the home page's list of projects.
PAGES = Path(__file__).with_name("templates") / "pages"
# The project group's property holding what the home page shows and the spawner applies.
PROPERTY = "hubkit_project"


def properties(project: Project) -> dict[str, Any]:
    """The project group's properties: what the home page and the spawner need."""
    return {
        PROPERTY: {
            "name": project.name,
            "display_name": project.display_name,
            "account": project.account,
            "profile": project.profile,
        }
    }


def project_of(db: Any, account: str) -> dict[str, Any] | None:
    """The project whose account this is (its group's property), or None."""
    if not account.startswith(PROJECT_PREFIX):
        return None
    group = orm.Group.find(db, account)
    return (group.properties or {}).get(PROPERTY) if group else None


class ProjectSync(LoggingConfigurable):
    """Applies the policy's projects to the hub's accounts, groups and roles."""

    policy_file = Unicode(
        "", help="The hub policy (hub/policy.yaml) whose `projects` the hub applies."
    ).tag(config=True)
    interval = Float(
        10.0,
        help="""Seconds between two readings of the policy's projects (and of the groups that
        name members): how long a member added or removed waits at most. 0: only at start.""",
    ).tag(config=True)
    problems = List(Unicode(), help="What the last pass could not apply, for admins.")

    @validate("interval")
    def _validate_interval(self, proposal: dict[str, Any]) -> float:
        if proposal["value"] < 0:
            raise ValueError(f"ProjectSync.interval must be >= 0, not {proposal['value']}")
        return proposal["value"]

    def __init__(
        self,
        db: Any,
        stop_server: Callable[[str], Awaitable[None]] | None = None,
        **kwargs: Any,
    ) -> None:
        """`stop_server(account)` stops that account's server (the next pass tries again while
        it runs); without it, removed projects' servers keep running."""
        super().__init__(**kwargs)
        self.db = db
        self.stop_server = stop_server

    def start(self) -> None:
        """Apply now, then every `interval` seconds (on the hub's event loop). Servers of
        projects removed while the hub was down are stopped at the first periodic pass, once
        the hub has loaded its spawners."""
        self.apply()
        if self.interval:
            PeriodicCallback(self.apply_and_stop, self.interval * 1000).start()

    def apply(self) -> None:
        """One pass; problems are logged (each naming the policy entry) and kept for admins."""
        try:
            problems = self.sync()
        except Exception:  # a pass must never stop the hub's loop
            self.log.exception("shared projects: applying the policy failed")
            self.db.rollback()
            return
        for problem in problems:
            if problem not in self.problems:
                self.log.error("hub policy: %s", problem)
        self.problems = problems

    async def apply_and_stop(self) -> None:
        """A pass, then stop the servers of the projects that left the policy."""
        self.apply()
        if not self.stop_server:
            return
        for account in self.left_running():
            try:
                await self.stop_server(account)
            except Exception:  # retried at the next pass
                self.log.exception("shared projects: stopping %s's server failed", account)

    def left_running(self) -> list[str]:
        """Project accounts whose project left the policy (their group is gone; also while the
        hub was down) and whose server runs. Only projects' accounts start with `project-`."""
        spawners = (
            self.db.query(orm.Spawner)
            .join(orm.User)
            .filter(orm.User.name.startswith(PROJECT_PREFIX), orm.Spawner.server_id.isnot(None))
        )
        accounts = {s.user.name for s in spawners}
        return sorted(a for a in accounts if orm.Group.find(self.db, a) is None)

    def sync(self) -> list[str]:
        """Make the hub's project accounts, groups and roles what the policy says."""
        try:
            policy = load_policy(Path(self.policy_file))
        except PolicyError as e:  # an admin mid-edit: keep what was applied
            return [str(e)]
        problems: list[str] = []
        for project in policy.projects.values():
            problems += self._apply(project, f"{policy.path}: projects.{project.name}")
        accounts = {p.account for p in policy.projects.values()}
        for group in self.db.query(orm.Group).all():
            if PROPERTY in (group.properties or {}) and group.name not in accounts:
                self.log.info("shared projects: %s left the policy, removing access", group.name)
                if role := orm.Role.find(self.db, group.name):
                    self.db.delete(role)
                self.db.delete(group)
        if self.db.dirty or self.db.new or self.db.deleted:
            self.db.commit()
        return problems

    def _apply(self, project: Project, where: str) -> list[str]:
        db = self.db
        if UserInfo.find(db, project.account) is not None:
            return [f"{where}: {project.account!r} is a user's login; rename the project"]
        problems = []
        members: set[orm.User] = set()
        for i, name in enumerate(project.users):
            user = orm.User.find(db, name)
            if user is None:
                problems.append(f"{where}.users[{i}]: no user named {name!r}")
            else:
                members.add(user)
        for i, name in enumerate(project.groups):
            group = orm.Group.find(db, name)
            if group is None:
                problems.append(f"{where}.groups[{i}]: no group named {name!r}")
            else:
                members.update(group.users)
        members = {u for u in members if not u.name.startswith(PROJECT_PREFIX)}

        account = orm.User.find(db, project.account)
        if account is None:
            account = orm.User(name=project.account)
            db.add(account)
            db.commit()
            # The `user` role: the server's own token acts for the account (activity, AI).
            roles.assign_default_roles(db, account)
            self.log.info("shared projects: created the account %s", project.account)
        group = orm.Group.find(db, project.account)
        if group is None:
            group = orm.Group(name=project.account)
            db.add(group)
        if group.properties != properties(project):
            group.properties = properties(project)
        if set(group.users) != members:
            self.log.info(
                "shared projects: %s members: %s",
                project.account,
                ", ".join(sorted(u.name for u in members)) or "none",
            )
            group.users = sorted(members, key=lambda u: u.name)
        spec = project.role()
        role = orm.Role.find(db, spec["name"])
        if role is None or sorted(role.scopes) != sorted(spec["scopes"]):
            role = roles.create_role(db, {k: spec[k] for k in ("name", "description", "scopes")})
        if group not in role.groups:
            roles.grant_role(db, group, role)
        return problems


# The hub's one ProjectSync (JupyterHub's template variables are plain callables).
_running: list[ProjectSync] = []


async def stop_server(app: Any, account: str) -> None:
    """Stop `account`'s server in the hub `app` as its REST API does (the route, then the
    spawner); not while it is starting or stopping (the next pass sees it again)."""
    user = app.users.get(account)
    if user is None or "" not in user.orm_spawners:
        return
    spawner = user.spawners[""]
    if spawner.pending or not spawner.ready:
        return
    app.log.info("shared projects: stopping %s's server (its project left the policy)", account)
    spawner._stop_pending = True
    try:
        await app.proxy.delete_user(user, "")
        await user.stop("")
    finally:
        spawner._stop_pending = False


def start(app: Any) -> ProjectSync | None:
    """Start applying the policy's projects in the hub `app` (when the config names a policy)."""
    sync = ProjectSync(app.db, stop_server=partial(stop_server, app), parent=app)
    if not sync.policy_file:
        return None
    sync.start()
    _running[:] = [sync]
    return sync


def problems_for(user: Any) -> list[str]:
    """What the last pass could not apply, shown to admins on the home page."""
    if user is None or not user.admin or not _running:
        return []
    return list(_running[0].problems)


def for_user(user: Any) -> list[dict[str, Any]]:
    """The home page's projects of `user`: display name, account and whether its server runs."""
    if user is None:
        return []
    found = []
    for group in user.groups:
        project = (group.properties or {}).get(PROPERTY)
        if not project:
            continue
        account = orm.User.find(user.db, project["account"])
        spawner = account and account.orm_spawners.get("")
        found.append({**project, "running": bool(spawner and spawner.server)})
    return sorted(found, key=lambda p: p["display_name"].lower())
