"""The built-images file: which image runs each profile.

`hubkit images build` writes it; the hub reads it (DockerProfileSpawner.images_file, again
whenever it changes, so a new build needs no hub restart) and so does `hubkit images z2jh`.
JSON, profile slug -> image: `{"python-sql": "hubkit/python-sql-notebook:2026-11-25-0123456789ab"}`.
One variable names it everywhere: HUBKIT_IMAGES (stack.env: the host's file, which compose
mounts into the hub container at the path the hub's HUBKIT_IMAGES gives). This module is the one
reader and writer both sides use, so neither imports the other.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import functools
import json
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

# Where the hub and `hubkit images build` find the file (compose mounts it there).
VARIABLE = "HUBKIT_IMAGES"
DEFAULT = ".hubkit/images.json"
BUILD = "`hubkit images build` (or `pixi run build-images`)"


class ImagesFileError(ValueError):
    """The file is missing or malformed; the message names it and what to do."""


def default_images_file(project_root: Path, settings: Mapping[str, str] | None = None) -> Path:
    """HUBKIT_IMAGES from the environment, else from `settings` (stack.env's, relative to the
    project folder as compose reads it), else .hubkit/images.json in the project folder."""
    value = os.environ.get(VARIABLE) or (settings or {}).get(VARIABLE) or DEFAULT
    return project_root / value


def read_images_file(path: Path) -> dict[str, str]:
    """The built images (profile slug -> image) that `hubkit images build` recorded."""
    if path.is_dir():  # an older compose file let Docker create a missing bind mount's source
        raise ImagesFileError(
            f"{path} is a folder, not the built-images file (Docker created it because the file "
            f"did not exist): remove that folder on the host (HUBKIT_IMAGES in stack.env), "
            f"then run {BUILD}"
        )
    try:
        images = json.loads(path.read_text())
    except FileNotFoundError:
        raise ImagesFileError(f"{path} does not exist: run {BUILD} first") from None
    except json.JSONDecodeError as e:
        raise ImagesFileError(f"{path}: not valid JSON ({e}); delete it and build again") from e
    except OSError as e:  # permissions, an unreadable mount
        raise ImagesFileError(f"{path}: cannot read it ({e.strerror})") from None
    if not isinstance(images, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in images.items()
    ):
        raise ImagesFileError(f"{path}: expected an object of profile -> image, got {images!r:.80}")
    return images


def write_images_file(
    path: Path, built: Mapping[str, str], profiles: Iterable[str]
) -> dict[str, str]:
    """Merge the built images into the file, in the order of `profiles` (the catalog's);
    entries of profiles no longer among them go."""
    order = list(profiles)
    images = read_images_file(path) if path.exists() else {}
    merged = {**images, **built}
    ordered = {slug: merged[slug] for slug in order if slug in merged}
    path.parent.mkdir(parents=True, exist_ok=True)
    # In place, never a new file renamed over it: the hub's bind mount of a single file keeps
    # the inode it was started with and would not see a replacement.
    path.write_text(json.dumps(ordered, indent=2) + "\n")
    return ordered


class WatchedImagesFile:
    """The images file as the running hub sees it: read again when it changes (its mtime, size
    or inode), so a build recorded while the hub runs is offered at the next form or spawn.
    A missing or broken file gives the last images read (none at first) and `problem`, the
    advice to show, instead of stopping the hub (which Docker would restart into the same
    error)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None
        self._images: dict[str, str] = {}
        self._seen: tuple | None = None

    def _state(self) -> tuple:
        try:
            st = self.path.stat()
        except OSError as e:
            return ("unreadable", e.errno)
        return (st.st_mtime_ns, st.st_size, st.st_ino, stat.S_ISDIR(st.st_mode))

    def images(self) -> dict[str, str]:
        """Profile slug -> image, read again if the file changed since the last call."""
        state = self._state()
        if state != self._seen:
            self._seen = state
            try:
                self._images = read_images_file(self.path)
                self.problem = None
            except ImagesFileError as e:
                self.problem = str(e)
        return dict(self._images)


@functools.cache
def watched_images_file(path: str) -> WatchedImagesFile:
    """One watcher per file for the whole hub process (the config and every spawner)."""
    return WatchedImagesFile(Path(path))
