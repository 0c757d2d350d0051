"""Production's spawner: each profile is a Docker container of the profile's image."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from dockerspawner import DockerSpawner
from traitlets import Dict, Unicode, default

from .. import usage
from .profile import ProfileSpawnerMixin

# Where the user's home is mounted in every single-user image (images/base: user jovyan).
HOME = "/home/jovyan"


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
        if self.gpu:
            # docker run --gpus all: a device request for every GPU with the gpu capability.
            self.extra_host_config = {
                **self.extra_host_config,
                "device_requests": [{"Driver": "", "Count": -1, "Capabilities": [["gpu"]]}],
            }

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
