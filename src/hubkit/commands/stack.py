"""`hubkit stack-env` and `hubkit compose`: the homelab stack's settings and bringing it up."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
from pathlib import Path

from traitlets import Unicode

from .. import stackenv
from ..images.build import build_images, host_platform, missing_images
from ..imagesfile import write_images_file
from .images import ImagesCommand

DOCKER_SOCKET = Path("/var/run/docker.sock")


def docker_socket() -> Path:
    """The engine's unix socket: DOCKER_HOST's (unix://PATH), else the default path."""
    host = os.environ.get("DOCKER_HOST", "")
    return Path(host.removeprefix("unix://")) if host.startswith("unix://") else DOCKER_SOCKET


class StackEnvCommand(ImagesCommand):
    @property
    def template(self) -> Path:
        return self.load().root / "example-stack.env"


class StackEnvInit(StackEnvCommand):
    description = "Create stack.env from example-stack.env with random secrets (mode 600)."
    domain = Unicode("", help="JUPYTER_DOMAIN: the hub's public host name.").tag(config=True)
    email = Unicode("", help="ACME_EMAIL: address for Let's Encrypt.").tag(config=True)
    aliases = {
        **StackEnvCommand.aliases,
        "domain": "StackEnvInit.domain",
        "email": "StackEnvInit.email",
    }

    def run(self) -> None:
        overrides = {}
        if self.domain:
            overrides["JUPYTER_DOMAIN"] = self.domain
        if self.email:
            overrides["ACME_EMAIL"] = self.email
        socket = docker_socket()
        if socket.exists():
            overrides["HUBKIT_DOCKER_GID"] = str(socket.stat().st_gid)
            if socket != DOCKER_SOCKET:  # compose mounts it into the hub and traefik
                overrides["HUBKIT_DOCKER_SOCKET"] = str(socket)
        path = stackenv.init(Path(self.stack_env), self.template, overrides)
        print(f"created {path} (mode 600) with random secrets")
        images = self.images_path(self.load())
        if not images.exists():
            # compose mounts it and never creates it (a created folder would be root's): an
            # empty file lets the stack start, the spawn form says to build, and the hub picks
            # the build up when it is recorded.
            write_images_file(images, {}, [])
            print(f"created {images} (no images yet: run `hubkit images build`)")
        left = [
            e.key
            for e in stackenv.parse(path.read_text())
            if not e.commented and stackenv.PLACEHOLDER.search(e.value)
        ]
        if left:
            print(f"now set: {', '.join(left)}, then run `hubkit stack-env check`")


class StackEnvCheck(StackEnvCommand):
    description = "Refuse placeholder or weak secrets and a group/world-readable stack.env."

    def run(self) -> None:
        settings = stackenv.check(Path(self.stack_env), self.template)
        print(f"{self.stack_env}: OK ({len(settings)} settings)")


class ComposeUp(StackEnvCommand):
    description = "Check stack.env, build the images that are missing, then docker compose up -d."

    def run(self) -> None:
        catalog = self.load()
        stackenv.check(Path(self.stack_env), self.template)
        engine = self.engine(catalog)
        engine.check_available()
        plan = self.plan(catalog)
        platform = self.platform or host_platform()
        images_file = self.images_path(catalog)
        missing = missing_images(engine, plan, images_file, platform)
        if missing:
            print(f"hubkit: building {', '.join(missing)}")
            todo = [b for b in plan if b.slug in missing]
            build_images(catalog, engine, todo, platform=platform, images_file=images_file)
        env_file = Path(self.stack_env).resolve()
        engine.compose(["--env-file", str(env_file), "up", "-d", "--build"], cwd=catalog.root)
