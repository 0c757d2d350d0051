"""Tests for the servers' lifecycle: PostgreSQL hub state, waiting for the database, an external
proxy across hub restarts, the idle culler, and starts that fail or hang."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from hubkit.hub.database import wait_for_database
from tests import ROOT

from ..databases import free_port
from ..hubserver import ADMIN, ADMIN_PASSWORD, HubServer

pytestmark = pytest.mark.slow


async def test_signup_to_running_code_with_postgresql(make_hub, postgres, available_profiles):
    # Given a hub keeping its state in a real PostgreSQL
    hub = make_hub("pg", JUPYTERHUB_DB_URL=postgres.create_database("hub_e2e"))
    # When a user signs up, is approved by the admin and logs in
    session, token = hub.add_account("paula", "paula-long-Passphrase")
    # And starts a server with a profile and a size through the form
    slug = available_profiles[0]
    r = session.post(
        f"{hub.url}/hub/spawn",
        data={
            "profile": slug,
            f"profile-option-{slug}--size": "medium",
            "_xsrf": session.cookies["_xsrf"],
        },
    )
    assert r.status_code == 200, r.text
    hub.wait_for(
        lambda: (hub.api("GET", "/users/paula").json()["servers"].get("") or {}).get("ready"),
        120,
        "paula's server",
    )
    # Then code runs in it, and the choice is recorded for the admin
    assert "42" in await hub.execute("paula", token, "python3", "print(6 * 7)")
    server = hub.api("GET", "/users/paula").json()["servers"][""]
    assert server["user_options"] == {"profile": slug, "size": "medium"}
    # When she stops it, it is gone
    assert hub.api("DELETE", "/users/paula/server", token).status_code == 204
    hub.wait_for(lambda: not hub.api("GET", "/users/paula").json()["servers"], 60, "stopped")
    assert hub.server_processes() == []


def test_unreachable_database_is_one_clear_line(tmp_path, catalog, layout, available_profiles):
    # Given a database URL whose host does not answer (with a password that must not leak)
    port = free_port()
    env = {
        **HubServer(tmp_path, catalog, layout).env,  # a test hub's settings, never started
        "JUPYTERHUB_DB_URL": f"postgresql+psycopg://hub:s3cret@127.0.0.1:{port}/jupyterhub",
        "HUBKIT_DB_WAIT_SECONDS": "2",
    }
    # When the hub starts (told to wait 2 s, where the default is 60)
    run = subprocess.run(
        [sys.executable, "-m", "jupyterhub", "-f", str(ROOT / "hub" / "jupyterhub_config.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=50,  # only a bounded wait ends before this, however slow the machine
    )
    # Then it exits after the bounded wait with one line naming the variable and the host
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"JUPYTERHUB_DB_URL: cannot reach the database at 127.0.0.1:{port}")
    assert "Traceback" not in run.stderr and "s3cret" not in run.stderr


def test_wait_for_database(postgres):
    # Then a reachable database returns at once, a malformed URL is named
    wait_for_database(postgres.url(), timeout=0)
    with pytest.raises(SystemExit, match="JUPYTERHUB_DB_URL is not a database URL") as info:
        wait_for_database("postgresql://hub:s3cret-pw@db:notaport/hub", timeout=0)
    assert "s3cret" not in str(info.value)  # a malformed URL may still hold the password


def test_servers_survive_a_hub_restart_with_an_external_proxy(make_hub):
    # Given the proxy as its own process and a running server with a kernel
    hub = make_hub("external", external_proxy=True, HUBKIT_KEEP_SERVERS="true")
    hub.spawn(ADMIN, hub.admin_token, {})
    headers = {"Authorization": f"token {hub.admin_token}"}
    base = f"{hub.url}/user/{ADMIN}"
    kernel = requests.post(f"{base}/api/kernels", json={"name": "python3"}, headers=headers)
    kernel.raise_for_status()
    pids = {p.pid for p in hub.server_processes()}
    # When the hub is stopped, the proxy keeps routing to the server (its version endpoint
    # needs no login: requests that do are checked with the hub, and wait for it)
    hub.stop()
    assert "version" in requests.get(f"{base}/api", timeout=30).json()
    # And when it is started again
    hub.start()
    # Then the same server process is still running, the hub counts it as ready (it checks
    # the servers it finds as it starts), and it is reachable with its kernel
    assert {p.pid for p in hub.server_processes()} == pids
    hub.wait_for(
        lambda: hub.api("GET", f"/users/{ADMIN}").json()["servers"][""]["ready"], 60, "ready"
    )
    r = requests.get(f"{base}/api/kernels", headers=headers)
    assert r.status_code == 200 and kernel.json()["id"] in {k["id"] for k in r.json()}
    assert hub.login(ADMIN, ADMIN_PASSWORD).get(f"{base}/lab").status_code == 200


def test_idle_culler_stops_an_idle_server(make_hub):
    # Given a culler stopping servers idle for 10 s, checking every 5 s
    hub = make_hub("cull", HUBKIT_CULL_TIMEOUT="10", HUBKIT_CULL_EVERY="5")
    hub.spawn(ADMIN, hub.admin_token, {})
    started = time.monotonic()
    # When nobody uses the server, it is stopped within timeout + interval (+ margin)
    hub.wait_for(lambda: not hub.api("GET", f"/users/{ADMIN}").json()["servers"], 60, "culled")
    assert time.monotonic() - started >= 5
    assert f"Culling server {ADMIN}" in hub.log_path.read_text()
    assert hub.server_processes() == []


def test_account_culler_deletes_unused_accounts_only_when_asked(make_hub):
    # Given accounts unused for 8 s are culled, checking every 3 s
    hub = make_hub("cull-users", HUBKIT_CULL_USERS_AFTER="8", HUBKIT_CULL_EVERY="3")
    hub.signup("idle-ida", "ida-long-passphrase-7")
    hub.authorize("idle-ida")
    hub.login("idle-ida", "ida-long-passphrase-7")
    assert hub.api("GET", "/users/idle-ida").status_code == 200
    # When she does not come back, Then her account goes, and the admin's stays
    hub.wait_for(lambda: hub.api("GET", "/users/idle-ida").status_code == 404, 60, "culled")
    assert hub.api("GET", f"/users/{ADMIN}").status_code == 200
    # And the culler holds no admin role, only its scopes
    service = hub.api("GET", "/services/account-culler").json()
    assert service["roles"] == ["account-culler"]


def test_a_server_that_dies_at_start_says_why(make_hub):
    # Given a single-user server that cannot start (its application cannot be imported), and
    # a hub that waits for a spawn's outcome longer than a loaded machine takes to see it die
    # (JupyterHub answers 202 "pending" after slow_spawn_timeout, 10 s by default)
    hub = make_hub(
        "broken",
        options=("--JupyterHub.slow_spawn_timeout=120",),
        JUPYTERHUB_SINGLEUSER_APP="hubkit_no_such_module.App",
    )
    session = hub.login(ADMIN, ADMIN_PASSWORD)

    def progress() -> str:
        """The spawn's progress stream: what the pending page shows, to its last event."""
        return session.get(
            f"{hub.url}/hub/api/users/{ADMIN}/server/progress",
            headers={"X-XSRFToken": session.cookies["_xsrf"]},
            timeout=60,
        ).text

    # When it is started through the REST API
    r = hub.api("POST", f"/users/{ADMIN}/server", json={})
    # Then the answer says it exited, with the end of its log, not a bare 500
    assert r.status_code == 500, r.text
    said = r.json()["message"]
    assert "Your server exited with status" in said and "hubkit_no_such_module" in said
    # And through the form, the spawn page's progress stream ends with the same
    session.post(f"{hub.url}/hub/spawn", data={"_xsrf": session.cookies["_xsrf"]})
    said = progress()
    assert "Your server exited with status" in said and "hubkit_no_such_module" in said
    assert not hub.api("GET", f"/users/{ADMIN}").json()["servers"]


def test_a_start_past_the_timeout_is_cleaned_up(make_hub):
    # Given a start timeout shorter than the server needs to start
    hub = make_hub("slow", HUBKIT_START_TIMEOUT="1")
    # When a server is started
    r = hub.api("POST", f"/users/{ADMIN}/server", json={})
    # Then the hub gives up with a timeout and leaves neither a server nor a process behind
    assert r.status_code == 500
    assert "did not start within 1 seconds" in r.json()["message"]
    hub.wait_for(lambda: not hub.server_processes(), 20, "process killed")
    assert not hub.api("GET", f"/users/{ADMIN}").json()["servers"]
