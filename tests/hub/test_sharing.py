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

from ..browser import log_in, use_theme, wait_for_kernel
from ..hubserver import ADMIN, ADMIN_PASSWORD, HubServer, execute_request

pytestmark = pytest.mark.slow
# hubkit_lab's access_check_interval and HubAuth.cache_max_age (5 s), with room for a slow CI
WITHDRAWN_WITHIN = 15
# The display name bob gives himself in the comments test
BOB_DISPLAY_NAME = "Bob Builder"


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


def test_a_group_share_lets_its_members_in_until_it_is_revoked(team):
    hub = team
    alice, bob, carol = (hub.sessions[n][1] for n in ("alice", "bob", "carol"))
    # carol is in power-users, bob is not (JupyterHub 6.1.1 alone refuses carol here:
    # hubkit.hub.group_shares)
    assert share(hub, alice, group="power-users").status_code == 200
    try:
        hub.wait_for(lambda: contents(hub, carol) == 200, WITHDRAWN_WITHIN, "carol let in")
        assert contents(hub, bob) == 403
        # Who joins the group later is let in too, and who leaves it is refused
        members = "/groups/power-users/users"
        hub.api("POST", members, json={"users": ["bob"]}).raise_for_status()
        try:
            hub.wait_for(lambda: contents(hub, bob) == 200, WITHDRAWN_WITHIN, "bob let in")
        finally:
            hub.api("DELETE", members, json={"users": ["bob"]}).raise_for_status()
        hub.wait_for(lambda: contents(hub, bob) == 403, WITHDRAWN_WITHIN, "bob refused")
    finally:
        r = hub.api("PATCH", "/shares/alice/", alice, json={"group": "power-users"})
    assert r.status_code == 200, r.text
    hub.wait_for(lambda: contents(hub, carol) == 403, WITHDRAWN_WITHIN, "carol refused")


def set_display_name(hub: HubServer, session: requests.Session, name: str, whose: str = ""):
    """POST the display-name page (one's own, or `whose` as an admin)."""
    path = "/hub/display-name" + (f"/{whose}" if whose else "")
    return session.post(
        hub.url + path,
        data={"display_name": name, "_xsrf": session.cookies["_xsrf"]},
        allow_redirects=False,
    )


def identity(hub: HubServer, token: str) -> dict:
    """Who alice's server says the token's person is (jupyter_server's /api/me)."""
    r = requests.get(
        f"{hub.url}/user/alice/api/me", headers={"Authorization": f"token {token}"}, timeout=30
    )
    r.raise_for_status()
    return r.json()["identity"]


def test_display_names_are_asked_editable_and_reach_a_shared_server(team):
    hub = team
    alice = hub.sessions["alice"][1]
    bob_session, bob = hub.sessions["bob"]
    # The signup form asks for a display name; alice gave one at signup
    assert 'name="display_name"' in requests.get(f"{hub.url}/hub/signup", timeout=30).text
    assert hub.api("GET", "/users/alice").json()["user_info"]["display_name"] == "Alice Liddell"
    # bob sets his on his page: stored as text, shown escaped
    r = set_display_name(hub, bob_session, "  Bob   <b>Builder</b> ")
    assert r.status_code == 200, r.text
    assert "Display name saved: Bob &lt;b&gt;Builder&lt;/b&gt;" in r.text
    assert "<b>Builder" not in r.text
    # Too long: refused, saying the bound; the name stays
    r = set_display_name(hub, bob_session, "B" * 65)
    assert r.status_code == 400 and "at most 64 characters; this one has 65" in r.text
    # bob cannot set alice's; the admin sets dave's
    assert set_display_name(hub, bob_session, "Mallory", whose="alice").status_code == 403
    admin = hub.login(ADMIN, ADMIN_PASSWORD)
    assert set_display_name(hub, admin, "Dave Dee", whose="dave").status_code == 200
    assert set_display_name(hub, admin, "X", whose="nobody-here").status_code == 404
    assert hub.api("GET", "/users/dave").json()["user_info"]["display_name"] == "Dave Dee"

    # Alice's server knows her and her visitor by display name, initials and a fixed colour
    assert share(hub, alice, user="bob").status_code == 200
    try:
        hub.wait_for(lambda: contents(hub, bob) == 200, WITHDRAWN_WITHIN, "bob let in")
        me, visitor = identity(hub, alice), identity(hub, bob)
        assert (me["username"], me["display_name"], me["initials"]) == (
            "alice",
            "Alice Liddell",
            "AL",
        )
        assert (visitor["username"], visitor["display_name"], visitor["initials"]) == (
            "bob",
            "Bob <b>Builder</b>",
            "B",  # words that start with a letter or digit count
        )
        for person in (me, visitor):
            assert person["color"].startswith("var(--jp-collaborator-color")
        assert identity(hub, bob)["color"] == visitor["color"]
    finally:
        hub.api("PATCH", "/shares/alice/", alice, json={"user": "bob"})
        hub.wait_for(lambda: contents(hub, bob) == 403, WITHDRAWN_WITHIN, "bob refused")


NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "source": "total = 6 * 7",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        },
        {"cell_type": "markdown", "source": "# Notes", "metadata": {}},
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def authorize_once(page) -> None:
    """The hub asks a visitor once to let alice's server identify them: answer it, unless an
    earlier test let them answer already."""
    ask = "button[type=submit]:text-is('Authorize')"
    page.wait_for_selector(f"{ask}, .jp-LabShell", timeout=90_000)
    if page.locator(ask).count():
        page.click(ask)


def open_notebook(browser, hub: HubServer, user: str, path: str, authorize: bool = False):
    """`user`'s JupyterLab on alice's server with the notebook `path` open."""
    page = browser.new_context(viewport={"width": 1400, "height": 800}).new_page()
    log_in(page, hub.url, user, f"{user}-Pass-12345")
    page.wait_for_url(lambda url: "/hub/login" not in url)
    page.goto(f"{hub.url}/user/alice/lab/tree/{path}?reset")
    if authorize:
        authorize_once(page)
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=90_000)
    wait_for_kernel(page)
    return page


def saved_threads(hub: HubServer, token: str, path: str) -> list | None:
    """The comment threads of the saved notebook's first cell (None: read during a save)."""
    notebook = hub.saved_notebook("alice", path, token)
    if notebook is None:
        return None
    return notebook["cells"][0]["metadata"].get("hubkit", {}).get("comments", [])


@pytest.mark.browser
def test_two_users_comment_on_a_cell_live_and_see_each_other_by_name(team, browser, tmp_path):
    hub = team
    alice = hub.sessions["alice"][1]
    bob_session, bob = hub.sessions["bob"]
    assert set_display_name(hub, bob_session, BOB_DISPLAY_NAME).status_code == 200
    path = "review.ipynb"
    r = requests.put(
        f"{hub.url}/user/alice/api/contents/{path}",
        json={"type": "notebook", "content": NOTEBOOK},
        headers={"Authorization": f"token {alice}"},
        timeout=30,
    )
    assert r.status_code in (200, 201), r.text
    assert share(hub, alice, user="bob").status_code == 200
    try:
        hub.wait_for(lambda: contents(hub, bob) == 200, WITHDRAWN_WITHIN, "bob let in")
        # Given alice and bob in the same notebook on alice's server
        a = open_notebook(browser, hub, "alice", path)
        b = open_notebook(browser, hub, "bob", path, authorize=True)
        comment_flow(hub, a, b, path, tmp_path)
    finally:
        hub.api("PATCH", "/shares/alice/", alice, json={"user": "bob"})
        hub.wait_for(lambda: contents(hub, bob) == 403, WITHDRAWN_WITHIN, "bob refused")


