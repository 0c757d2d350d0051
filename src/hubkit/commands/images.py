"""`hubkit images`: plan, build and smoke-test the single-user images; Zero to JupyterHub
values for them."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path

import yaml
from traitlets import Bool, Enum, List, Unicode, default

from .. import stackenv
from ..catalog import Catalog
from ..images.build import build_images, host_platform
from ..images.engine import DockerEngine
from ..images.plan import FLAVOURS, ROOT_IMAGE, ImageBuild, build_plan
from ..images.z2jh import z2jh_values
from ..imagesfile import default_images_file, read_images_file
from ..policy import default_policy_path, load_policy
from .base import Command, HubkitError

# The stack setting naming the images' flavour (example-stack.env).
FLAVOUR_VARIABLE = "HUBKIT_IMAGE_FLAVOUR"


class ImagesCommand(Command):
    """The options every command about the images shares. Names and the images file default to
    the stack's settings (HUBKIT_REGISTRY, HUBKIT_IMAGE_OWNER, HUBKIT_IMAGES) from the
    environment, else from stack.env, so what the admin sets there names the images built."""

    stack_env = Unicode(
        "stack.env",
        help="""The stack's settings file (default: ./stack.env); the image names and the images
        file default to its values when the environment does not set them.""",
    ).tag(config=True)
    registry = Unicode(
        help="Registry of the image names (e.g. ghcr.io); default HUBKIT_REGISTRY, or none.",
    ).tag(config=True)
    owner = Unicode(
        help="Owner part of the image names; default HUBKIT_IMAGE_OWNER, or `hubkit`.",
    ).tag(config=True)
    extra_ca_cert = Unicode(
        help="""A CA certificate (PEM file) the builds and the images trust, for networks that
        intercept TLS (the build secret `extra-ca`, images/base/hubkit-extra-ca). Default:
        HUBKIT_EXTRA_CA_CERT (relative to the project folder, as compose reads it), or none.""",
    ).tag(config=True)
    profiles = List(Unicode(), help="Profiles to build (default: all); parents come too.").tag(
        config=True
    )
    platform = Unicode("", help="Docker platform (default: this machine's).").tag(config=True)
    date = Unicode("", help="Date in the tags, YYYY-MM-DD (default: today, UTC).").tag(config=True)
    images_file = Unicode(
        "", help="Built-images JSON the hub reads (default: HUBKIT_IMAGES or .hubkit/images.json)."
    ).tag(config=True)
    flavour = Enum(
        FLAVOURS,
        help="""How environments are installed: `conda` (their conda-lock, with micromamba) or
        `pypi` (their spec translated for pip as local mode does, into a venv at the same prefix;
        for networks that reach PyPI but not conda-forge; profiles needing R or Julia have
        none). Tags of `pypi` images end in `-pypi`. Default: HUBKIT_IMAGE_FLAVOUR (the
        environment, else stack.env), else `conda`; `hubkit compose up` builds and looks for
        this flavour too.""",
    ).tag(config=True)
    root_image = Unicode(
        ROOT_IMAGE,
        help="The Debian 13 image every build starts from (a registry mirror's, or one made "
        "with debootstrap).",
    ).tag(config=True)
    aliases = {
        **Command.aliases,
        "file": "ImagesCommand.stack_env",
        "profile": "ImagesCommand.profiles",
        "platform": "ImagesCommand.platform",
        "registry": "ImagesCommand.registry",
        "owner": "ImagesCommand.owner",
        "date": "ImagesCommand.date",
        "images-file": "ImagesCommand.images_file",
        "extra-ca-cert": "ImagesCommand.extra_ca_cert",
        "flavour": "ImagesCommand.flavour",
        "root-image": "ImagesCommand.root_image",
    }

    def stack_settings(self) -> dict[str, str]:
        """stack.env's settings, or none when it does not exist (yet)."""
        path = Path(self.stack_env)
        try:
            return stackenv.values(path.read_text()) if path.is_file() else {}
        except OSError as e:
            raise HubkitError(f"cannot read {path}: {e.strerror}") from None

    def setting(self, name: str, fallback: str) -> str:
        """A stack setting: the environment's, else stack.env's (when set), else fallback."""
        if name in os.environ:
            return os.environ[name]
        return self.stack_settings().get(name) or fallback

    @default("registry")
    def _default_registry(self) -> str:
        return self.setting("HUBKIT_REGISTRY", "")

    @default("owner")
    def _default_owner(self) -> str:
        return self.setting("HUBKIT_IMAGE_OWNER", "hubkit")

    @default("flavour")
    def _default_flavour(self) -> str:
        flavour = self.setting(FLAVOUR_VARIABLE, "conda")
        if flavour not in FLAVOURS:
            raise HubkitError(
                f"{FLAVOUR_VARIABLE} must be {' or '.join(FLAVOURS)}, not {flavour!r} "
                f"(in the environment or {self.stack_env})"
            )
        return flavour

    def plan(self, catalog: Catalog) -> list[ImageBuild]:
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
            flavour=self.flavour,
            root_image=self.root_image,
        )

    def extra_ca_path(self, catalog: Catalog) -> Path | None:
        """The extra CA certificate to build with, checked; None without one."""
        given = self.extra_ca_cert or self.setting("HUBKIT_EXTRA_CA_CERT", "")
        if not given:
            return None
        path = Path(given) if self.extra_ca_cert else catalog.root / given
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise HubkitError(f"extra CA certificate {path}: cannot read it ({e})") from None
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise HubkitError(f"extra CA certificate {path}: not a PEM certificate")
        return path.resolve()

    def engine(self, catalog: Catalog) -> DockerEngine:
        return DockerEngine(extra_ca=self.extra_ca_path(catalog))

    def images_path(self, catalog: Catalog) -> Path:
        if self.images_file:
            return Path(self.images_file)
        return default_images_file(catalog.root, self.stack_settings())


