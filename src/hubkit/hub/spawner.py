"""Spawners with the catalog's profile picker: one profile logic, two backends.

`ProfileSpawnerMixin` renders the form, turns it into user_options and applies them (form and
REST API alike, through JupyterHub's `apply_user_options` hook); the backends only say which
profiles they can start and how a chosen profile becomes a server: a local process running a
venv's JupyterLab (local mode, tests) or a Docker container of the profile's image (production).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import asyncio
import copy
import os
import subprocess
import time
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from dockerspawner import DockerSpawner
from jupyterhub.spawner import SimpleLocalProcessSpawner
from jupyterhub.traitlets import ByteSpecification
from tornado import web
from traitlets import Bool, Dict, HasTraits, Integer, List, Unicode, default, observe

from ..catalog import Catalog, load_catalog
from ..local.environments import LocalLayout, pypi_status
from . import profiles, usage
from .inputs import quote

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
HOME_VOLUME = "hubkit-home-{username}"
# Group property whose value (size slug -> size) adds sizes for the group's members.
GROUP_SIZES_PROPERTY = "hubkit_sizes"
# Traits a spawn may change (sizes, profiles). A Spawner object lives as long as the hub and is
# reused for each start of the user's server, so these are reset before each spawn: a GPU or a
# big size chosen once must not stick to the next start.
RESET_EACH_SPAWN = (
    "cpu_limit",
    "mem_limit",
    "cpu_guarantee",
    "mem_guarantee",
    "gpu",
    "args",
    "environment",
    "extra_host_config",
)


class SpawnFailed(web.HTTPError):
    """A server that did not start, with the reason shown to the user (not a bare 500).

    JupyterHub shows `jupyterhub_message` on the spawn page, in the progress stream and in the
    REST API's error body.
    """

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(500, "%s", message)
        self.jupyterhub_message = message + (f"\n{log_tail}" if log_tail else "")
        self.jupyterhub_html_message = str(
            jinja2.utils.markupsafe.Markup("<p>{}</p>{}").format(
                message,
                jinja2.utils.markupsafe.Markup("<pre>{}</pre>").format(log_tail)
                if log_tail
                else "",
            )
        )


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

    group_sizes = Dict(
        Dict(),
        help="""Extra size choices for members of a JupyterHub group: group name -> {size slug
        -> size}, in the schema of `sizes`. An admin can also give a group sizes at run time
        with the group property `hubkit_sizes` (same schema; REST API or admin panel). Members
        of several groups get the union; non-members can never choose these sizes.""",
    ).tag(config=True)

    gpu = Bool(
        False,
        help="""Give the server the host's GPUs. Set by a size with `gpu: true`; the Docker
        backend turns it into a device request, local mode ignores it.""",
    ).tag(config=True)

    home_quota = ByteSpecification(
        None,
        allow_none=True,
        help="""Storage quota of each user's home (e.g. "10G"). Reported on the usage page,
        which warns at 90%. Enforcement depends on the storage: Docker's `local` volume
        driver cannot cap a named volume, so enforce it with the filesystem under the volumes
        (XFS project quotas, a ZFS/btrfs dataset per volume) or a volume driver with a size
        option (set through `DockerSpawner.volume_driver` / `extra_host_config`).""",
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

    def sizes_for_user(self) -> dict[str, dict[str, Any]]:
        """The sizes this user may choose: `sizes`, then their groups' sizes by group name."""
        sizes = {slug: dict(size) for slug, size in self.sizes.items()}
        groups = sorted(getattr(self.user, "groups", None) or [], key=lambda g: g.name)
        for group in groups:
            extra = dict(self.group_sizes.get(group.name, {}))
            extra.update((group.properties or {}).get(GROUP_SIZES_PROPERTY) or {})
            for slug, size in extra.items():
                problem = profiles.size_problem(slug, size)
                if problem:
                    self.log.warning(
                        "Ignoring size %s of group %s: %s", quote(str(slug)), group.name, problem
                    )
                    continue
                sizes[slug] = {**size, "default": False}
        return sizes

    def get_profile_list(self) -> list[dict[str, Any]]:
        return profiles.profile_list(self.catalog, self.sizes_for_user(), self.available_profiles())

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

    @observe("handler")
    def _handler_changed(self, change) -> None:
        # JupyterHub 6.1.1's User.spawn sets `handler`, then stores the request's user_options
        # in the database (orm_spawner.user_options, committed), and only then runs
        # apply_user_options: keep what was stored before, for a refused request to restore.
        if change.new is not None and self.orm_spawner is not None:
            self._stored_options = copy.deepcopy(self.orm_spawner.user_options)

    def apply_profile_options(self, user_options: dict[str, Any]) -> None:
        try:
            options, overrides = profiles.validate_user_options(
                self.get_profile_list(), user_options
            )
        except ValueError as e:
            # Refused (form or REST): the user's stored options stay as they were (issue 17).
            self._restore_stored_options()
            raise web.HTTPError(400, str(e)) from e
        self.user_options = options
        if self.orm_spawner is not None:
            self.orm_spawner.user_options = options
        self._reset_spawn_traits()
        for name, value in overrides.items():
            setattr(self, name, value)
        self.apply_profile(options["profile"])

    def _restore_stored_options(self) -> None:
        if self.orm_spawner is None or not hasattr(self, "_stored_options"):
            return
        self.user_options = copy.deepcopy(self._stored_options) or {}
        self.orm_spawner.user_options = self._stored_options
        self.db.commit()

    def _reset_spawn_traits(self) -> None:
        if not hasattr(self, "_hubkit_baseline"):
            self._hubkit_baseline = {
                name: copy.deepcopy(getattr(self, name))
                for name in RESET_EACH_SPAWN
                if self.has_trait(name)
            }
        for name, value in self._hubkit_baseline.items():
            setattr(self, name, copy.deepcopy(value))

    async def get_usage(self) -> usage.ServerUsage | None:
        """CPU and memory in use by the running server; None when unknown."""
        return None

    async def get_home_bytes(self) -> int | None:
        """Bytes stored in the user's home; None when unknown."""
        return None


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

    server_log_template = Unicode(
        "{home}/.local/state/hubkit/jupyter-server.log",
        help="""Where the server's output is written (`{home}` is the user's home, `{username}`
        the user's name). Its last lines are shown when the server fails to start.""",
    ).tag(config=True)

    log_tail_lines = Integer(
        20, help="How many last lines of the server's log a failed start shows."
    ).tag(config=True)

    @default("home_dir_template")
    def _default_home_dir_template(self) -> str:
        return str(self.layout.homes_dir / "{username}")

    @property
    def server_log(self) -> Path:
        return Path(self.server_log_template.format(home=self.home_dir, username=self.user.name))

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
        venv = self.layout.server_venv(self.catalog, slug)
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
        """Start the process and return only once its port answers.

        JupyterHub 6.1.1 answers a bare 500 (InvalidStateError) when the process dies while
        the hub waits for it; waiting here turns that into `SpawnFailed` with the log's tail.
        A start that hangs past `start_timeout` fails the same way; the hub then stops (kills)
        the process.
        """
        Path(self.home_dir).mkdir(parents=True, exist_ok=True)
        log_path = self.server_log
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            log.write(f"--- hubkit: starting at {time.ctime()}\n".encode())
            log.flush()
            self.popen_kwargs = {
                **self.popen_kwargs,
                "stdout": log,
                "stderr": subprocess.STDOUT,
            }
            ip, port = await super().start()
        # Give up just before the hub's own start_timeout, whose TimeoutError reaches REST
        # clients as a bare "Internal Server Error"; the hub still stops the process.
        deadline = time.monotonic() + max(0.5, self.start_timeout - 1)
        while True:
            status = self.proc.poll()
            if status is not None:
                message = f"Your server exited with status {status} while starting."
                self.log.error("%s: %s", self._log_name, message)
                raise SpawnFailed(message, tail(log_path, self.log_tail_lines))
            if await port_open(ip, port):
                return ip, port
            if time.monotonic() > deadline:
                message = f"Your server did not start within {self.start_timeout} seconds."
                self.log.error("%s: %s", self._log_name, message)
                raise SpawnFailed(message, tail(log_path, self.log_tail_lines))
            await asyncio.sleep(0.2)

    async def stop(self, now: bool = False) -> None:
        """Stop with SIGTERM, then SIGKILL after `term_timeout`; no SIGINT first.

        jupyterhub-singleuser turns SIGINT into a clean stop only when its stdin is a terminal;
        here SIGINT interrupts the loop and the server exits without jupyter_server's cleanup
        (extensions are not stopped, kernels are left to notice their parent is gone). SIGTERM
        runs that cleanup, as `docker stop` does for DockerProfileSpawner.
        """
        await super().stop(now=True)

    async def get_usage(self) -> usage.ServerUsage | None:
        if not self.pid:
            return None
        return await asyncio.to_thread(usage.process_tree_usage, self.pid)

    async def get_home_bytes(self) -> int | None:
        return await asyncio.to_thread(usage.directory_bytes, Path(self.home_dir))


