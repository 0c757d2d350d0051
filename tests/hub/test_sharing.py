"""Sharing a server with JupyterHub's shares (hub policy: the `user` role may share,
`lab_token_scopes`): with a user, a group or a share code; the owner sees who has access and
revokes it, which refuses new requests and closes open websockets (hubkit_lab.sharing)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import json
import time

import pytest
import requests
import tornado.httpclient
import tornado.websocket

from ..hubserver import HubServer, execute_request

pytestmark = pytest.mark.slow
# hubkit_lab's access_check_interval and HubAuth.cache_max_age (5 s), with room for a slow CI
WITHDRAWN_WITHIN = 15


def contents(hub: HubServer, token: str) -> int:
    """The status of the user's request for alice's home folder through the proxy."""
    r = requests.get(
        f"{hub.url}/user/alice/api/contents",
        headers={"Authorization": f"token {token}"},
        timeout=30,
        allow_redirects=False,
    )
    return r.status_code


async def open_kernel(hub: HubServer, token: str, kernel_id: str):
    url = hub.url.replace("http", "ws", 1) + f"/user/alice/api/kernels/{kernel_id}/channels"
    request = tornado.httpclient.HTTPRequest(url, headers={"Authorization": f"token {token}"})
    return await tornado.websocket.websocket_connect(request)


async def run(ws, code: str) -> str:
    msg_id, message = execute_request("bob", code)
    ws.write_message(message)
    output = []
    while True:
        msg = json.loads(await ws.read_message())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            output.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(output)


async def until_closed(ws) -> None:
    """Read what is left (a late reply) until the server closes the connection."""
    while await ws.read_message() is not None:
        pass


def share(hub: HubServer, token: str, **with_whom: str) -> requests.Response:
    return hub.api("POST", "/shares/alice/", token, json=with_whom)


@pytest.fixture(scope="module")
def team(tmp_path_factory, catalog, layout, available_profiles):
    """A hub with alice's server running; bob, dave and carol (in power-users) have none."""
    with HubServer(tmp_path_factory.mktemp("sharing"), catalog, layout) as hub:
        hub.sessions = {}
        for name, groups in (("alice", ()), ("bob", ()), ("carol", ("power-users",)), ("dave", ())):
            hub.sessions[name] = hub.add_account(name, groups=groups)
        hub.spawn("alice", hub.sessions["alice"][1], {"profile": "python-sql"})
        yield hub


async def test_a_share_grants_access_and_revoking_it_ends_it_at_once(team):
    hub = team
    alice, bob, carol = (hub.sessions[n][1] for n in ("alice", "bob", "carol"))
    dave_session, dave = hub.sessions["dave"]
    # Without a share nobody else opens alice's server or its files, nor her kernels
    for token in (bob, carol, dave):
        assert contents(hub, token) == 403
    kernel = requests.post(
        f"{hub.url}/user/alice/api/kernels",
        json={"name": "python3"},
        headers={"Authorization": f"token {alice}"},
        timeout=60,
    ).json()["id"]
    with pytest.raises(tornado.httpclient.HTTPClientError) as refused:
        await open_kernel(hub, bob, kernel)
    assert refused.value.code == 403

    # When alice shares her server with bob
    r = share(hub, alice, user="bob")
    assert r.status_code == 200, r.text
    # Then bob opens her files (once the server's 5 s cache of his earlier "no" has expired)
    # and runs code in her kernel over a websocket through the proxy
    hub.wait_for(lambda: contents(hub, bob) == 200, WITHDRAWN_WITHIN, "bob let in")
    ws = await open_kernel(hub, bob, kernel)
    assert (await run(ws, "print(6 * 7)")).strip() == "42"
    # And alice sees who has access
    shares = hub.api("GET", "/shares/alice/", alice).json()["items"]
    assert [s["user"]["name"] for s in shares if s["user"]] == ["bob"]

    # When alice revokes bob's share
    r = hub.api("PATCH", "/shares/alice/", alice, json={"user": "bob"})
    assert r.status_code == 200, r.text
    revoked = time.monotonic()
    # Then bob's open websocket is closed promptly, and new requests are refused
    await asyncio.wait_for(until_closed(ws), WITHDRAWN_WITHIN)
    took = time.monotonic() - revoked
    assert ws.close_code == 1008, ws.close_reason
    print(f"bob's websocket closed {took:.1f} s after the share was revoked")
    hub.wait_for(lambda: contents(hub, bob) == 403, WITHDRAWN_WITHIN, "bob refused")
    assert hub.api("GET", "/shares/alice/", alice).json()["items"] == []
    # And alice's own connections stay open
    own = await open_kernel(hub, alice, kernel)
    assert (await run(own, "print('still here')")).strip() == "still here"

    # A share code lets in whoever accepts it in the hub (dave, logged in)
    code = hub.api("POST", "/share-codes/alice/", alice, json={}).json()
    page = dave_session.get(hub.url + code["accept_url"])
    assert page.status_code == 200 and "alice" in page.text
    r = dave_session.post(
        f"{hub.url}/hub/accept-share",
        data={"code": code["code"], "_xsrf": dave_session.cookies["_xsrf"]},
        allow_redirects=False,
    )
    assert r.status_code == 302, r.text
    hub.wait_for(lambda: contents(hub, dave) == 200, WITHDRAWN_WITHIN, "dave let in")
    own.close()


@pytest.mark.xfail(
    strict=True,
    reason="JupyterHub 6.1.1 leaves group shares out of tokens' scopes (jupyterhub/scopes.py "
    "get_scopes_for: an APIToken's owner gets `owner.shared_with_me`, not "
    "`owner.all_shared_with_me`), so members are refused; passes once JupyterHub fixes it",
)
def test_a_group_share_lets_its_members_in(team):
    hub = team
    alice, bob, carol = (hub.sessions[n][1] for n in ("alice", "bob", "carol"))
    assert share(hub, alice, group="power-users").status_code == 200
    try:
        hub.wait_for(lambda: contents(hub, carol) == 200, WITHDRAWN_WITHIN, "carol let in")
        assert contents(hub, bob) == 403
    finally:
        hub.api("PATCH", "/shares/alice/", alice, json={"group": "power-users"})
