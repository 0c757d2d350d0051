"""A real JupyterHub for tests: hub/jupyterhub_config.py in local mode, configurable-http-proxy
from npm, SQLite (or PostgreSQL via JUPYTERHUB_DB_URL) in a temporary folder, on free ports.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import tornado.httpclient
import tornado.websocket

from hubkit.catalog import Catalog
from hubkit.cli import ROOT, local_hub_env
from hubkit.local import LocalLayout

ADMIN, ADMIN_PASSWORD = "admin", "correct-horse-battery-staple-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubServer:
    def __init__(self, tmp: Path, catalog: Catalog, layout: LocalLayout, **env: str) -> None:
        self.tmp, self.catalog, self.layout = tmp, catalog, layout
        self.url = f"http://127.0.0.1:{free_port()}"
        self.env = {
            **local_hub_env(catalog, layout),
            "JUPYTER_ADMIN_USER": ADMIN,
            "JUPYTER_PASSWORD": ADMIN_PASSWORD,
            "CONFIGPROXY_AUTH_TOKEN": "test-proxy-token-" + os.urandom(8).hex(),
            "JUPYTERHUB_BIND_URL": self.url,
            "JUPYTERHUB_HUB_BIND_URL": f"http://127.0.0.1:{free_port()}",
            "CONFIGPROXY_API_URL": f"http://127.0.0.1:{free_port()}",
            "HUBKIT_HOMES_DIR": str(tmp / "homes"),
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
            for user in self.api("GET", "/users").json():
                if user["servers"]:
                    self.api("DELETE", f"/users/{user['name']}/server")
            for user in self.api("GET", "/users").json():
                self.wait_for(
                    lambda u=user: not self.api("GET", f"/users/{u['name']}").json()["servers"], 60
                )
        finally:
            self.stop()

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(ROOT / "hub" / "jupyterhub_config.py")],
            cwd=self.tmp,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/hub/api", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"hub did not answer within 60 s:\n{self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def wait_for(self, predicate, timeout: float, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.3)
        raise TimeoutError(f"{what} not reached within {timeout} s:\n{self.log()}")

    def login(self, username: str, password: str) -> requests.Session:
        session = requests.Session()
        session.get(f"{self.url}/hub/login").raise_for_status()
        r = session.post(
            f"{self.url}/hub/login",
            data={"username": username, "password": password, "_xsrf": session.cookies["_xsrf"]},
        )
        r.raise_for_status()
        if "jupyterhub-session-id" not in session.cookies or "/hub/login" in r.url:
            raise PermissionError(f"login as {username} failed: {r.status_code} {r.url}")
        return session

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
            msg_id = os.urandom(8).hex()
            ws.write_message(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "msg_type": "execute_request",
                            "username": username,
                            "session": msg_id,
                            "version": "5.3",
                        },
                        "parent_header": {},
                        "metadata": {},
                        "channel": "shell",
                        "content": {
                            "code": code,
                            "silent": False,
                            "store_history": False,
                            "user_expressions": {},
                            "allow_stdin": False,
                        },
                    }
                )
            )
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
