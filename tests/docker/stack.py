"""The homelab stack brought up as an admin does it, and driven over HTTPS as users do.

`Stack` runs `hubkit stack-env init`, points the third-party images at the stand-ins (the only
change from the README's steps: no registry is reachable here), gives traefik a certificate
from a CA the test makes and trusts, and runs `docker compose up -d`. Its helpers log in,
sign up, approve, spawn through the form and talk to servers through traefik.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as _dt
import json
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
import tornado.httpclient
import tornado.websocket
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hubkit import stackenv
from tests import ROOT

from ..databases import free_port
from ..hubserver import execute_request
from ..utils import edit_yaml
from .engine import Docker

DOMAIN = "localhost"  # resolves to the loopback everywhere; traefik routes it by Host
# A database connection the admin shares with alice (hub policy `connections`), its password in
# stack.env and given to the hub as a file by a compose override, as hub/policy.yaml says.
SHARED_CONNECTION, SHARED_PASSWORD_ENV = "warehouse", "HUBKIT_WAREHOUSE_PASSWORD"
SHARED_URL = "postgresql+psycopg://analyst@warehouse.home.lan:5432/wh"
OVERRIDE = """
services:
  hub:
    environment:
      HUBKIT_WAREHOUSE_PASSWORD_FILE: /run/secrets/warehouse-password
    configs:
      - source: warehouse-password
        target: /run/secrets/warehouse-password
        uid: "1000"
        mode: 0400
configs:
  warehouse-password:
    content: ${HUBKIT_WAREHOUSE_PASSWORD:?set HUBKIT_WAREHOUSE_PASSWORD in stack.env}