def comment_flow(hub: HubServer, a, b, path: str, tmp_path) -> None:
    """alice (page a) and bob (page b) in alice's notebook: presence, then a comment thread."""
    bob = hub.sessions["bob"][1]
    try:
        # Then each sees the other among the collaborators by display name, with initials
        a.click(".jp-SideBar li[data-id='jp-collaboration-panel']")
        a.wait_for_selector(".jp-CollaboratorsList .jp-Collaborator:has-text('Bob Builder')")
        assert a.inner_text(".jp-CollaboratorsList .jp-CollaboratorIcon") == "BB"
        b.click(".jp-SideBar li[data-id='jp-collaboration-panel']")
        b.wait_for_selector(".jp-CollaboratorsList .jp-Collaborator:has-text('Alice Liddell')")
        a.screenshot(path=str(tmp_path / "presence.png"))

        # When alice comments on the first cell, mentioning bob through the completion
        a.click(".jp-Notebook .jp-Cell >> nth=0", button="right")
        a.click(".lm-Menu-itemLabel:text-is('Comment on Cell')")
        box = a.locator("textarea[data-key='new']")
        box.press_sequentially("Please check the total, @bo")
        a.wait_for_selector(".hk-CommentEditor-suggestion[data-name='bob']:has-text('Bob Builder')")
        box.press("Enter")
        box.press_sequentially("thanks")
        assert box.input_value() == "Please check the total, @bob thanks"
        box.press("Control+Enter")
        a.wait_for_selector(".hk-CommentThread .hk-Comment-mention:text-is('@bob')")
        # Then bob sees it at once: the cell's indicator, and the thread by Alice Liddell
        b.click(".jp-Notebook .jp-Cell >> nth=0 >> .hk-CommentIndicator:text-is('1')")
        thread = ".hk-CommentThread:has(.hk-Comment-author:text-is('Alice Liddell'))"
        b.wait_for_selector(f"{thread} .hk-Comment-text:has-text('Please check the total')")
        # When bob replies, alice sees the reply; when she resolves the thread, bob sees that
        b.fill(f"{thread} textarea", "Checked: it is 42.")
        b.click(f"{thread} .hk-CommentEditor-send")
        a.wait_for_selector(
            ".hk-Comment.hk-mod-reply:has(.hk-Comment-author:text-is('Bob Builder'))"
        )
        a.screenshot(path=str(tmp_path / "comments-light.png"))
        a.click(".hk-CommentThread-resolve")
        b.wait_for_selector(".hk-CommentThread-status:text-is('Resolved by Alice Liddell')")
        b.wait_for_selector(".jp-Cell >> nth=0 >> .hk-CommentIndicator.hk-mod-resolved")
        # The thread is kept in the notebook file, resolved, with the reply, once saved
        a.click(".jp-Notebook .jp-Cell >> nth=1")
        a.keyboard.press("Control+s")
        hub.wait_for(
            lambda: (
                [(t["resolved"], len(t["replies"])) for t in saved_threads(hub, bob, path) or []]
                == [(True, 1)]
            ),
            30,
            "the resolved thread saved",
        )
        # And after both reload, it is still there, resolved
        for page in (a, b):
            page.reload()
            page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=90_000)
            page.click(".jp-Cell >> nth=0 >> .hk-CommentIndicator.hk-mod-resolved")
            page.wait_for_selector(
                ".hk-CommentThread.hk-mod-resolved .hk-Comment.hk-mod-reply:has-text('42')"
            )
        # When bob reopens it, alice sees it open again: counted on the cell, to resolve again
        b.click(".hk-CommentThread.hk-mod-resolved .hk-CommentThread-reopen")
        a.wait_for_selector(".hk-CommentThread:not(.hk-mod-resolved) .hk-CommentThread-resolve")
        a.wait_for_selector(
            ".jp-Cell >> nth=0 >> .hk-CommentIndicator:not(.hk-mod-resolved):text-is('1')"
        )
        assert a.locator(".hk-CommentThread-status").count() == 0
        # And the file keeps it open, with the reply, once saved
        a.click(".jp-Notebook .jp-Cell >> nth=1")
        a.keyboard.press("Control+s")
        hub.wait_for(
            lambda: (
                [(t["resolved"], len(t["replies"])) for t in saved_threads(hub, bob, path) or []]
                == [(False, 1)]
            ),
            30,
            "the reopened thread saved",
        )
        use_theme(b, "JupyterLab Dark")
        b.screenshot(path=str(tmp_path / "comments-dark.png"))
        use_theme(b, "JupyterLab Light")
    except Exception:
        a.screenshot(path=str(tmp_path / "failed-alice.png"))
        b.screenshot(path=str(tmp_path / "failed-bob.png"))
        raise
    finally:
        a.context.close()
        b.context.close()
