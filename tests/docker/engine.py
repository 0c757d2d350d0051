"""A Docker engine for the tests, from Debian's packages, and the base image built here.

No container registry is reachable from the machines the tests run on, so nothing is pulled:
the Debian 13 base every image builds FROM is made with `debootstrap --variant=minbase trixie`
and `docker import` (with the host's CA bundle, so apt, pip and npm work in builds), and the
third-party services run from stand-ins built from the same upstream software
(tests/docker/standins/).

When no engine answers, `DockerDaemon` starts `dockerd` with its data, exec root and unix
socket under a temporary folder and its own bridge, so it disturbs no other engine on the
machine; it is stopped and its folder removed at the end.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests import ROOT

# The tag the tests' Debian 13 base is imported as; reused when the engine already has it.
DEBIAN_IMAGE = "hubkit-test/debian:trixie"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
HOST_CA_COPY = "/usr/local/share/hubkit-host-ca.pem"
STANDINS = Path(__file__).with_name("standins")


class DockerUnavailable(Exception):
    """No engine answers and none can be started here; the message says why (a skip reason)."""


@dataclass(frozen=True)
class Docker:
    """The docker CLI pointed at one engine."""

    host: str  # DOCKER_HOST

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": self.host, "DOCKER_BUILDKIT": "1"}

    def run(
        self, *args: str, check: bool = True, timeout: float = 1800, cwd: Path | None = None
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["docker", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def out(self, *args: str, **kwargs) -> str:
        return self.run(*args, **kwargs).stdout.strip()

    def inspect(self, *names: str) -> list[dict]:
        return json.loads(self.out("inspect", *names))

    def image_exists(self, image: str) -> bool:
        return self.run("image", "inspect", image, check=False).returncode == 0

    def answers(self) -> bool:
        try:
            return self.run("version", check=False, timeout=15).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def build(self, tag: str, context: Path, dockerfile: Path | None = None, **args: str) -> None:
        """`docker build` unless the tag exists (the session's image cache)."""
        if self.image_exists(tag):
            return
        argv = ["build", "-q", "-t", tag]
        if dockerfile:
            argv += ["-f", str(dockerfile)]
        for key, value in args.items():
            argv += ["--build-arg", f"{key}={value}"]
        self.run(*argv, str(context))


def tools_missing() -> list[str]:
    """What tests/docker/install-tools would install, if anything is missing."""
    missing = [tool for tool in ("dockerd", "debootstrap") if not shutil.which(tool)]
    if not shutil.which("docker"):
        missing.append("docker")
    else:
        for plugin in ("compose", "buildx"):
            probe = subprocess.run(["docker", plugin, "version"], capture_output=True)
            if probe.returncode != 0:
                missing.append(f"docker {plugin} plugin")
    return missing


class DockerDaemon(contextlib.AbstractContextManager):
    """dockerd from Debian's docker.io, everything of it under a temporary folder.

    Its default bridge is an interface of its own (`hkd<n>`, a random 10.x subnet) and its
    networks come from a random pool, so it coexists with another engine on the machine.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hubkit-dockerd-"))
        self.socket = self.folder / "docker.sock"
        n = random.randrange(16, 250)
        self.bridge = f"hkd{os.getpid() % 100000}"
        self.bridge_cidr = f"10.{n}.0.1/24"
        self.pool = f"10.{n}.16.0/20"
        self.process: subprocess.Popen | None = None
        self.docker = Docker(f"unix://{self.socket}")

    def __enter__(self) -> Docker:
        ip = ["ip", "link", "add", "name", self.bridge, "type", "bridge"]
        subprocess.run(ip, check=True)
        subprocess.run(["ip", "addr", "add", self.bridge_cidr, "dev", self.bridge], check=True)
        subprocess.run(["ip", "link", "set", self.bridge, "up"], check=True)
        log = (self.folder / "dockerd.log").open("w")
        self.process = subprocess.Popen(
            [
                "dockerd",
                f"--data-root={self.folder / 'data'}",
                f"--exec-root={self.folder / 'exec'}",
                f"--pidfile={self.folder / 'dockerd.pid'}",
                f"--host=unix://{self.socket}",
                f"--bridge={self.bridge}",
                f"--default-address-pool=base={self.pool},size=24",
                "--storage-driver=overlay2",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not self.docker.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = (self.folder / "dockerd.log").read_text()[-2000:]
                self.__exit__(None, None, None)
                raise DockerUnavailable(f"dockerd did not start: {tail}")
            time.sleep(0.5)
        return self.docker

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            # Containers first (their mounts), then the daemon.
            ids = self.docker.run("ps", "-aq", check=False).stdout.split()
            if ids:
                self.docker.run("rm", "-f", *ids, check=False, timeout=120)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        self._remove_firewall_rules()
        # overlay2 may leave mounts under the data root: unmount them before removing it.
        mounts = [
            line.split()[1]
            for line in Path("/proc/mounts").read_text().splitlines()
            if line.split()[1].startswith(str(self.folder))
        ]
        for mount in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _remove_firewall_rules(self) -> None:
        """dockerd leaves its bridge's NAT and filter rules behind when it stops."""
        subnet = self.bridge_cidr.rsplit(".", 1)[0] + ".0/24"
        for table in ("nat", "filter"):
            listed = subprocess.run(
                ["iptables", "-t", table, "-S"], capture_output=True, text=True
            ).stdout
            for rule in listed.splitlines():
                words = rule.split()
                if rule.startswith("-A ") and (self.bridge in words or subnet in words):
                    subprocess.run(["iptables", "-t", table, "-D", *words[1:]], capture_output=True)


@contextlib.contextmanager
def docker_engine() -> Iterator[Docker]:
    """The engine DOCKER_HOST (or the default socket) names if it answers, else a fresh one."""
    existing = Docker(os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"))
    missing = tools_missing()
    if any(m.startswith(("docker ", "docker")) and m != "dockerd" for m in missing):
        raise DockerUnavailable(f"missing {', '.join(missing)}: run tests/docker/install-tools")
    if existing.answers():
        yield existing
        return
    if os.geteuid() != 0:
        raise DockerUnavailable("no Docker engine answers and starting dockerd needs root")
    if missing:
        raise DockerUnavailable(f"missing {', '.join(missing)}: run tests/docker/install-tools")
    with DockerDaemon() as docker:
        yield docker


def debian_image(docker: Docker, tag: str = DEBIAN_IMAGE) -> str:
    """Debian 13 (minbase) as an image, with the host's CA bundle; reused if the tag exists."""
    if docker.image_exists(tag):
        return tag
    if not shutil.which("debootstrap"):
        raise DockerUnavailable("debootstrap is missing: run tests/docker/install-tools")
    with tempfile.TemporaryDirectory(prefix="hubkit-trixie-") as tmp:
        root = Path(tmp) / "root"
        # debootstrap's default mirror: Debian's, which this machine's apt reaches
        subprocess.run(
            ["debootstrap", "--variant=minbase", "trixie", str(root)],
            check=True,
            capture_output=True,
        )
        # TLS from builds to PyPI, npm and the apt mirror verifies against the host's CAs (which
        # may include an intercepting proxy's): the bundle itself, again where
        # update-ca-certificates (run when a build installs ca-certificates) keeps adding it,
        # and for Node.js, which reads only its own list and NODE_EXTRA_CA_CERTS.
        for target in (
            "etc/ssl/certs/ca-certificates.crt",
            "usr/local/share/ca-certificates/hubkit-host.crt",
            HOST_CA_COPY.lstrip("/"),
        ):
            (root / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(HOST_CA_BUNDLE, root / target)
        shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
        shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
        (root / "var/lib/apt/lists/partial").mkdir(parents=True)
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(
            [
                "docker",
                "import",
                "--change",
                'CMD ["bash"]',
                "--change",
                f"ENV NODE_EXTRA_CA_CERTS={HOST_CA_COPY}",
                "-",
                tag,
            ],
            stdin=tar.stdout,
            env=docker.env,
            check=True,
            capture_output=True,
        )
        tar.wait()
    return tag


def standin(docker: Docker, name: str, base: str, **args: str) -> str:
    """Build tests/docker/standins/<name> FROM base as `hubkit-test/<name>:<digest>` (of its
    folder and arguments, so an edit rebuilds it); return the tag."""
    h = hashlib.sha256(json.dumps([base, args], sort_keys=True).encode())
    for path in sorted((STANDINS / name).rglob("*")):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    tag = f"hubkit-test/{name}:{h.hexdigest()[:12]}"
    docker.build(tag, STANDINS / name, BASE_IMAGE=base, **args)
    return tag


def compose_argv(project: str, env_file: Path, *args: str) -> Sequence[str]:
    return [
        "compose",
        "-p",
        project,
        "--env-file",
        str(env_file),
        "-f",
        str(ROOT / "docker-compose.yaml"),
        *args,
    ]
