"""A real JupyterHub for tests: hub/jupyterhub_config.py in local mode, configurable-http-proxy
from npm, SQLite (or PostgreSQL via JUPYTERHUB_DB_URL) in a temporary folder, on free ports.

- HubServer: the hub (and, with external_proxy=True, configurable-http-proxy as a separate
  process that outlives hub restarts), accounts (signup, authorize, login) and REST helpers.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psutil
import requests
import tornado.httpclient
import tornado.websocket

from hubkit.catalog import Catalog
from hubkit.local import LocalLayout, local_hub_env

from . import ROOT
from .databases import free_port

ADMIN, ADMIN_PASSWORD = "admin", "correct-horse-battery-staple-42"
START_TIMEOUT = 180
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ][\d:.]+Z?")


def default_sigint() -> None:
    """Let the hub's services take SIGINT again, as `hubkit local up` does before it starts the
    hub. A test run started in the background ignores SIGINT, children inherit that, and
    JupyterHub stops each service with SIGINT first: the idle culler and the AI gateway then
    sat out their 10 s interrupt timeouts one after the other, the hub outlived `stop`'s 30 s
    and was killed, and their processes were left behind."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class HubServer:
    def __init__(
        self,
        tmp: Path,
        catalog: Catalog,
        layout: LocalLayout,
        external_proxy: bool = False,
        options: Sequence[str] = (),
        **env: str,
    ) -> None:
        """`options`: JupyterHub command-line options after the config file's (traitlets:
        `--JupyterHub.slow_spawn_timeout=60`); `env`: the hub's environment on top of local
        mode's and the tests' own."""
        self.tmp, self.catalog, self.layout = tmp, catalog, layout
        self.external_proxy = external_proxy
        self.options = list(options)
        self.proxy: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{free_port()}"
        self.env = {
            **local_hub_env(catalog, layout),
            "JUPYTER_ADMIN_USER": ADMIN,
            "JUPYTER_PASSWORD": ADMIN_PASSWORD,
            "CONFIGPROXY_AUTH_TOKEN": "test-proxy-token-" + os.urandom(8).hex(),
            "JUPYTERHUB_BIND_URL": self.url,
            "JUPYTERHUB_HUB_BIND_URL": f"http://127.0.0.1:{free_port()}",
            "CONFIGPROXY_API_URL": f"http://127.0.0.1:{free_port()}",
            # The AI gateway's own port (8082 by default): hubs run side by side in a test run
            "HUBKIT_AI_GATEWAY_URL": f"http://127.0.0.1:{free_port()}",
            "HUBKIT_HOMES_DIR": str(tmp / "homes"),
            **({"HUBKIT_PROXY_EXTERNAL": "true"} if external_proxy else {}),
            "HUBKIT_AI": "false",  # servers without jupyter-ai start faster; AI tests pass "true"
            **env,
        }
        self.log_path = tmp / "hub.log"
        self.process: subprocess.Popen | None = None
        self.admin_token = ""

    def __enter__(self) -> HubServer:
        self.start()
        session = self.login(ADMIN, ADMIN_PASSWORD)
        self.admin_token = self.new_token(session, ADMIN)
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.process and self.process.poll() is None:
                for user in self.api("GET", "/users").json():
                    if user["servers"]:
                        self.api("DELETE", f"/users/{user['name']}/server")
                for user in self.api("GET", "/users").json():
                    self.wait_for(
                        lambda u=user: not self.api("GET", f"/users/{u['name']}").json()["servers"],
                        60,
                    )
        finally:
            self.stop()
            self.stop_proxy()
            self.kill_servers()

    def server_processes(self) -> list[psutil.Process]:
        """Single-user servers started by this hub (found by the hub API URL they were given)."""
        hub_api = self.env["JUPYTERHUB_HUB_BIND_URL"]
        found = {}
        for p in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                env = p.environ()
                # Services (the culler) get the hub URL too, and their service name.
                if env.get("JUPYTERHUB_API_URL", "").startswith(hub_api) and (
                    "JUPYTERHUB_SERVICE_NAME" not in env
                ):
                    found[p.pid] = p
        # Kernels inherit their server's environment: keep only the servers themselves.
        roots = []
        for p in found.values():
            with contextlib.suppress(psutil.Error):
                if p.ppid() not in found:
                    roots.append(p)
        return roots

    def kill_servers(self) -> None:
        """Kill leftovers of a failed test (servers survive the hub: cleanup_servers=False)."""
        for p in self.server_processes():
            with contextlib.suppress(psutil.Error):
                for child in [*p.children(recursive=True), p]:
                    child.kill()

    def start_proxy(self) -> None:
        """configurable-http-proxy as its own process, as the proxy container in production."""
        bind, api = self.url, self.env["CONFIGPROXY_API_URL"]
        hub = self.env["JUPYTERHUB_HUB_BIND_URL"]
        self.proxy = subprocess.Popen(
            [
                self.env["HUBKIT_CHP"],
                "--ip=127.0.0.1",
                f"--port={bind.rsplit(':', 1)[1]}",
                "--api-ip=127.0.0.1",
                f"--api-port={api.rsplit(':', 1)[1]}",
                f"--default-target={hub}",
                f"--error-target={hub}/hub/error",
            ],
            env={**os.environ, "CONFIGPROXY_AUTH_TOKEN": self.env["CONFIGPROXY_AUTH_TOKEN"]},
            stdout=(self.tmp / "proxy.log").open("ab"),
            stderr=subprocess.STDOUT,
        )

    def stop_proxy(self) -> None:
        if self.proxy and self.proxy.poll() is None:
            self.proxy.terminate()
            self.proxy.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def start(self) -> None:
        if self.external_proxy and (self.proxy is None or self.proxy.poll() is not None):
            self.start_proxy()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "jupyterhub"),
                *("-f", str(ROOT / "hub" / "jupyterhub_config.py"), *self.options),
            ],
            cwd=self.tmp,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=default_sigint,
        )
        # Generous: a loaded machine (CI's test workers side by side) starts a hub in 10-60 s
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/hub/api", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"hub did not answer within {START_TIMEOUT} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self) -> str:
        """The end of the hub's log, a run of one repeated message (a proxy in a loop) once."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        runs = itertools.groupby(lines, key=lambda line: TIMESTAMP.sub("", line))
        text = "\n".join(
            line if n == 1 else f"{line}  [{n} times]"
            for line, n in ((next(g), 1 + sum(1 for _ in g)) for _, g in runs)
        )
        return text[-6000:]

    def wait_for(self, predicate, timeout: float, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.3)
        raise TimeoutError(f"{what} not reached within {timeout} s:\n{self.log()}")

    def post_login(self, username: str, password: str, **extra: str) -> requests.Response:
        """POST the login form; the response (a redirect target or the form with an error)."""
        session = requests.Session()
        session.get(f"{self.url}/hub/login").raise_for_status()
        r = session.post(
            f"{self.url}/hub/login",
            data={
                "username": username,
                "password": password,
                "_xsrf": session.cookies["_xsrf"],
                **extra,
            },
        )
        r.session = session
        return r

    def login(self, username: str, password: str, **extra: str) -> requests.Session:
        r = self.post_login(username, password, **extra)
        r.raise_for_status()
        session = r.session
        if "jupyterhub-session-id" not in session.cookies or "/hub/login" in r.url:
            raise PermissionError(
                f"login as {username} failed: {r.status_code} {r.url} {login_error(r.text)}"
            )
        return session

    def signup(
        self, username: str, password: str, two_fa: bool = False, display_name: str = ""
    ) -> str:
        """Sign up through the form; returns NativeAuthenticator's result message."""
        session = requests.Session()
        session.get(f"{self.url}/hub/signup").raise_for_status()
        data = {
            "username": username,
            "signup_password": password,
            "signup_password_confirmation": password,
            "_xsrf": session.cookies["_xsrf"],
            "display_name": display_name,
        }
        if two_fa:
            data["2fa"] = "2fa"
        r = session.post(f"{self.url}/hub/signup", data=data)
        r.raise_for_status()
        return r.text

    def authorize(self, username: str) -> None:
        """Approve a signup as the admin, through the /hub/authorize page's toggle link."""
        session = self.login(ADMIN, ADMIN_PASSWORD)
        page = session.get(f"{self.url}/hub/authorize")
        page.raise_for_status()
        assert f"authorize/{username}" in page.text, f"{username} is not listed for approval"
        # (The link, as the admin's browser follows it: same-origin; other sites are refused.)
        session.get(
            f"{self.url}/hub/authorize/{username}", headers={"Sec-Fetch-Site": "same-origin"}
        ).raise_for_status()

    def add_account(
        self,
        username: str,
        password: str = "",
        groups: tuple[str, ...] = (),
        display_name: str = "",
    ) -> tuple[requests.Session, str]:
        """A ready account: signed up, authorized, in `groups`; returns (session, token)."""
        password = password or f"{username}-Pass-{os.urandom(4).hex()}"
        self.signup(username, password, display_name=display_name)
        self.authorize(username)
        session = self.login(username, password)  # the hub's user record exists from here
        for group in groups:
            r = self.api("POST", f"/groups/{group}/users", json={"users": [username]})
            r.raise_for_status()
        return session, self.new_token(session, username)

    def new_token(self, session: requests.Session, username: str) -> str:
        r = session.post(
            f"{self.url}/hub/api/users/{username}/tokens",
            json={"note": "tests", "expires_in": 3600},
            headers={"X-XSRFToken": session.cookies["_xsrf"]},
        )
        r.raise_for_status()
        return r.json()["token"]

    def api(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = {"Authorization": f"token {token or self.admin_token}"}
        return requests.request(
            method, f"{self.url}/hub/api{path}", headers=headers, timeout=30, **kw
        )

    def saved_notebook(self, owner: str, path: str, token: str) -> dict | None:
        """The notebook file `path` on `owner`'s server, read through the Contents API with
        `token`; None when the read met a save in progress (jupyter_server writes a notebook
        in place, so a read during the write sees a short file and answers 400 "Unreadable
        Notebook": jupyter-server/jupyter_server#1416)."""
        r = requests.get(
            f"{self.url}/user/{owner}/api/contents/{path}",
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        if r.status_code == 400 and "Unreadable Notebook" in r.text:
            return None
        r.raise_for_status()
        return r.json()["content"]

    def spawn(self, username: str, token: str, options: dict, timeout: float = 120) -> dict:
        """Start the user's server through the REST API and wait until it is ready."""
        r = self.api("POST", f"/users/{username}/server", token, json=options)
        if r.status_code >= 400:
            raise requests.HTTPError(f"{r.status_code}: {r.text}", response=r)

        def ready() -> bool:
            model = self.api("GET", f"/users/{username}", token).json()
            server = model["servers"].get("")
            return bool(server and server["ready"])

        self.wait_for(ready, timeout, f"server of {username} ready")
        return self.api("GET", f"/users/{username}", token).json()["servers"][""]

    async def execute(self, username: str, token: str, kernel: str, code: str) -> str:
        """Start a kernel in the user's server, run code over the websocket, return its output."""
        base = f"{self.url}/user/{username}"
        headers = {"Authorization": f"token {token}"}
        r = requests.post(f"{base}/api/kernels", json={"name": kernel}, headers=headers, timeout=60)
        r.raise_for_status()
        kernel_id = r.json()["id"]
        ws_url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels"
        ws = await tornado.websocket.websocket_connect(
            tornado.httpclient.HTTPRequest(ws_url, headers=headers)
        )
        try:
            msg_id, message = execute_request(username, code)
            ws.write_message(message)
            output = []
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                msg = json.loads(await ws.read_message())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    output.append(content["text"])
                elif kind in ("execute_result", "display_data"):
                    output.append(content["data"].get("text/plain", ""))
                elif kind == "error":
                    raise RuntimeError(f"{kernel}: {content['ename']}: {content['evalue']}")
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(output)
            raise TimeoutError(f"{kernel}: no output within 120 s")
        finally:
            ws.close()
            requests.delete(f"{base}/api/kernels/{kernel_id}", headers=headers, timeout=30)


def execute_request(username: str, code: str) -> tuple[str, str]:
    """A kernel's execute_request as JupyterLab sends it over the websocket: (msg_id, JSON)."""
    msg_id = os.urandom(8).hex()
    header = {
        "msg_id": msg_id,
        "msg_type": "execute_request",
        "username": username,
        "session": msg_id,
        "version": "5.3",
    }
    content = {
        "code": code,
        "silent": False,
        "store_history": False,
        "user_expressions": {},
        "allow_stdin": False,
    }
    message = {"header": header, "parent_header": {}, "metadata": {}, "channel": "shell"}
    return msg_id, json.dumps({**message, "content": content})


def login_error(html: str) -> str:
    """The error message shown on the login page, if any."""
    match = re.search(r'<p class="login_error">\s*(.*?)\s*</p>', html, re.S)
    if not match:
        match = re.search(r'class="alert[^"]*"[^>]*>\s*(.*?)\s*</div>', html, re.S)
    return match.group(1).strip() if match else ""