class ImagesPlan(ImagesCommand):
    description = "Show the build plan: order, tags, base images, build args, platforms."
    as_json = Bool(False, help="Print the plan as JSON (for CI matrices).").tag(config=True)
    flags = {**Command.flags, "json": ({"ImagesPlan": {"as_json": True}}, "Print JSON.")}

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
                    source = step.install.lock.relative_to(catalog.root)
                    if b.flavour == "pypi":
                        source = f"envs/{step.install.env}'s chain of specs, from PyPI"
                    what = f"{step.install.mode} {step.install.prefix} from {source}"
                    print(f"     {dockerfile}: {what}")
                else:
                    print(f"     {dockerfile}")
            for path in b.missing_locks:
                print(f"     missing: {path.relative_to(catalog.root)} (run `pixi run lock`)")


class ImagesBuild(ImagesCommand):
    description = (
        "Build the catalog's images in order, run the smoke notebooks in each, record them "
        "for the hub."
    )
    bake = Bool(False, help="Build with `docker buildx bake` instead of sequential builds.").tag(
        config=True
    )
    smoke = Bool(True, help="Run the smoke notebooks in every built image.").tag(config=True)
    flags = {
        **Command.flags,
        "bake": ({"ImagesBuild": {"bake": True}}, "Use docker buildx bake."),
        "no-smoke": ({"ImagesBuild": {"smoke": False}}, "Skip the smoke notebooks."),
    }

    def run(self) -> None:
        catalog = self.load()
        build_images(
            catalog,
            self.engine(catalog),
            self.plan(catalog),
            platform=self.platform or host_platform(),
            images_file=self.images_path(catalog),
            bake=self.bake,
            smoke=self.smoke,
        )


class ImagesZ2JH(ImagesCommand):
    description = "Print Zero to JupyterHub values (singleuser.profileList) for the built images."

    def run(self) -> None:
        catalog = self.load()
        policy = load_policy(default_policy_path(catalog.root))
        values = z2jh_values(catalog, read_images_file(self.images_path(catalog)), policy.sizes)
        print(yaml.safe_dump(values, sort_keys=False), end="")
