"""Shares with a group reach its members' tokens (a fix for JupyterHub 6.1.1).

JupyterHub resolves a token's permissions as the token's scopes intersected with its owner's.
For a token, 6.1.1 counts among the owner's the shares made with the user by name
(`owner.shared_with_me`), not those made with the user's groups (`all_shared_with_me`), while
for the user itself it counts both (jupyterhub/scopes.py, `get_scopes_for`; unchanged on
JupyterHub's main branch in August 2026). Every request to a server carries a token (the
browser's is the server's OAuth token), so a group's members were let through the hub's
authorization page and then refused by the server.

`include_group_shares_in_tokens` wraps `get_scopes_for` to add, for a user's token, the part of
its scopes that the user's groups' shares grant, intersected exactly as JupyterHub intersects the
rest. Where JupyterHub already counts them, the union adds nothing, so the wrapper stays correct
after an upgrade that fixes it.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import functools

import sqlalchemy as sa
from jupyterhub import orm, scopes

# Marks our wrapper of get_scopes_for
WRAPPED = "_hubkit_group_shares"


def group_share_scopes(token: orm.APIToken) -> set[str]:
    """What the shares with the token's owner's groups add to the token, expanded."""
    user = token.user
    granted: set[str] = set()
    for group in user.groups if user is not None else ():
        for share in group.shared_with_me:
            granted |= scopes.expand_share_scopes(share)
    if not granted:
        return granted
    if "inherit" in token.scopes:
        return granted
    wanted = set(scopes.expand_scopes(token.scopes, owner=user, oauth_client=token.oauth_client))
    if token.client_id != "jupyterhub":
        wanted |= scopes.access_scopes(token.oauth_client)
    return set(scopes._intersect_expanded_scopes(wanted, granted, db=sa.inspect(token).session))


def include_group_shares_in_tokens() -> None:
    """Wrap `jupyterhub.scopes.get_scopes_for` once (every caller looks it up in the module)."""
    upstream = scopes.get_scopes_for
    if getattr(upstream, WRAPPED, False):  # the config loaded twice; another wrapper is kept
        return
    if not hasattr(scopes, "_intersect_expanded_scopes"):  # private: fail loudly if it goes
        raise RuntimeError(
            "hubkit.hub.group_shares: this JupyterHub has no scopes._intersect_expanded_scopes;"
            " check whether it counts group shares in tokens itself"
        )

    @functools.wraps(upstream)
    def get_scopes_for(orm_object: object) -> set[str]:
        found = upstream(orm_object)
        if isinstance(orm_object, orm.APIToken) and orm_object.user is not None:
            extra = group_share_scopes(orm_object)
            if extra - found:
                return found | extra
        return found

    setattr(get_scopes_for, WRAPPED, True)
    scopes.get_scopes_for = get_scopes_for