"""
# A profile the images file names with an image that was never built (nor can be pulled).
MISSING_PROFILE, MISSING_IMAGE = "ml", "hubkit/ml-notebook:2026-01-01-000000000000-never-built"
# A shared project (hub policy `projects`) of the test's two users, and its account's container
# and home volume: DockerSpawner escapes "-" in the account's name as "-2d".
PROJECT, PROJECT_NAME = "team", "Team notebooks"
PROJECT_ACCOUNT = f"project-{PROJECT}"
PROJECT_CONTAINER, PROJECT_VOLUME = "jupyter-project-2dteam", "hubkit-home-project-2dteam"
# The profile the stack's users and project run; `hubkit compose up` builds (and looks for) it.
PROFILE = "python-sql"
PROJECTS = {PROJECT: {"display_name": PROJECT_NAME, "users": ["alice", "bob"], "profile": PROFILE}}


def make_tls(folder: Path) -> Path:
    """A local CA and a certificate for DOMAIN signed by it, with the tls.yaml traefik reads
    (hub/tls/README.md); returns the CA certificate the clients trust."""
    folder.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hubkit test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "hub.crt").write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    (folder / "hub.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (folder / "tls.yaml").write_text(
        "tls:\n  stores:\n    default:\n      defaultCertificate:\n"
        "        certFile: /etc/traefik/dynamic/hub.crt\n"
        "        keyFile: /etc/traefik/dynamic/hub.key\n"
    )
    (folder.parent / "ca.crt").write_bytes(ca.public_bytes(pem))
    return folder.parent / "ca.crt"


def set_values(path: Path, values: dict[str, str]) -> None:
    """Set KEY=value lines in an env file (replacing a line, commented or not, or appending)."""
    lines = path.read_text().splitlines()
    left = dict(values)
    for i, line in enumerate(lines):
        match = stackenv.LINE.match(line.strip())
        if match and match["key"] in left:
            lines[i] = f"{match['key']}={left.pop(match['key'])}"
    lines += [f"{k}={v}" for k, v in left.items()]
    path.write_text("\n".join(lines) + "\n")


@dataclass
class Stack:
    docker: Docker
    folder: Path
    settings: dict[str, str] = field(default_factory=dict)
    project: str = "hubkit-e2e"

    @property
    def env_file(self) -> Path:
        return self.folder / "stack.env"

    @property
    def url(self) -> str:
        return f"https://{DOMAIN}:{self.settings['HUBKIT_HTTPS_PORT']}"

    @property
    def ca(self) -> str:
        return str(self.folder / "ca.crt")

    @property
    def admin(self) -> tuple[str, str]:
        return self.settings["JUPYTER_ADMIN_USER"], self.settings["JUPYTER_PASSWORD"]

    # --- the admin's steps (README, "Homelab") --------------------------------------------------
    def init(self, images_file: Path, standins: dict[str, str]) -> None:
        """`hubkit stack-env init`, then the settings that differ on a machine without a
        registry, with free ports and the test's certificate."""
        subprocess.run(
            [
                sys.executable,
                "-m",
                "hubkit",
                "stack-env",
                "init",
                f"--file={self.env_file}",
                f"--domain={DOMAIN}",
                "--email=admin@hubkit.test",
            ],
            # init creates the images file (empty) where stack.env will point, not in the
            # checkout's .hubkit/
            env={**self.docker.env, "HUBKIT_IMAGES": str(self.folder / "images.json")},
            check=True,
            capture_output=True,
        )
        make_tls(self.folder / "tls")
        # The shared connection and the shared project: the admin's copy of the policy, the
        # password, the override.
        self.write_policy(PROJECTS)
        (self.folder / "docker-compose.override.yaml").write_text(OVERRIDE)
        # The built images, and one the admin recorded but never built (MISSING_PROFILE).
        images = json.loads(images_file.read_text())
        images_file = self.folder / "images.json"
        images_file.write_text(json.dumps({**images, MISSING_PROFILE: MISSING_IMAGE}, indent=1))
        set_values(
            self.env_file,
            {
                "HUBKIT_HTTP_PORT": str(free_port()),
                "HUBKIT_HTTPS_PORT": str(free_port()),
                "HUBKIT_IMAGES": str(images_file),
                "HUBKIT_TLS_DIR": str(self.folder / "tls"),
                "HUBKIT_DOCKER_NETWORK": self.project,
                "HUBKIT_HUB_TAG": "e2e",
                "HUBKIT_TRAEFIK_IMAGE": standins["traefik"],
                "HUBKIT_PROXY_IMAGE": standins["proxy"],
                "HUBKIT_POSTGRES_IMAGE": standins["postgres"],
                "HUBKIT_HUB_BASE_IMAGE": standins["python"],
                "HUBKIT_POLICY_FILE": str(self.folder / "policy.yaml"),
                # no conda-forge here: `hubkit compose up` looks for the PyPI flavour's images
                "HUBKIT_IMAGE_FLAVOUR": "pypi",
                SHARED_PASSWORD_ENV: secrets.token_hex(16),
            },
        )
        self.settings = stackenv.check(self.env_file, ROOT / "example-stack.env")

    def write_policy(self, projects: dict) -> None:
        """The admin's copy of hub/policy.yaml (HUBKIT_POLICY_FILE) with the shared connection
        and `projects`; written in place, as an editor does, so the running hub sees it."""
        connections = {
            SHARED_CONNECTION: {
                "url": SHARED_URL,
                "password_env": SHARED_PASSWORD_ENV,
                "users": ["alice"],
            }
        }
        edit_yaml(
            ROOT / "hub" / "policy.yaml",
            lambda d: d.update(connections=connections, projects=projects),
            self.folder / "policy.yaml",
        )

    def compose(self, *args: str, check: bool = True, timeout: float = 1800):
        return self.docker.run(
            "compose",
            "-p",
            self.project,
            "--env-file",
            str(self.env_file),
            "-f",
            str(ROOT / "docker-compose.yaml"),
            "-f",
            str(self.folder / "docker-compose.override.yaml"),
            *args,
            check=check,
            timeout=timeout,
            cwd=ROOT,
        )

    def container(self, service: str) -> str:
        return f"{self.project}-{service}-1"

    def up(self, timeout: float = 600) -> float:
        """`hubkit compose up` (the README's step: finds the images of stack.env's flavour
        built, then `docker compose up -d --build`) and wait until the hub is healthy; seconds it
        took."""
        started = time.monotonic()
        files = [ROOT / "docker-compose.yaml", self.folder / "docker-compose.override.yaml"]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "hubkit",
                "compose",
                "up",
                f"--catalog={ROOT / 'catalog.yaml'}",
                f"--file={self.env_file}",
                f"--profile={PROFILE}",
            ],
            # compose's own variables for what the README's single-file stack does not need
            env={
                **self.docker.env,
                "COMPOSE_PROJECT_NAME": self.project,
                "COMPOSE_FILE": ":".join(map(str, files)),
            },
            capture_output=True,
            text=True,
            timeout=1800,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        assert "hubkit: building" not in result.stdout, result.stdout  # the recorded image found
        self.wait_healthy("hub", timeout)
        self.wait_for(lambda: self.get("/hub/health").ok, 60, "hub reachable through traefik")
        return time.monotonic() - started

    def wait_healthy(self, service: str, timeout: float) -> None:
        def healthy() -> bool:
            state = self.docker.inspect(self.container(service))[0]["State"]
            return state.get("Health", {}).get("Status") == "healthy"

        self.wait_for(healthy, timeout, f"{service} healthy")

    def logs(self, service: str) -> str:
        result = self.docker.run("logs", "--tail", "80", self.container(service), check=False)
        return result.stdout + result.stderr

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except (requests.RequestException, KeyError, IndexError, AssertionError):
                pass
            time.sleep(1)
        raise TimeoutError(f"{what}: not within {timeout} s\n{self.logs('hub')[-4000:]}")

    # --- a browser's requests -------------------------------------------------------------------
    def get(self, path: str, session: requests.Session | None = None, **kw) -> requests.Response:
        return (session or requests).get(self.url + path, verify=self.ca, timeout=30, **kw)

    def session(self) -> requests.Session:
        """A browser: trusts the test's CA (and no REQUESTS_CA_BUNDLE from the environment,
        which requests would prefer to `verify`)."""
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca
        return session

    def login(self, username: str, password: str) -> requests.Session:
        session = self.session()
        session.get(f"{self.url}/hub/login", timeout=30).raise_for_status()
        r = session.post(
            f"{self.url}/hub/login",
            data={"username": username, "password": password, "_xsrf": session.cookies["_xsrf"]},
            timeout=30,
        )
        r.raise_for_status()
        if "jupyterhub-session-id" not in session.cookies or "/hub/login" in r.url:
            raise PermissionError(f"login as {username} failed: {r.status_code} {r.url}")
        return session

    def signup(self, username: str, password: str) -> None:
        session = self.session()
        session.get(f"{self.url}/hub/signup", timeout=30).raise_for_status()
        r = session.post(
            f"{self.url}/hub/signup",
            data={
                "username": username,
                "signup_password": password,
                "signup_password_confirmation": password,
                "_xsrf": session.cookies["_xsrf"],
            },
            timeout=30,
        )
        r.raise_for_status()

    def approve(self, username: str) -> None:
        """The admin approves a signup on the /hub/authorize page."""
        session = self.login(*self.admin)
        page = session.get(f"{self.url}/hub/authorize", timeout=30)
        assert f"authorize/{username}" in page.text, f"{username} is not listed for approval"
        session.get(
            f"{self.url}/hub/authorize/{username}",
            headers={"Sec-Fetch-Site": "same-origin"},  # as the admin's browser follows the link
            timeout=30,
        ).raise_for_status()

    def token(self, session: requests.Session, username: str) -> str:
        r = session.post(
            f"{self.url}/hub/api/users/{username}/tokens",
            json={"note": "e2e", "expires_in": 7200},
            headers={"X-XSRFToken": session.cookies["_xsrf"]},
            timeout=30,
        )
        r.raise_for_status()
        return r.json()["token"]

    def api(self, method: str, path: str, token: str, **kw) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}/hub/api{path}",
            headers={"Authorization": f"token {token}"},
            verify=self.ca,
            timeout=60,
            **kw,
        )

    def spawn_with_form(
        self, session: requests.Session, profile: str, size: str, check: bool = True
    ) -> requests.Response:
        """Pick the profile and size on the spawn page and submit it, as a user does; the page
        the hub answers with (the form again, with the error, when the spawn failed at once)."""
        page = session.get(f"{self.url}/hub/spawn", timeout=30)
        page.raise_for_status()
        assert f'value="{profile}"' in page.text, page.text[-2000:]
        field_name = next(
            name
            for name in re.findall(r'name="(profile-option-[^"]+)"', page.text)
            if name.startswith(f"profile-option-{profile}--")
        )
        r = session.post(
            f"{self.url}/hub/spawn",
            data={"profile": profile, field_name: size, "_xsrf": session.cookies["_xsrf"]},
            timeout=120,
        )
        if check:
            assert r.status_code < 400, r.text[-2000:]
        return r

    def server_ready(self, username: str, token: str) -> bool:
        model = self.api("GET", f"/users/{username}", token).json()
        server = model["servers"].get("")
        return bool(server and server["ready"])

    def wait_ready(self, username: str, token: str, timeout: float = 180) -> None:
        self.wait_for(lambda: self.server_ready(username, token), timeout, f"{username} ready")

    def teardown(self) -> None:
        """The README's teardown: the hub's user containers, then the stack with its volumes,
        then the homes."""
        ids = self.docker.out("ps", "-aq", "--filter", "name=jupyter-").split()
        if ids:
            self.docker.run("rm", "-f", *ids, check=False)
        self.compose("down", "-v", check=False)
        homes = self.docker.out("volume", "ls", "-q", "--filter", "name=hubkit-home-").split()
        if homes:
            self.docker.run("volume", "rm", *homes, check=False)

    def stop(self, username: str, token: str) -> None:
        r = self.api("DELETE", f"/users/{username}/server", token)
        assert r.status_code in (202, 204), r.text
        self.wait_for(
            lambda: not self.api("GET", f"/users/{username}", token).json()["servers"],
            120,
            f"{username} stopped",
        )

    def server_get(self, username: str, token: str, path: str) -> requests.Response:
        return requests.get(
            f"{self.url}/user/{username}{path}",
            headers={"Authorization": f"token {token}"},
            verify=self.ca,
            timeout=30,
            allow_redirects=False,
        )

    def server_put(self, username: str, token: str, path: str, body: dict) -> requests.Response:
        return requests.put(
            f"{self.url}/user/{username}{path}",
            headers={"Authorization": f"token {token}"},
            json=body,
            verify=self.ca,
            timeout=30,
        )

    async def run_in_kernel(self, username: str, token: str, code: str, timeout: float = 120):
        """Run code in a new python3 kernel over the websocket, through traefik; return the
        statuses and output the user's page would show, until idle or the kernel restarts."""
        base = f"{self.url}/user/{username}"
        headers = {"Authorization": f"token {token}"}
        r = requests.post(
            f"{base}/api/kernels",
            json={"name": "python3"},
            headers=headers,
            verify=self.ca,
            timeout=60,
        )
        r.raise_for_status()
        kernel_id = r.json()["id"]
        request = tornado.httpclient.HTTPRequest(
            base.replace("https", "wss", 1) + f"/api/kernels/{kernel_id}/channels",
            headers=headers,
            ca_certs=self.ca,
        )
        ws = await tornado.websocket.websocket_connect(request)
        msg_id, message = execute_request(username, code)
        ws.write_message(message)
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                raw = await ws.read_message()
                if raw is None:
                    seen.append("closed")
                    break
                msg = json.loads(raw)
                if msg["msg_type"] == "status":
                    state = msg["content"]["execution_state"]
                    if state in ("restarting", "dead"):
                        seen.append(state)
                        break
                    if state == "idle" and msg["parent_header"].get("msg_id") == msg_id:
                        seen.append("idle")
                        break
                elif msg["msg_type"] == "stream":
                    seen.append(msg["content"]["text"])
                elif msg["msg_type"] == "error":
                    seen.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        finally:
            ws.close()
        return seen
