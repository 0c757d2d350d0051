"""Production's spawner: each profile is a Docker container of the profile's image."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import docker.errors
from dockerspawner import DockerSpawner
from tornado import web
from traitlets import Dict, Unicode, default

from .. import usage
from .profile import DATASETS, TEMPLATES_ENV, ProfileSpawnerMixin

# Where the user's home is mounted in every single-user image (images/base: user jovyan).
HOME = "/home/jovyan"
# Where the images ship their templates (images/profile); the admin's folder is mounted over it.
TEMPLATES = "/opt/hubkit/templates"


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
        return {"hubkit-home-{username}": HOME}

    def apply_profile(self, slug: str) -> None:
        self.image = self.images[slug]
        self.environment = {**self.environment, TEMPLATES_ENV: TEMPLATES}
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

    async def pull_image(self, image: str) -> None:
        """DockerSpawner's pull, with an error the user can act on when the profile's image is
        neither on this host nor pullable (an images file naming an image never built)."""
        try:
            await super().pull_image(image)
        except docker.errors.APIError as e:
            profile = next((slug for slug, name in self.images.items() if name == image), "?")
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
