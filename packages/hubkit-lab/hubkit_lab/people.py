"""GET /hubkit-lab/people: the people a comment may mention, for the @name completion.

Asked of JupyterHub with the requesting person's own token (`list:users`, `read:users:name`
in the hub policy's `lab_token_scopes`), so it lists exactly whom that person may list, never
what the server's owner may; each with the display name the hub keeps in `user_info`.
Outside JupyterHub only the person asking is listed.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .handlers import AUTH_RESOURCE

# At most this many people are listed (JupyterHub's page size limit is larger).
MAX_PEOPLE = 500


def person(model: dict[str, Any]) -> dict[str, str]:
    """A login name and the display name to show for it."""
    info = model.get("user_info") or {}
    shown = info.get("display_name") or info.get("name") or model["name"]
    return {"name": model["name"], "display_name": str(shown)}


class PeopleHandler(APIHandler):
    """The people a comment may mention, sorted by display name."""

    auth_resource = AUTH_RESOURCE

    @web.authenticated
    @authorized
    async def get(self) -> None:
        me = self.current_user
        people = [{"name": me.username, "display_name": me.display_name or me.username}]
        hub_auth = getattr(self.identity_provider, "hub_auth", None)
        token = hub_auth.get_token(self) if hub_auth is not None else None
        if token:
            try:
                response = await AsyncHTTPClient().fetch(
                    f"{hub_auth.api_url}/users?limit={MAX_PEOPLE}",
                    headers={"Authorization": f"token {token}", "Accept": "application/json"},
                )
                listed = json.loads(response.body)
                if isinstance(listed, dict):  # a paginated answer
                    listed = listed.get("items", [])
                people = [person(m) for m in listed] or people
            except HTTPClientError as e:  # no right to list users: only oneself
                self.log.info("hubkit_lab: cannot list the hub's users: %s", e)
        people.sort(key=lambda p: (p["display_name"].casefold(), p["name"]))
        self.finish(json.dumps({"people": people}))