class DockerProfileSpawner(ProfileSpawnerMixin, DockerSpawner):
    """Production: each profile is an image built by `pixi run build-images`.

    Containers are removed when they stop (a new start always applies the chosen profile),
    the home is a named volume per user, and the hub reaches servers by their address on
    the (internal) Docker network given by `network_name`.
    """

    images = Dict(
        Unicode(),
        help="""Profile slug -> image to run. hub/jupyterhub_config.py reads it from the file
        `pixi run build-images` writes (HUBKIT_IMAGES). Profiles without an image are not
        offered.""",
    ).tag(config=True)

    def available_profiles(self) -> list[str]:
        return [slug for slug in self.catalog.profiles if slug in self.images]

    @default("allowed_images")
    def _default_allowed_images(self) -> dict[str, str]:
        return dict(self.images)

    @default("remove")
    def _default_remove(self) -> bool:
        return True

    @default("volumes")
    def _default_volumes(self) -> dict[str, str]:
        return {HOME_VOLUME: "/home/jovyan"}

    def apply_profile(self, slug: str) -> None:
        self.image = self.images[slug]
        if self.gpu:
            # docker run --gpus all: a device request for every GPU with the gpu capability.
            self.extra_host_config = {
                **self.extra_host_config,
                "device_requests": [{"Driver": "", "Count": -1, "Capabilities": [["gpu"]]}],
            }

    def home_volume(self) -> str:
        return self._render_templates(HOME_VOLUME)

    async def get_usage(self) -> usage.ServerUsage | None:
        if not self.container_id:
            return None
        stats = await self.docker("stats", self.container_id, stream=False)
        return usage.container_usage(stats)

    async def get_home_bytes(self) -> int | None:
        df = await self.docker("df")
        return usage.volume_bytes(df, self.home_volume())


async def port_open(ip: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(ip, port), 1)
    except (TimeoutError, OSError):
        return False
    writer.close()
    return True


def tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
