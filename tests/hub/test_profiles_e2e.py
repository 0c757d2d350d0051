"""Tests for the hub end to end: real JupyterHub, proxy, local spawner, kernels (one hub for
the module: each test stops what it starts)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest
import requests

from ..hubserver import ADMIN, ADMIN_PASSWORD

pytestmark = pytest.mark.slow

# Code each language prints a known answer with, to prove the kernel runs in the server.
PROBES = {
    "python": ("import sqlalchemy, duckdb, pandas; print(pandas.Series([1, 2]).sum() * 21)", "63"),
    "R": ("cat(sum(c(40, 2)))", "42"),
    "julia": ("print(40 + 2)", "42"),
}


async def test_every_available_profile_runs_its_kernels(module_hub, catalog, available_profiles):
    hub = module_hub
    # Given the admin logged in through the login form
    session = hub.login(ADMIN, ADMIN_PASSWORD)
    token = hub.new_token(session, ADMIN)
    # When the profile form is opened, it offers exactly the locally available profiles
    form = session.get(f"{hub.url}/hub/spawn")
    assert form.status_code == 200
    for slug in catalog.profiles:
        assert (f'value="{slug}"' in form.text) == (slug in available_profiles), slug
    for slug in available_profiles:
        # When each profile is started
        server = hub.spawn(ADMIN, token, {"profile": slug})
        # Then the admin API records the profile and a default size
        assert server["user_options"] == {"profile": slug, "size": "small"}
        # And the server offers exactly the profile's kernels
        specs = requests.get(
            f"{hub.url}/user/{ADMIN}/api/kernelspecs", headers={"Authorization": f"token {token}"}
        ).json()
        kernels = catalog.kernels(slug)
        assert set(specs["kernelspecs"]) == {k.name for k, _ in kernels}
        # And code runs in each of them over the kernel websocket
        for kernel, _ in kernels:
            code, expected = PROBES[kernel.language]
            assert expected in await hub.execute(ADMIN, token, kernel.name, code)
        # When it is stopped, it is gone
        assert hub.api("DELETE", f"/users/{ADMIN}/server", token).status_code in (202, 204)
        hub.wait_for(lambda: not hub.api("GET", f"/users/{ADMIN}").json()["servers"], 60, "stop")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"profile": "no-such-profile"}, "unknown profile"),
        ({"profile": "python-sql", "size": "huge"}, "unknown size"),
        ({"profile": "python-sql", "image": "evil/image:latest"}, "unsupported option"),
        ({"profile": "python-sql", "mem_limit": "512G"}, "unsupported option"),
    ],
)
def test_tampered_spawn_request_is_refused(module_hub, options, message):
    hub = module_hub
    # When the REST API is sent options the form never offers
    r = hub.api("POST", f"/users/{ADMIN}/server", json=options)
    # Then the hub answers 400 with a message, and no server starts
    assert r.status_code == 400, r.text
    assert message in r.json()["message"]
    assert not hub.api("GET", f"/users/{ADMIN}").json()["servers"]


def test_tampered_form_is_refused(module_hub):
    hub = module_hub
    session = hub.login(ADMIN, ADMIN_PASSWORD)
    r = session.post(
        f"{hub.url}/hub/spawn",
        data={
            "profile": "python-sql",
            "profile-option-python-sql--size": "enormous",
            "_xsrf": session.cookies["_xsrf"],
        },
    )
    assert r.status_code == 400
    assert "unknown size" in r.text
