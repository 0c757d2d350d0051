"""Revoked shares end open connections too: closes the websockets of users who lost access
to this server.

JupyterHub's single-user server checks a user's token at each request (cached for
`HubAuth.cache_max_age`), never again for a websocket that is open: a kernel or a notebook
document stays connected after its owner revokes the share. `WebsocketTracker`, the server's
authorizer (it allows what jupyter_server's default allows), records every websocket it lets
in; `AccessGuard` asks the hub every few seconds whether the people behind them may still use
this server and closes the connections of those who may not. The server's owner is never
asked about, so a server nobody else uses costs the hub nothing.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import logging
import weakref
from collections import defaultdict
from typing import Any

from jupyter_server.auth.authorizer import AllowAllAuthorizer
from tornado.web import HTTPError
from tornado.websocket import WebSocketHandler

# The close code of a connection whose user lost access: "policy violation" (RFC 6455)
POLICY_VIOLATION = 1008


class WebsocketTracker(AllowAllAuthorizer):
    """jupyter_server's default authorizer that also remembers the websockets it allowed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.websockets: weakref.WeakSet[WebSocketHandler] = weakref.WeakSet()

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        if isinstance(handler, WebSocketHandler):
            self.websockets.add(handler)
        return super().is_authorized(handler, user, action, resource)


def _is_open(handler: WebSocketHandler) -> bool:
    connection = handler.ws_connection
    return connection is not None and not connection.is_closing()


class AccessGuard:
    """Closes the open websockets of users whose access to this server the hub withdrew."""

    def __init__(self, tracker: WebsocketTracker, hub_auth: Any, owner: str, log: logging.Logger):
        self.tracker, self.hub_auth, self.owner, self.log = tracker, hub_auth, owner, log

    def open_websockets(self) -> dict[tuple[str, str], list[WebSocketHandler]]:
        """Open websockets of users other than the owner, by (token, hub session)."""
        found: dict[tuple[str, str], list[WebSocketHandler]] = defaultdict(list)
        for handler in list(self.tracker.websockets):
            user = handler.current_user
            if not _is_open(handler) or getattr(user, "username", None) == self.owner:
                continue
            key = (self.hub_auth.get_token(handler) or "", self.hub_auth.get_session_id(handler))
            found[key].append(handler)
        return found

    async def check(self) -> int:
        """Ask the hub once per token in use; close what lost access. Returns how many."""
        closed = 0
        for (token, session_id), handlers in self.open_websockets().items():
            if token and await self._allowed(token, session_id):
                continue
            for handler in handlers:
                if _is_open(handler):
                    user = getattr(handler.current_user, "username", "?")
                    self.log.info(
                        "hubkit_lab: %s lost access, closing %s", user, handler.request.path
                    )
                    handler.close(POLICY_VIOLATION, "access to this server was withdrawn")
                    closed += 1
        return closed

    async def _allowed(self, token: str, session_id: str) -> bool:
        try:
            model = await self.hub_auth.user_for_token(
                token, use_cache=False, session_id=session_id, sync=False
            )
        except HTTPError as e:
            # The hub is down or restarting: keep connections rather than drop everyone.
            self.log.warning("hubkit_lab: cannot check access with the hub: %s", e)
            return True
        return bool(model and self.hub_auth.check_scopes(self.hub_auth.access_scopes, model))
