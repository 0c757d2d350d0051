"""JupyterHub's REST API for one server and its shares, with bodies bounded (issue 17).

JupyterHub 6.1.1's `PATCH /hub/api/users/<name>/server` needs only `start:servers`, which every
user has for their own server, and stores any `user_options` without asking the spawner: 100 KB
of text of the user's choosing reached the admin panel's Profile column, the usage page and the
hub's log. An unknown field answered 500 (its message joins a set). This handler, registered
ahead of JupyterHub's (hubkit.hub.authenticator.HubkitAuthenticator.get_handlers), refuses what
a spawn would refuse, with the same bounds (hubkit.bounds, hubkit.policy.profiles), before
JupyterHub's own PATCH runs; GET, POST, PUT and DELETE are JupyterHub's.

Its shares API answered a share with an unknown user or group with the whole name sent ("No such
user: " and 100 KB); `ShareAPIHandler` bounds names and scopes and says which name is unknown
with a short quote, before JupyterHub's own POST and PATCH run.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any

from jupyterhub import orm
from jupyterhub.apihandlers.shares import ServerShareAPIHandler, ServerShareCodeAPIHandler
from jupyterhub.apihandlers.users import UserServerAPIHandler
from jupyterhub.scopes import needs_scope
from tornado import web

from ..bounds import MAX_OPTION_CHARS, quote, type_name
from ..policy import profiles
from .display_names import display_name_problem

# What JupyterHub's PATCH may change.
PATCH_FIELDS = ("name", "display_name", "user_options")
# Longest user or group name a share may name (JupyterHub's columns), and scope a share may
# carry; the most scopes one share holds.
MAX_NAME_CHARS = 255
MAX_SCOPE_CHARS = 255
MAX_SCOPES = 32


def strings_problem(body: dict[str, Any], fields: tuple[str, ...], max_chars: int) -> str | None:
    """Why one of these optional fields is no string of at most `max_chars`, or None."""
    for field in fields:
        value = body.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"{field} must be a string, not {type_name(value)}"
        if len(value) > max_chars:
            return f"{field} {quote(value)} is too long: at most {max_chars} characters"
    return None


def patch_problem(body: Any, profile_list: list[dict[str, Any]]) -> str | None:
    """Why a PATCH body is refused (a short message quoting little of it), or None."""
    if not isinstance(body, dict):
        return f"The body must be a JSON object, not {type_name(body)}"
    unknown = sorted(set(body) - set(PATCH_FIELDS))
    if unknown:
        names = ", ".join(quote(str(k)) for k in unknown[:3])
        return f"Unsupported field(s): {names}; the fields are {', '.join(PATCH_FIELDS)}"
    if problem := strings_problem(body, ("name", "display_name"), MAX_OPTION_CHARS):
        return problem
    if problem := display_name_problem(body.get("display_name") or ""):
        return problem
    if "user_options" in body:
        options = body["user_options"]
        if not isinstance(options, dict):
            return f"user_options must be an object, not {type_name(options)}"
        try:
            profiles.validate_user_options(profile_list, options)
        except ValueError as e:
            return f"user_options: {e}"
    return None


def share_problem(body: Any) -> str | None:
    """Why a share or share-code request is refused before JupyterHub reads it, or None."""
    if not isinstance(body, dict):
        return f"The body must be a JSON object, not {type_name(body)}"
    if problem := strings_problem(body, ("user", "group"), MAX_NAME_CHARS):
        return problem
    scopes = body.get("scopes")
    if scopes is not None:
        if not isinstance(scopes, list) or len(scopes) > MAX_SCOPES:
            return f"scopes must be a list of at most {MAX_SCOPES} strings"
        for scope in scopes:
            if not isinstance(scope, str) or len(scope) > MAX_SCOPE_CHARS:
                shown = quote(scope) if isinstance(scope, str) else type_name(scope)
                return f"scope {shown} is not a string of at most {MAX_SCOPE_CHARS} characters"
    return None


def json_body(handler: web.RequestHandler) -> Any:
    """The request's JSON body, {} when there is none: `[]`, `0`, `""` or `false` stay what
    they are, so the checks refuse them rather than take them for an empty object."""
    body = handler.get_json_body()  # type: ignore[attr-defined]
    return {} if body is None else body


class ShareAPIHandler(ServerShareAPIHandler):
    """JupyterHub's shares of a server, with names and scopes bounded, and an unknown name
    quoted short (JupyterHub echoed it whole)."""

    def _checked_body(self) -> dict[str, Any]:
        body = json_body(self)
        if problem := share_problem(body):
            raise web.HTTPError(400, problem)
        return body

    def _unknown_name(self, user: str | None, group: str | None) -> str | None:
        """JupyterHub's "No such user/group", quoted short; only to whoever may read the name
        (JupyterHub answers the others 403)."""
        if user:
            if self.has_scope(f"read:users:name!user={user}") and not self.find_user(user):
                return f"No such user: {quote(user)}"
        elif group and self.has_scope(f"read:groups:name!group={group}"):
            return None if orm.Group.find(self.db, name=group) else f"No such group: {quote(group)}"
        return None

    @needs_scope("shares")
    async def post(self, user_name: str, server_name: str | None = None) -> None:
        if server_name is not None:
            body = self._checked_body()
            if problem := self._unknown_name(body.get("user"), body.get("group")):
                raise web.HTTPError(400, problem)
        await super().post(user_name, server_name)

    @needs_scope("shares")
    async def patch(self, user_name: str, server_name: str | None = None) -> None:
        if server_name is not None:
            self._checked_body()
        await super().patch(user_name, server_name)


class ShareCodeAPIHandler(ServerShareCodeAPIHandler):
    """JupyterHub's share codes, with scopes bounded."""

    @needs_scope("shares")
    async def post(self, user_name: str, server_name: str | None = None) -> None:
        if server_name is not None and (problem := share_problem(json_body(self))):
            raise web.HTTPError(400, problem)
        await super().post(user_name, server_name)


class ServerAPIHandler(UserServerAPIHandler):
    """JupyterHub's handler, with PATCH bodies checked before anything is stored."""

    @needs_scope("start:servers")
    async def patch(self, user_name: str, server_name: str = "") -> None:
        user = self.find_user(user_name)
        if user is not None and server_name in user.orm_spawners:
            spawner = user.get_spawner(server_name)
            problem = patch_problem(json_body(self), spawner.get_profile_list())
            if problem:
                raise web.HTTPError(400, problem)
        # Unknown users and servers: JupyterHub's 404.
        await super().patch(user_name, server_name)


default_handlers = [
    (r"/api/users/([^/]+)/server", ServerAPIHandler),
    (r"/api/users/([^/]+)/servers/([^/]*)", ServerAPIHandler),
    (r"/api/shares/([^/]+)", ShareAPIHandler),
    (r"/api/shares/([^/]+)/([^/]*)", ShareAPIHandler),
    (r"/api/share-codes/([^/]+)", ShareCodeAPIHandler),
    (r"/api/share-codes/([^/]+)/([^/]*)", ShareCodeAPIHandler),
]
