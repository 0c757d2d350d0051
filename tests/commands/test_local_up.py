"""Tests for `./stack up` (hubkit local up) as a person uses it in a terminal: Ctrl-C stops
the hub, its services and the users' servers within seconds."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
import pty
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests

from ..databases import free_port

pytestmark = pytest.mark.slow


def local_home(tmp_path: Path, layout) -> Path:
    """A local-mode folder of its own (hub state, homes, local.env) using the installed
    environments, profiles and proxy."""
    home = tmp_path / "hubkit"
    home.mkdir()
    for name in ("envs", "profiles", "proxy"):
        (home / name).symlink_to(layout.root / name)
    return home


def start_in_terminal(home: Path, url: str, hub_api: str, **env: str) -> tuple[int, int]:
    """`hubkit local up --no-install` on a pseudo-terminal, as a shell runs it: (pid, fd)."""
    environ = {
        **os.environ,
        "HUBKIT_HOME": str(home),
        "JUPYTERHUB_BIND_URL": url,
        "JUPYTERHUB_HUB_BIND_URL": hub_api,
        "CONFIGPROXY_API_URL": f"http://127.0.0.1:{free_port()}",
        **env,
    }
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal, it is the foreground job
        os.execve(
            sys.executable, [sys.executable, "-m", "hubkit", "local", "up", "--no-install"], environ
        )
    threading.Thread(target=drain, args=(fd, home / "terminal.log"), daemon=True).start()
    return pid, fd


def drain(fd: int, log: Path) -> None:
    """Read what the hub writes to its terminal (a full pty would block it) into a file."""
    with log.open("ab") as out:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            out.write(data)


def wait_until(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    raise TimeoutError(f"{what} not within {timeout} s")


def answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/hub/api", timeout=2).ok
    except requests.ConnectionError:
        return False


def command(process: psutil.Process) -> str:
    """A process's command line, "" once it has exited (a zombie has none)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def listening(url: str) -> bool:
    """Whether anything accepts connections on the URL's port (a 503 still counts)."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def spawn_admin_server(home: Path, url: str) -> psutil.Process:
    """Log in as local mode's admin, start a server, return its process."""
    password = next(
        line.split("=", 1)[1]
        for line in (home / "local.env").read_text().splitlines()
        if line.startswith("JUPYTER_PASSWORD=")
    )
    session = requests.Session()
    session.get(f"{url}/hub/login")
    session.post(
        f"{url}/hub/login",
        data={"username": "admin", "password": password, "_xsrf": session.cookies["_xsrf"]},
    ).raise_for_status()
    r = session.post(
        f"{url}/hub/api/users/admin/server",
        json={},
        headers={"X-XSRFToken": session.cookies["_xsrf"]},
    )
    assert r.status_code in (201, 202), r.text
    wait_until(
        lambda: (
            session.get(f"{url}/hub/api/users/admin").json()["servers"].get("", {}).get("ready")
        ),
        120,
        "server ready",
    )
    pid = session.get(f"{url}/hub/api/users/admin").json()["servers"][""]["state"]["pid"]
    return psutil.Process(pid)


@pytest.mark.parametrize("keep", [False, True], ids=["stop-servers", "keep-servers"])
def test_ctrl_c_stops_the_hub_within_seconds(tmp_path, layout, available_profiles, keep):
    # Given `./stack up` in a terminal, with a user's server running
    home, url = local_home(tmp_path, layout), f"http://127.0.0.1:{free_port()}"
    hub_api = f"http://127.0.0.1:{free_port()}"
    proxy_api = f"http://127.0.0.1:{free_port()}"
    pid, terminal = start_in_terminal(
        home,
        url,
        hub_api,
        CONFIGPROXY_API_URL=proxy_api,
        **({"HUBKIT_KEEP_SERVERS": "true"} if keep else {}),
    )
    try:
        wait_until(lambda: answers(url), 90, "hub answering")
        server = spawn_admin_server(home, url)
        # (Everything `./stack up` started but the user's server: hub, proxy, services.)
        user_server = {server.pid, *(p.pid for p in server.children(recursive=True))}
        started = [
            p
            for p in psutil.Process(pid).children(recursive=True)
            if p.pid not in user_server and command(p)  # (not zombies, already gone)
        ]
        culler = [p for p in started if "jupyterhub_idle_culler" in command(p)]
        assert culler, [command(p) for p in started]
        # When the user presses Ctrl-C
        os.write(terminal, b"\x03")
        # Then the hub, its proxy and its services (the culler) are gone within a few seconds
        took = wait_until(lambda: os.waitpid(pid, os.WNOHANG)[0] == pid, 30, "hub exit")
        pid = 0
        assert took < 10, f"the hub took {took:.1f} s to stop"
        _, alive = psutil.wait_procs(started, timeout=2)
        assert not alive, [command(p)[:200] for p in alive]
        # And nothing listens on the hub's address, its API or the proxy's API any more
        assert not any(listening(u) for u in (url, hub_api, proxy_api))
        # And the user's server stopped with it, unless the user asked to keep it
        if keep:
            assert server.is_running()
        else:
            wait_until(lambda: not server.is_running(), 10, "server stopped")
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(terminal)
        for process in psutil.process_iter():
            try:
                if process.environ().get("JUPYTERHUB_API_URL", "").startswith(hub_api):
                    process.kill()
            except psutil.Error:
                pass
