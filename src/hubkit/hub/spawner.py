"""Spawners with the catalog's profile picker: one profile logic, two backends.

`ProfileSpawnerMixin` renders the form, turns it into user_options and applies them (form and
REST API alike, through JupyterHub's `apply_user_options` hook); the backends only say which
profiles they can start and how a chosen profile becomes a server: a local process running a
venv's JupyterLab (local mode, tests) or a Docker container of the profile's image (production).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from dockerspawner import DockerSpawner
from jupyterhub.spawner import SimpleLocalProcessSpawner
from tornado import web
from traitlets import Dict, HasTraits, List, Unicode, default

from ..catalog import Catalog, load_catalog
from ..local.environments import LocalLayout, pypi_status
from . import profiles

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_SIZES = {
    "small": {
        "display_name": "Small: 1 CPU, 2 GB",
        "cpu_limit": 1.0,
        "mem_limit": "2G",
        "default": True,
    },
    "medium": {"display_name": "Medium: 2 CPUs, 4 GB", "cpu_limit": 2.0, "mem_limit": "4G"},
}


class ProfileSpawnerMixin(HasTraits):
    """Spawn-time profile picker driven by the kernel catalog."""

    catalog_path = Unicode(
        "",
        help="""Path of the kernel catalog (catalog.yaml). Default: HUBKIT_CATALOG or the
        repository's catalog.yaml.""",
    ).tag(config=True)

    sizes = Dict(
        default_value=DEFAULT_SIZES,
        help="""Size choices offered with every profile: slug -> {display_name, default,
        and spawner traits such as cpu_limit, mem_limit}. Users can pick only these.""",
    ).tag(config=True)

    additional_profile_form_template_paths = List(
        Unicode(),
        help="""Extra folders searched first for `form.html`, to restyle the profile picker
        without forking it (as KubeSpawner's option of the same name).""",
    ).tag(config=True)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.catalog_path or None)

    def available_profiles(self) -> list[str]:
        """Slugs of the catalog profiles this backend can start now."""
        raise NotImplementedError

    def apply_profile(self, slug: str) -> None:
        """Configure the backend for a validated profile."""
        raise NotImplementedError

    def get_profile_list(self) -> list[dict[str, Any]]:
        return profiles.profile_list(self.catalog, self.sizes, self.available_profiles())

    @default("options_form")
    def _default_options_form(self):
        return lambda spawner: spawner.render_profile_form()

    @default("options_from_form")
    def _default_options_from_form(self):
        return profiles.options_from_form

    @default("apply_user_options")
    def _default_apply_user_options(self):
        return lambda spawner, user_options: spawner.apply_profile_options(user_options)

    def render_profile_form(self) -> str:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(
                [*self.additional_profile_form_template_paths, TEMPLATES]
            ),
            autoescape=True,
        )
        env.policies["json.dumps_kwargs"] = {"sort_keys": False}
        profile_list = self.get_profile_list()
        if not profile_list:
            return env.get_template("no-profiles.html").render(catalog=self.catalog)
        chosen = self.user_options if isinstance(self.user_options, dict) else {}
        try:
            previous, _ = profiles.validate_user_options(profile_list, chosen)
        except ValueError:  # saved options are untrusted too: fall back to defaults
            previous, _ = profiles.validate_user_options(profile_list, {})
        return env.get_template("form.html").render(profile_list=profile_list, previous=previous)

    def apply_profile_options(self, user_options: dict[str, Any]) -> None:
        try:
            options, overrides = profiles.validate_user_options(
                self.get_profile_list(), user_options
            )
        except ValueError as e:
            raise web.HTTPError(400, str(e)) from e
        self.user_options = options
        if self.orm_spawner is not None:
            self.orm_spawner.user_options = options
        for name, value in overrides.items():
            setattr(self, name, value)
        self.apply_profile(options["profile"])


class LocalProfileSpawner(ProfileSpawnerMixin, SimpleLocalProcessSpawner):
    """Local mode: each profile is a venv's JupyterLab started as a process of the hub's user.

    Limits are advisory here (reported to jupyter-resource-usage, not enforced); use Docker
    for isolation.
    """

    hubkit_home = Unicode(
        "",
        help="Local mode state folder (venvs, profiles, homes). Default: HUBKIT_HOME or .hubkit.",
    ).tag(config=True)

    @cached_property
    def layout(self) -> LocalLayout:
        if self.hubkit_home:
            return LocalLayout(Path(self.hubkit_home).resolve())
        return LocalLayout.default(self.catalog)

    @default("home_dir_template")
    def _default_home_dir_template(self) -> str:
        return str(self.layout.homes_dir / "{username}")

    @default("default_url")
    def _default_default_url(self) -> str:
        return "/lab"

    def available_profiles(self) -> list[str]:
        available = []
        for slug in self.catalog.profiles:
            if not (self.layout.profile_dir(slug) / "share" / "jupyter" / "kernels").is_dir():
                continue
            leaves = self.catalog.prefixes(slug).values()
            if all(
                pypi_status(self.catalog, self.layout, leaf).available
                for leaf in leaves
                if leaf.local.source == "pypi"
            ):
                available.append(slug)
        return available

    def apply_profile(self, slug: str) -> None:
        server = self.catalog.server_environment(slug)
        venv = self.layout.venv(self.catalog.prefixes(slug)[server.name].name)
        self.cmd = [str(venv / "bin" / "jupyterhub-singleuser")]
        if os.geteuid() == 0:
            self.args = [*self.args, "--ServerApp.allow_root=True"]
        profile_dir = self.layout.profile_dir(slug)
        self.environment = {
            **self.environment,
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
            "JUPYTER_PATH": str(profile_dir / "share" / "jupyter"),
            "JUPYTER_CONFIG_PATH": str(profile_dir / "etc" / "jupyter"),
            "HUBKIT_PROFILE": slug,
        }

    async def start(self):
        Path(self.home_dir).mkdir(parents=True, exist_ok=True)
        return await super().start()


class DockerProfileSpawner(ProfileSpawnerMixin, DockerSpawner):
    """Production: each profile is an image built by `pixi run build-images`."""

    images = Dict(
        Unicode(),
        help="""Profile slug -> image to run. Default: read from the file written by
        `pixi run build-images` (HUBKIT_IMAGES, images.json). Profiles without an image are
        not offered.""",
    ).tag(config=True)

    def available_profiles(self) -> list[str]:
        return [slug for slug in self.catalog.profiles if slug in self.images]

    @default("allowed_images")
    def _default_allowed_images(self) -> dict[str, str]:
        return dict(self.images)

    def apply_profile(self, slug: str) -> None:
        self.image = self.images[slug]
