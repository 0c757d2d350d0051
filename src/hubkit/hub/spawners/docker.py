"""Production's spawner: each profile is a Docker container of the profile's image."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import docker.errors
from dockerspawner import DockerSpawner
from tornado import web
from traitlets import Dict, Unicode, default

from ...imagesfile import watched_images_file
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
