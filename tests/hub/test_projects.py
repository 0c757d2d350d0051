"""Shared projects (hub policy `projects`, hubkit.hub.projects): the hub makes each project's
account, group and role from the policy while it runs; members open the project's server with
their own identity, others cannot, and a member removed from the policy loses access at once."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import time

import pytest
import requests
import tornado.httpclient
import tornado.websocket
import yaml

from tests import ROOT

from ..browser import closed_after, log_in
from ..hubserver import ADMIN, ADMIN_PASSWORD, HubServer
from .test_sharing import NOTEBOOK as NB
from .test_sharing import WITHDRAWN_WITHIN, run, until_closed

pytestmark = pytest.mark.slow
ACCOUNT = "project-analytics"
# The test hub re-reads the policy every second (HUBKIT_PROJECTS_SYNC_SECONDS)
APPLIED_WITHIN = 15


def write_policy(path, projects: dict) -> None:
    """The shipped policy with `projects`, written where the running hub reads it."""
    data = yaml.safe_load((ROOT / "hub" / "policy.yaml").read_text())
    data["projects"] = projects
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def analytics(*users: str) -> dict:
    return {
        "analytics": {
            "display_name": "Analytics team",
            "users": list(users),
            "profile": "python-sql",
        }
    }


def project_api(hub: HubServer, token: str, method: str, path: str, **kw) -> requests.Response:
    return requests.request(
        method,
        f"{hub.url}/user/{ACCOUNT}/api/{path}",
        headers={"Authorization": f"token {token}"},
        timeout=60,
        allow_redirects=False,
        **kw,
    )


def home(hub: HubServer, who: str) -> str:
    r = hub.sessions[who][0].get(f"{hub.url}/hub/home")
    r.raise_for_status()
    return r.text


@pytest.fixture(scope="module")
def projects_hub(tmp_path_factory, catalog, layout, available_profiles):
    """A hub whose policy file the tests change while it runs; alice (Alice Liddell), bob and
    eve have accounts, passwords `<name>-Pass-12345`."""
    tmp = tmp_path_factory.mktemp("projects")
    policy = tmp / "policy.yaml"
    write_policy(policy, {})
    with HubServer(
        tmp, catalog, layout, HUBKIT_POLICY=str(policy), HUBKIT_PROJECTS_SYNC_SECONDS="1"
    ) as hub:
        hub.policy = policy
        hub.sessions = {
            name: hub.add_account(name, f"{name}-Pass-12345", (), display)
            for name, display in (("alice", "Alice Liddell"), ("bob", "Bob"), ("eve", ""))
        }
        yield hub


async def test_members_share_the_projects_server_and_a_removed_member_loses_it(projects_hub):
    hub = projects_hub
    alice, bob, eve = (hub.sessions[n][1] for n in ("alice", "bob", "eve"))
    # When the admin adds a project for alice and bob (and a name with no account) to the
    # running hub's policy
    write_policy(hub.policy, analytics("alice", "bob", "nobody-here"))
    hub.wait_for(
        lambda: hub.api("GET", f"/users/{ACCOUNT}").status_code == 200,
        APPLIED_WITHIN,
        "the project's account",
    )
    # Then the admin's home page names the unknown member; nobody may log in as the project
    admin = hub.login(ADMIN, ADMIN_PASSWORD)
    hub.wait_for(
        lambda: (
            "projects.analytics.users[2]: no user named &#39;nobody-here&#39;"
            in admin.get(f"{hub.url}/hub/home").text
        ),
        APPLIED_WITHIN,
        "the unknown member named on the admin's home page",
    )
    assert hub.post_login(ACCOUNT, "anything").url.endswith("/hub/login")
    # And alice and bob find it on their home page, eve does not
    hub.wait_for(lambda: "Analytics team" in home(hub, "bob"), APPLIED_WITHIN, "bob's list")
    page = home(hub, "alice")
    assert "Analytics team" in page and f'href="/hub/spawn/{ACCOUNT}"' in page
    assert "Analytics team" not in home(hub, "eve")

    # When alice opens it: the link starts the project's server, with the project's profile
    # and no form
    r = hub.sessions["alice"][0].get(f"{hub.url}/hub/spawn/{ACCOUNT}", allow_redirects=False)
    assert r.status_code == 302, r.text
    hub.wait_for(
        lambda: (hub.api("GET", f"/users/{ACCOUNT}").json()["servers"].get("") or {}).get("ready"),
        120,
        "the project's server",
    )
    server = hub.api("GET", f"/users/{ACCOUNT}").json()["servers"][""]
    assert server["user_options"]["profile"] == "python-sql"
    # Then both members edit the project's files, each as themselves; the files live in the
    # project's own home
    notes = {"type": "file", "format": "text", "content": "alice: the plan\n"}
    assert project_api(hub, alice, "PUT", "contents/notes.md", json=notes).status_code == 201
    seen = project_api(hub, bob, "GET", "contents/notes.md").json()["content"]
    notes["content"] = seen + "bob: agreed\n"
    assert project_api(hub, bob, "PUT", "contents/notes.md", json=notes).status_code == 200
    assert project_api(hub, alice, "GET", "contents/notes.md").json()["content"] == (
        "alice: the plan\nbob: agreed\n"
    )
    on_disk = hub.tmp / "homes" / ACCOUNT / "notes.md"
    assert on_disk.read_text() == "alice: the plan\nbob: agreed\n"
    me = project_api(hub, alice, "GET", "me").json()["identity"]
    assert (me["username"], me["display_name"]) == ("alice", "Alice Liddell")
    # And eve, not a member, can neither open it nor stop it (JupyterHub answers 404 for a
    # server outside one's scopes, as if it were not there)
    assert project_api(hub, eve, "GET", "contents").status_code == 403
    assert hub.api("DELETE", f"/users/{ACCOUNT}/server", eve).status_code == 404

    # Given bob running code in a project kernel over an open websocket
    kernel = project_api(hub, bob, "POST", "kernels", json={"name": "python3"}).json()["id"]
    url = hub.url.replace("http", "ws", 1) + f"/user/{ACCOUNT}/api/kernels/{kernel}/channels"
    ws = await tornado.websocket.websocket_connect(
        tornado.httpclient.HTTPRequest(url, headers={"Authorization": f"token {bob}"})
    )
    assert (await run(ws, "print(6 * 7)")).strip() == "42"
    # When the admin removes bob from the project, without restarting the hub
    write_policy(hub.policy, analytics("alice"))
    removed = time.monotonic()
    # Then his websocket is closed and his requests are refused; alice keeps hers
    await asyncio.wait_for(until_closed(ws), APPLIED_WITHIN + WITHDRAWN_WITHIN)
    assert ws.close_code == 1008, ws.close_reason
    print(f"bob's websocket closed {time.monotonic() - removed:.1f} s after the policy changed")
    hub.wait_for(
        lambda: project_api(hub, bob, "GET", "contents").status_code == 403,
        WITHDRAWN_WITHIN,
        "bob refused",
    )
    assert "Analytics team" not in home(hub, "bob")
    assert project_api(hub, alice, "GET", "contents/notes.md").status_code == 200


def project_running(hub: HubServer) -> None:
    """The project of alice and bob in the policy, applied, and its server running."""
    write_policy(hub.policy, analytics("alice", "bob"))
    for who in ("alice", "bob"):
        hub.wait_for(
            lambda who=who: "Analytics team" in home(hub, who), APPLIED_WITHIN, f"{who}'s list"
        )
    if not hub.api("GET", f"/users/{ACCOUNT}").json()["servers"]:
        hub.spawn(ACCOUNT, hub.sessions["alice"][1], {})


def member_page(browser, hub: HubServer, who: str, path: str):
    """`who`'s JupyterLab on the project's server with the notebook `path` open."""
    page = browser.new_context(viewport={"width": 1400, "height": 800}).new_page()
    log_in(page, hub.url, who, f"{who}-Pass-12345")
    page.wait_for_url(lambda url: "/hub/login" not in url)
    page.goto(f"{hub.url}/user/{ACCOUNT}/lab/tree/{path}?reset")
    # every member is a visitor of the project's server: the hub asks once
    page.click("button[type=submit]:text-is('Authorize')")
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=90_000)
    return page


@pytest.mark.browser
def test_two_members_type_into_the_same_project_notebook(projects_hub, browser, tmp_path):
    hub = projects_hub
    alice = hub.sessions["alice"][1]
    # Given alice and bob in the project, its server running, a notebook in it
    project_running(hub)
    path = "team.ipynb"
    r = project_api(hub, alice, "PUT", f"contents/{path}", json={"type": "notebook", "content": NB})
    assert r.status_code in (200, 201), r.text
    a = member_page(browser, hub, "alice", path)
    b = member_page(browser, hub, "bob", path)
    cell = ".jp-Notebook .jp-Cell >> nth=0 >> .cm-content"
    with closed_after(tmp_path, alice=a, bob=b):
        # When each types at the end of the same cell
        for page, text, other in ((a, "  # from alice", b), (b, "  # from bob", a)):
            page.click(cell)
            page.keyboard.press("Control+End")
            page.keyboard.type(text)
            # Then the other sees it as it is typed
            other.wait_for_selector(f"{cell}:has-text('{text.strip()}')", timeout=30_000)
        assert a.inner_text(cell) == b.inner_text(cell) == "total = 6 * 7  # from alice  # from bob"
        a.screenshot(path=str(tmp_path / "project-notebook.png"))
        # And the project's file holds both once saved
        a.keyboard.press("Control+s")
        hub.wait_for(
            lambda: "# from bob" in str(project_api(hub, alice, "GET", f"contents/{path}").json()),
            30,
            "the notebook saved",
        )


def test_a_project_removed_from_the_policy_has_its_server_stopped(projects_hub):
    hub = projects_hub
    alice = hub.sessions["alice"][1]
    # Given the project's server running for its members
    project_running(hub)
    assert project_api(hub, alice, "GET", "contents").status_code == 200
    # When the admin removes the project from the policy, without restarting the hub
    write_policy(hub.policy, {})
    # Then its server is stopped, and its members no longer see it nor reach it
    hub.wait_for(
        lambda: hub.api("GET", f"/users/{ACCOUNT}").json()["servers"] == {},
        APPLIED_WITHIN + 30,
        "the removed project's server stopped",
    )
    assert "Analytics team" not in home(hub, "alice")
    assert project_api(hub, alice, "GET", "contents").status_code != 200
    # And its account (and home) stay, so putting it back brings the files back
    assert hub.api("GET", f"/users/{ACCOUNT}").status_code == 200
