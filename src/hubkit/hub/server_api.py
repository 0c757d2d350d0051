"""JupyterHub's REST API for one server, with its PATCH checked as a spawn is (issue 17).

JupyterHub 6.1.1's `PATCH /hub/api/users/<name>/server` needs only `start:servers`, which every
user has for their own server, and stores any `user_options` without asking the spawner: 100 KB
of text of the user's choosing reached the admin panel's Profile column, the usage page and the
hub's log. An unknown field answered 500 (its message joins a set). This handler, registered
ahead of JupyterHub's (hubkit.hub.authenticator.HubkitAuthenticator.get_handlers), refuses what
a spawn would refuse, with the same bounds (hubkit.bounds, hubkit.policy.profiles), before
JupyterHub's own PATCH runs; GET, POST, PUT and DELETE are JupyterHub's.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import Any

from jupyterhub.apihandlers.users import UserServerAPIHandler
from jupyterhub.scopes import needs_scope
from tornado import web

from ..bounds import MAX_OPTION_CHARS, quote, type_name
from ..policy import profiles
from .display_names import display_name_problem

# What JupyterHub's PATCH may change.
PATCH_FIELDS = ("name", "display_name", "user_options")


def patch_problem(body: Any, profile_list: list[dict[str, Any]]) -> str | None:
    """Why a PATCH body is refused (a short message quoting little of it), or None."""
    if not isinstance(body, dict):
        return f"The body must be a JSON object, not {type_name(body)}"
    unknown = sorted(set(body) - set(PATCH_FIELDS))
    if unknown:
        names = ", ".join(quote(str(k)) for k in unknown[:3])
        return f"Unsupported field(s): {names}; the fields are {', '.join(PATCH_FIELDS)}"
    for field in ("name", "display_name"):
        value = body.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"{field} must be a string, not {type_name(value)}"
        if len(value) > MAX_OPTION_CHARS:
            return f"{field} {quote(value)} is too long: at most {MAX_OPTION_CHARS} characters"
        if field == "display_name" and (problem := display_name_problem(value)):
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


class ServerAPIHandler(UserServerAPIHandler):
    """JupyterHub's handler, with PATCH bodies checked before anything is stored."""

    @needs_scope("start:servers")
    async def patch(self, user_name: str, server_name: str = "") -> None:
        user = self.find_user(user_name)
        if user is not None and server_name in user.orm_spawners:
            spawner = user.get_spawner(server_name)
            body = self.get_json_body() or {}
            problem = patch_problem(body, spawner.get_profile_list())
            if problem:
                raise web.HTTPError(400, problem)
        # Unknown users and servers: JupyterHub's 404.
        await super().patch(user_name, server_name)


default_handlers = [
    (r"/api/users/([^/]+)/server", ServerAPIHandler),
    (r"/api/users/([^/]+)/servers/([^/]*)", ServerAPIHandler),
]
