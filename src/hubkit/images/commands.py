"""`hubkit images`, `hubkit compose` and `hubkit stack-env`: the production side of the CLI.

Registered in hubkit.cli by import string, so this module may import the CLI's base class.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from pathlib import Path

import yaml
from traitlets import Bool, List, Unicode
from traitlets.config import Application

from .. import stackenv
from ..cli import ROOT, HubkitError, _Base
from .build import (
    build_images,
    default_images_file,
    host_platform,
    missing_images,
    read_images_file,
)
from .engine import DockerEngine, EngineError
from .plan import ImageError, build_plan

DOCKER_SOCKET = Path("/var/run/docker.sock")


class _ImagesBase(_Base):
    """Adds the image and stack errors to the ones printed without a traceback."""

    registry = Unicode(
        os.environ.get("HUBKIT_REGISTRY", ""),
        help="Registry of the image names (e.g. ghcr.io); default HUBKIT_REGISTRY, or none.",
    ).tag(config=True)
    owner = Unicode(
        os.environ.get("HUBKIT_IMAGE_OWNER", "hubkit"),
        help="Owner part of the image names; default HUBKIT_IMAGE_OWNER, or `hubkit`.",
    ).tag(config=True)
    profiles = List(Unicode(), help="Profiles to build (default: all); parents come too.").tag(
        config=True
    )
    platform = Unicode("", help="Docker platform (default: this machine's).").tag(config=True)
    date = Unicode("", help="Date in the tags, YYYY-MM-DD (default: today, UTC).").tag(config=True)
    images_file = Unicode(
        "", help="Built-images JSON the hub reads (default: HUBKIT_IMAGES or .hubkit/images.json)."
    ).tag(config=True)
    aliases = {
        **_Base.aliases,
        "profile": "_ImagesBase.profiles",
        "platform": "_ImagesBase.platform",
        "registry": "_ImagesBase.registry",
        "owner": "_ImagesBase.owner",
        "date": "_ImagesBase.date",
        "images-file": "_ImagesBase.images_file",
    }

    def start(self) -> None:
        try:
            super().start()
        except (ImageError, EngineError, stackenv.StackEnvError) as e:
            self.log.debug("Traceback", exc_info=True)
            print(f"hubkit: error: {e}", file=sys.stderr)
            self.exit(1)

    def plan(self, catalog):
        try:
            date = _dt.date.fromisoformat(self.date) if self.date else None
        except ValueError:
            raise HubkitError(f"--date must be YYYY-MM-DD, got {self.date!r}") from None
        return build_plan(
            catalog,
            date=date,
            registry=self.registry,
            owner=self.owner,
            profiles=list(self.profiles) or None,
            platforms=[self.platform] if self.platform else None,
        )

    def images_path(self, catalog) -> Path:
        return Path(self.images_file) if self.images_file else default_images_file(catalog)


class ImagesPlan(_ImagesBase):
    description = "Show the build plan: order, tags, base images, build args, platforms."
    as_json = Bool(False, help="Print the plan as JSON (for CI matrices).").tag(config=True)
    flags = {**_Base.flags, "json": ({"ImagesPlan": {"as_json": True}}, "Print JSON.")}

    def run(self) -> None:
        catalog = self.load()
        plan = self.plan(catalog)
        if self.as_json:
            rows = [
                {
                    "profile": b.slug,
                    "parent": b.parent,
                    "image": b.image,
                    "base_image": b.base_image,
                    "platforms": list(b.platforms),
                    "steps": [
                        {
                            "target": s.name,
                            "image": s.image,
                            "dockerfile": s.dockerfile.relative_to(catalog.root).as_posix(),
                            "build_args": s.build_args,
                        }
                        for s in b.steps
                    ],
                    "missing_locks": [
                        p.relative_to(catalog.root).as_posix() for p in b.missing_locks
                    ],
                }
                for b in plan
            ]
            print(json.dumps(rows, indent=2))
            return
        for i, b in enumerate(plan, 1):
            print(f"{i}. {b.slug}: {b.image}")
            print(f"     FROM {b.base_image}  [{', '.join(b.platforms)}]")
            for step in b.steps:
                dockerfile = step.dockerfile.relative_to(catalog.root)
                if step.install:
                    lock = step.install.lock.relative_to(catalog.root)
                    print(
                        f"     {dockerfile}: {step.install.mode} {step.install.prefix} from {lock}"
                    )
                else:
                    print(f"     {dockerfile}")
            for path in b.missing_locks:
                print(f"     missing: {path.relative_to(catalog.root)} (run `pixi run lock`)")


class ImagesBuild(_ImagesBase):
    description = (
        "Build the catalog's images in order, run the smoke notebooks in each, record them "
        "for the hub."
    )
    bake = Bool(False, help="Build with `docker buildx bake` instead of sequential builds.").tag(
        config=True
    )
    smoke = Bool(True, help="Run the smoke notebooks in every built image.").tag(config=True)
    flags = {
        **_Base.flags,
        "bake": ({"ImagesBuild": {"bake": True}}, "Use docker buildx bake."),
        "no-smoke": ({"ImagesBuild": {"smoke": False}}, "Skip the smoke notebooks."),
    }

    def run(self) -> None:
        catalog = self.load()
        build_images(
            catalog,
            DockerEngine(),
            self.plan(catalog),
            platform=self.platform or host_platform(),
            images_file=self.images_path(catalog),
            bake=self.bake,
            smoke=self.smoke,
        )


class ImagesZ2JH(_ImagesBase):
    description = "Print Zero to JupyterHub values (singleuser.profileList) for the built images."

    def run(self) -> None:
        catalog = self.load()
        path = self.images_path(catalog)
        if not path.is_file():
            raise HubkitError(f"{path} does not exist: run `hubkit images build` first")
        # Imported here: the hub's modules load JupyterHub, which only this command needs.
        from ..hub.spawner import DEFAULT_SIZES
        from .z2jh import z2jh_values

        values = z2jh_values(catalog, read_images_file(path), DEFAULT_SIZES)
        print(yaml.safe_dump(values, sort_keys=False), end="")


class ImagesApp(Application):
    description = "Images of the catalog's profiles: plan, build, Zero to JupyterHub values."
    subcommands = {
        "plan": (ImagesPlan, ImagesPlan.description),
        "build": (ImagesBuild, ImagesBuild.description),
        "z2jh": (ImagesZ2JH, ImagesZ2JH.description),
    }


class _StackEnvBase(_ImagesBase):
    stack_env = Unicode("stack.env", help="The settings file (default: ./stack.env).").tag(
        config=True
    )
    aliases = {**_ImagesBase.aliases, "file": "_StackEnvBase.stack_env"}

    @property
    def template(self) -> Path:
        return ROOT / "example-stack.env"


class StackEnvInit(_StackEnvBase):
    description = "Create stack.env from example-stack.env with random secrets (mode 600)."
    domain = Unicode("", help="JUPYTER_DOMAIN: the hub's public host name.").tag(config=True)
    email = Unicode("", help="ACME_EMAIL: address for Let's Encrypt.").tag(config=True)
    aliases = {
        **_StackEnvBase.aliases,
        "domain": "StackEnvInit.domain",
        "email": "StackEnvInit.email",
    }

    def run(self) -> None:
        overrides = {}
        if self.domain:
            overrides["JUPYTER_DOMAIN"] = self.domain
        if self.email:
            overrides["ACME_EMAIL"] = self.email
        if DOCKER_SOCKET.exists():
            overrides["HUBKIT_DOCKER_GID"] = str(DOCKER_SOCKET.stat().st_gid)
        path = stackenv.init(Path(self.stack_env), self.template, overrides)
        print(f"created {path} (mode 600) with random secrets")
        left = [
            e.key
            for e in stackenv.parse(path.read_text())
            if not e.commented and stackenv.PLACEHOLDER.search(e.value)
        ]
        if left:
            print(f"now set: {', '.join(left)}, then run `hubkit stack-env check`")


class StackEnvCheck(_StackEnvBase):
    description = "Refuse placeholder or weak secrets and a group/world-readable stack.env."

    def run(self) -> None:
        settings = stackenv.check(Path(self.stack_env), self.template)
        print(f"{self.stack_env}: OK ({len(settings)} settings)")


class StackEnvApp(Application):
    description = "stack.env: the production settings and secrets."
    subcommands = {
        "init": (StackEnvInit, StackEnvInit.description),
        "check": (StackEnvCheck, StackEnvCheck.description),
    }


class ComposeUp(_StackEnvBase):
    description = "Check stack.env, build the images that are missing, then docker compose up -d."

    def run(self) -> None:
        catalog = self.load()
        stackenv.check(Path(self.stack_env), self.template)
        engine = DockerEngine()
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
        engine.compose(["--env-file", str(env_file), "up", "-d", "--build"], cwd=ROOT)


class ComposeApp(Application):
    description = "The production stack (docker-compose.yaml)."
    subcommands = {"up": (ComposeUp, ComposeUp.description)}
