"""Tests for who may do what on a running hub: roles and scopes via the REST API, the metrics
token, the admin panel and usage page, per-group sizes and isolation between two users."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest
import requests

from ..hubserver import ADMIN, ADMIN_PASSWORD, HubServer

pytestmark = pytest.mark.slow
METRICS_TOKEN = "test-metrics-token-0123456789abcdef"
QUOTA = 1024 * 1024  # HUBKIT_HOME_QUOTA=1M: a 1 MB file puts a home over the warning line


@pytest.fixture(scope="module")
def team(tmp_path_factory, catalog, layout, available_profiles):
    """A hub with alice (power-users, a large server) and bob (a medium one) running, mona in
    `monitoring` and nina in no group with no server; alice's spawn form as she saw it before
    her server started (a running server's /hub/spawn shows the server instead). Each test
    may read this state and changes none of it."""
    tmp = tmp_path_factory.mktemp("access")
    env = {"HUBKIT_METRICS_TOKEN": METRICS_TOKEN, "HUBKIT_HOME_QUOTA": "1M"}
    with HubServer(tmp, catalog, layout, **env) as hub:
        hub.users = {
            "alice": hub.add_account("alice", groups=("power-users",)),
            "bob": hub.add_account("bob"),
            "mona": hub.add_account("mona", groups=("monitoring",)),
            "nina": hub.add_account("nina"),
        }
        hub.alice_form = hub.users["alice"][0].get(f"{hub.url}/hub/spawn").text
        hub.spawn("alice", token(hub, "alice"), {"profile": "python-sql", "size": "large"})
        hub.spawn("bob", token(hub, "bob"), {"profile": "python-sql", "size": "medium"})
        yield hub


def token(hub: HubServer, name: str) -> str:
    return hub.users[name][1]


def test_group_members_get_their_bigger_size_and_others_cannot_take_it(team):
    hub = team
    # Given alice in power-users and mona in no group with sizes, their forms differ
    assert 'value="large"' in hub.alice_form
    mona_form = hub.users["mona"][0].get(f"{hub.url}/hub/spawn").text
    assert 'value="small"' in mona_form and 'value="large"' not in mona_form
    # When mona asks the REST API for the large size anyway, it is refused with 400
    r = hub.api(
        "POST",
        "/users/mona/server",
        token(hub, "mona"),
        json={"profile": "python-sql", "size": "large"},
    )
    assert r.status_code == 400 and "unknown size 'large'" in r.json()["message"]
    assert not hub.api("GET", "/users/mona").json()["servers"]
    # Then alice runs the large size
    server = hub.api("GET", "/users/alice").json()["servers"][""]
    assert server["user_options"] == {"profile": "python-sql", "size": "large"}


def test_group_property_adds_sizes_at_run_time_limited_to_resources(team):
    hub = team
    # Given an admin who gives a new group sizes through its properties, one of them tampered
    assert hub.api("POST", "/groups/lab").status_code == 201
    sizes = {
        "xl": {"display_name": "XL: 8 CPUs", "cpu_limit": 8.0, "mem_limit": "16G"},
        "evil": {"display_name": "Evil", "image": "evil/image:latest"},
    }
    r = hub.api("PUT", "/groups/lab/properties", json={"hubkit_sizes": sizes})
    assert r.status_code == 200, r.text
    hub.api("POST", "/groups/lab/users", json={"users": ["mona"]}).raise_for_status()
    try:
        # When a member opens the form, it offers the resource-only size and ignores the other
        form = hub.users["mona"][0].get(f"{hub.url}/hub/spawn").text
        assert 'value="xl"' in form and 'value="evil"' not in form
        nina_form = hub.users["nina"][0].get(f"{hub.url}/hub/spawn").text
        assert 'value="small"' in nina_form and 'value="xl"' not in nina_form
    finally:
        hub.api("DELETE", "/groups/lab").raise_for_status()


def test_user_cannot_reach_another_users_server_api_or_files(team):
    hub = team
    alice = token(hub, "alice")
    bob_headers = {"Authorization": f"token {token(hub, 'bob')}"}
    alice_headers = {"Authorization": f"token {alice}"}
    # Given bob has a file in his home
    r = requests.put(
        f"{hub.url}/user/bob/api/contents/secret.txt",
        json={"type": "file", "format": "text", "content": "bob's secret"},
        headers=bob_headers,
    )
    assert r.status_code == 201, r.text
    # When alice uses her token on bob's server, the hub's API about bob, or his server's start
    assert requests.get(f"{hub.url}/user/bob/api/status", headers=alice_headers).status_code == 403
    r = requests.get(f"{hub.url}/user/bob/api/contents/secret.txt", headers=alice_headers)
    assert r.status_code == 403 and "secret" not in r.text
    assert hub.api("DELETE", "/users/bob/server", alice).status_code == 404
    # (every user may read the names of the others, to pick them in the Share dialog: the name
    # (JupyterHub's name model also says whether one is an admin), no servers, activity, groups)
    private = {"servers", "server", "groups", "roles", "last_activity", "created", "pending"}
    r = hub.api("GET", "/users/bob", alice)
    assert r.status_code == 200 and not set(r.json()) & private, r.text
    assert not r.json().get("user_info"), r.text
    listed = hub.api("GET", "/users", alice).json()
    assert {"alice", "bob"} <= {u["name"] for u in listed}
    others = [u for u in listed if u["name"] != "alice"]
    assert not any(set(u) & private or u.get("user_info") for u in others), others
    # Or her browser session on bob's server
    r = hub.users["alice"][0].get(f"{hub.url}/user/bob/api/contents/secret.txt")
    assert r.status_code == 403 and "bob's secret" not in r.text, r.url
    # Or a path out of her own server's root
    for path in ("..%2Fbob%2Fsecret.txt", "%2E%2E/bob/secret.txt"):
        r = requests.get(f"{hub.url}/user/alice/api/contents/{path}", headers=alice_headers)
        assert r.status_code == 404 and "bob's secret" not in r.text, path
    # Then bob still reads his own file
    r = requests.get(f"{hub.url}/user/bob/api/contents/secret.txt", headers=bob_headers)
    assert r.json()["content"] == "bob's secret"


def test_monitoring_role_reads_everything_and_changes_nothing(team):
    hub = team
    mona = token(hub, "mona")
    # When a member of the monitoring group reads users, servers, groups and metrics, it works
    assert {u["name"] for u in hub.api("GET", "/users", mona).json()} >= {"alice", "bob", ADMIN}
    assert hub.api("GET", "/users/alice", mona).status_code == 200
    assert hub.api("GET", "/groups", mona).status_code == 200
    assert hub.api("GET", "/services", mona).status_code == 200
    headers = {"Authorization": f"token {mona}"}
    assert requests.get(f"{hub.url}/hub/metrics", headers=headers).status_code == 200
    # Then every write is refused: 404 where she holds the scope for her own server only
    # (JupyterHub answers as if bob's did not exist), 403 where she holds it for nobody
    assert hub.api("POST", "/users/bob/server", mona).status_code == 404
    assert hub.api("DELETE", "/users/bob/server", mona).status_code == 404
    assert hub.api("POST", "/users/mallory", mona).status_code == 403
    assert hub.api("PATCH", "/users/mona", mona, json={"admin": True}).status_code == 403
    assert (
        hub.api("POST", "/groups/power-users/users", mona, json={"users": ["mona"]}).status_code
        == 403
    )
    # And mona cannot use the servers she can see
    assert requests.get(f"{hub.url}/user/bob/api/status", headers=headers).status_code == 403


def test_services_have_least_privilege(team):
    hub = team
    services = {s["name"]: s for s in hub.api("GET", "/services").json().values()}
    # Then the culler and the metrics scraper are services with their own roles, not admin
    assert services["idle-culler"]["roles"] == ["idle-culler"]
    assert services["metrics"]["roles"] == ["metrics"]
    # And their tokens carry only their roles' scopes (JupyterHub 6 has no roles API)
    scopes = set(hub.api("GET", "/user", METRICS_TOKEN).json()["scopes"])
    assert scopes == {"read:metrics"}, scopes
    mona = set(hub.api("GET", "/user", token(hub, "mona")).json()["scopes"])
    others = {s for s in mona if "!user=mona" not in s and "!server=mona/" not in s}
    writes = ("admin:", "delete:", "servers", "users", "groups", "tokens", "shares")
    assert others and not any(s.startswith(writes) for s in others), others


def test_metrics_need_a_read_metrics_token(team):
    hub = team
    metrics = f"{hub.url}/hub/metrics"
    # When Prometheus scrapes with the metrics token, it gets the metrics
    r = requests.get(metrics, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200 and "jupyterhub_running_servers" in r.text
    # Then without a token, or with a plain user's, it is refused
    assert requests.get(metrics).status_code == 403
    bob = {"Authorization": f"token {token(hub, 'bob')}"}
    assert requests.get(metrics, headers=bob).status_code == 403
    # And the metrics token can do nothing else
    assert hub.api("GET", "/users", METRICS_TOKEN).status_code == 403
    # (it holds no read:users at all: 403, not 404)
    assert hub.api("GET", "/users/bob", METRICS_TOKEN).status_code == 403


@pytest.mark.parametrize("page", ["admin", "usage", "authorize", "change-password/alice"])
def test_admin_pages(team, page):
    hub = team
    # Then the admin opens each admin page and a plain user is refused
    admin = hub.login(ADMIN, ADMIN_PASSWORD)
    assert admin.get(f"{hub.url}/hub/{page}").status_code == 200
    assert hub.users["bob"][0].get(f"{hub.url}/hub/{page}").status_code == 403


def test_usage_reports_servers_and_storage_against_the_quota(team):
    hub = team
    # Given alice's home holds 1 MB, at the 1M quota
    big = hub.tmp / "homes" / "alice" / "big.bin"
    big.write_bytes(b"\1" * QUOTA)
    try:
        # When the admin asks for usage
        r = hub.api("GET", "/hubkit/usage")
        assert r.status_code == 200, r.text
        rows = {row["name"]: row for row in r.json()["users"]}
        # Then running servers show state, profile, activity, CPU and memory of their processes
        alice = rows["alice"]
        assert alice["state"] == "running"
        assert alice["user_options"] == {"profile": "python-sql", "size": "large"}
        assert alice["last_activity"]
        assert alice["cpu_percent"] is not None and alice["memory_bytes"] > 50 * 2**20
        # And the home's storage against the quota, flagged from 90%
        assert alice["home_bytes"] >= QUOTA and alice["quota_bytes"] == QUOTA
        assert alice["quota_warning"] is True
        assert rows["bob"]["quota_warning"] is False and rows["bob"]["home_bytes"] > 0
        assert rows["mona"]["state"] == "stopped" and rows["mona"]["memory_bytes"] is None
        # And the page shows it with a warning banner for alice
        page = hub.login(ADMIN, ADMIN_PASSWORD).get(f"{hub.url}/hub/usage").text
        assert "hubkit-quota-warning" in page and "<strong>alice</strong>" in page
        assert 'data-user="bob"' in page
        # And the read-only monitoring role may read it, plain users may not
        assert hub.api("GET", "/hubkit/usage", token(hub, "mona")).status_code == 200
        assert hub.api("GET", "/hubkit/usage", token(hub, "bob")).status_code == 403
    finally:
        big.unlink()
