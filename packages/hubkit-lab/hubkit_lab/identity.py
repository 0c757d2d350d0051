"""Who is who in a shared server: each person's display name, initials and colour, for
jupyter-collaboration's presence (cursors, the collaborators list) and hubkit's comments.

jupyterhub-singleuser's identity provider reads a person's JupyterHub `user_info` (the hub
stores the display name there: hubkit.hub.display_names) with that person's own token, but
leaves initials empty and colours to chance, so two visitors could share a colour and a
reload changes it. `HubkitIdentityProvider` fills in initials from the display name and a
colour fixed per login name, from `colors`.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import hashlib
from typing import Any

from jupyterhub.singleuser.extension import JupyterHubIdentityProvider
from traitlets import List, Unicode

# JupyterLab's collaborator colours: theme variables, so light and dark themes both work.
JUPYTERLAB_COLORS = [f"var(--jp-collaborator-color{i})" for i in range(1, 8)]


def initials(display_name: str) -> str:
    """Up to two letters: the first of the first and last words ("Ada Lovelace": "AL")."""
    words = [w for w in display_name.split() if w[:1].isalnum()]
    if not words:
        return display_name[:1].upper()
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def color_for(username: str, colors: list[str]) -> str:
    """The same colour for the same login name on every server and every reload."""
    digest = hashlib.sha256(username.encode()).digest()
    return colors[int.from_bytes(digest[:4], "big") % len(colors)]


class HubkitIdentityProvider(JupyterHubIdentityProvider):
    """JupyterHub's identity provider with initials and a colour per person."""

    colors = List(
        Unicode(),
        default_value=JUPYTERLAB_COLORS,
        minlen=1,
        help="""Colours given to people (cursors, avatars, comment bylines), one per login
        name, picked by a hash of the name. CSS colours; the default is JupyterLab's
        collaborator colours (theme variables). A colour in the person's JupyterHub
        `user_info` wins.

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    async def get_user(self, handler: Any) -> Any:
        user = await super().get_user(handler)
        if user is not None:
            if not user.initials:
                user.initials = initials(user.display_name or user.username)
            if not user.color:
                user.color = color_for(user.username, self.colors)
        return user
