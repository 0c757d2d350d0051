"""Production's spawner: each profile is a Docker container of the profile's image."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import io
import json
import posixpath
import tarfile

import docker.errors
from dockerspawner import DockerSpawner
from tornado import web
from traitlets import Dict, Unicode, default

from ...imagesfile import watched_images_file
from .. import usage
from .profile import DATASETS, SHARED_CONNECTIONS_FILE_ENV, TEMPLATES_ENV, ProfileSpawnerMixin

# Where the user's home is mounted in every single-user image, and its user (images/base).
HOME = "/home/jovyan"
NB_UID, NB_GID = 1000, 100
# Secrets for the server (the shared connections' passwords), copied into the container before
# it starts: readable by jovyan only, outside the home volume, never in `docker inspect`.
SECRETS_DIR = "/run/hubkit"
SHARED_CONNECTIONS_FILE = f"{SECRETS_DIR}/shared-connections.json"


def secrets_archive(files: dict[str, str]) -> bytes:
    """A tar of SECRETS_DIR with the files (name -> content): the folder mode 500, each file
    400, owned by the image's user, as `put_archive` extracts them."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folder = tarfile.TarInfo(posixpath.basename(SECRETS_DIR))
        folder.type, folder.mode, folder.uid, folder.gid = tarfile.DIRTYPE, 0o500, NB_UID, NB_GID
        tar.addfile(folder)
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(f"{folder.name}/{name}")
            info.size, info.mode, info.uid, info.gid = len(data), 0o400, NB_UID, NB_GID
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# Where the images ship their templates (images/profile); the admin's folder is mounted over it.
TEMPLATES = "/opt/hubkit/templates"
# The image's JUPYTER_CONFIG_PATH (images/base/Dockerfile): the profile's server config.
CONFIG = "/opt/hubkit/etc/jupyter"


class DockerProfileSpawner(ProfileSpawnerMixin, DockerSpawner):
    """Production: each profile is an image built by `pixi run build-images`.

    Containers are removed when they stop (a new start always applies the chosen profile),
    the home is a named volume per user, and the hub reaches servers by their address on
    the (internal) Docker network given by `network_name`.
    """

    images_file = Unicode(
        "",
        help="""The built-images file (`hubkit images build` writes it; HUBKIT_IMAGES): profile
        slug -> image. Read again whenever it changes, at the next spawn form or start, so a
        new build needs no hub restart; while it is missing or broken no profile is offered
        and the form says why. hub/jupyterhub_config.py sets it. Overrides `images`.""",
    ).tag(config=True)

    images = Dict(
        Unicode(),
        help="""Profile slug -> image to run, when `images_file` is not set. Profiles without an
        image are not offered.""",
    ).tag(config=True)

    def current_images(self) -> dict[str, str]:
        """The images as they are now: `images_file`'s current content, else `images`."""
        if not self.images_file:
            return dict(self.images)
        watched = watched_images_file(self.images_file)
        images = watched.images()
        if watched.problem and watched.problem != getattr(self, "_images_problem", None):
            self.log.warning("HUBKIT_IMAGES: %s", watched.problem)
        self._images_problem = watched.problem
        return images

    def images_problem(self) -> str | None:
        return watched_images_file(self.images_file).problem if self.images_file else None

    def available_profiles(self) -> list[str]:
        images = self.current_images()
        return [slug for slug in self.catalog.profiles if slug in images]

    @default("allowed_images")
    def _default_allowed_images(self):
        # A callable, so that DockerSpawner's check sees the file's current images.
        return lambda spawner: spawner.current_images()

    @default("remove")
    def _default_remove(self) -> bool:
        return True

    @default("volumes")
    def _default_volumes(self) -> dict[str, str]:
        return {"hubkit-home-{username}": HOME}

    def apply_profile(self, slug: str) -> None:
        self.image = self.current_images()[slug]
        self.environment = {
            **self.environment,
            TEMPLATES_ENV: TEMPLATES,
            **self.ai_off_environment(self.catalog.server_environment(slug).prefix or "", CONFIG),
        }
        volumes = dict(self.volumes)
        if self.templates_dir:
            volumes[self.templates_dir] = {"bind": TEMPLATES, "mode": "ro"}
        if self.datasets_dir:
            mode = "rw" if self.may_write_datasets() else "ro"
            volumes[self.datasets_dir] = {"bind": f"{HOME}/{DATASETS}", "mode": mode}
        self.volumes = volumes
        if self.gpu:
            # docker run --gpus all: a device request for every GPU with the gpu capability.
            self.extra_host_config = {
                **self.extra_host_config,
                "device_requests": [{"Driver": "", "Count": -1, "Capabilities": [["gpu"]]}],
            }

    def shared_connections_environment(self, granted: dict[str, dict[str, str]]) -> dict[str, str]:
        """A file in the container (written by `create_object`), not the JSON with passwords in
        a variable that `docker inspect` shows."""
        self._secret_files = {}
        if not granted:
            return {}
        self._secret_files[posixpath.basename(SHARED_CONNECTIONS_FILE)] = json.dumps(granted)
        return {SHARED_CONNECTIONS_FILE_ENV: SHARED_CONNECTIONS_FILE}

    async def create_object(self):
        """DockerSpawner's container, with this spawn's secret files copied in before it
        starts, and no swap beyond the size's memory: on a host with swap, Docker's default
        (swap as much again) lets a kernel over the limit swap and crawl instead of being
        killed and restarted, which the user sees."""
        if self.mem_limit:
            self.extra_host_config = {**self.extra_host_config, "memswap_limit": self.mem_limit}
        container = await super().create_object()
        if files := getattr(self, "_secret_files", None):
            archive = secrets_archive(files)
            parent = posixpath.dirname(SECRETS_DIR)
            await self.docker("put_archive", container["Id"], parent, archive)
        return container

    async def pull_image(self, image: str) -> None:
        """DockerSpawner's pull, with an error the user can act on when the profile's image is
        neither on this host nor pullable (an images file naming an image never built)."""
        try:
            await super().pull_image(image)
        except docker.errors.APIError as e:
            images = self.current_images()
            profile = next((slug for slug, name in images.items() if name == image), "?")
            self.log.error(
                "Image %s of profile %s unavailable for %s: %s", image, profile, self._log_name, e
            )
            raise web.HTTPError(
                503,
                f"The image of the profile {profile!r} ({image}) is not on this server and "
                "cannot be downloaded. Pick another profile, and tell your admin: it must be "
                "built (`hubkit images build`) or pushed to its registry.",
            ) from None

    def home_volume(self) -> str | None:
        """The user's home volume: the entry of `volumes` mounted at the home folder."""
        for source, target in self.volumes.items():
            mount = target["bind"] if isinstance(target, dict) else target
            if mount == HOME:
                return self._render_templates(source)
        return None

    async def get_usage(self) -> usage.ServerUsage | None:
        if not self.container_id:
            return None
        stats = await self.docker("stats", self.container_id, stream=False)
        return usage.container_usage(stats)

    async def get_home_bytes(self) -> int | None:
        volume = self.home_volume()
        if volume is None:
            return None
        df = await self.docker("df")
        return usage.volume_bytes(df, volume)
