"""The built-images file: which image runs each profile.

`hubkit images build` writes it; the hub reads it (DockerProfileSpawner.images) and so does
`hubkit images z2jh`. JSON, profile slug -> image:
`{"python-sql": "hubkit/python-sql-notebook:2026-11-25-0123456789ab"}`. This module is the one
reader and writer both sides use, so neither imports the other.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

# Where the hub and `hubkit images build` find the file (compose mounts it there).
VARIABLE = "HUBKIT_IMAGES"


class ImagesFileError(ValueError):
    """The file is missing or malformed; the message names it and what to do."""


def default_images_file(project_root: Path) -> Path:
    """HUBKIT_IMAGES, else .hubkit/images.json in the project folder."""
    env = os.environ.get(VARIABLE)
    return Path(env) if env else project_root / ".hubkit" / "images.json"


def read_images_file(path: Path) -> dict[str, str]:
    """The built images (profile slug -> image) that `hubkit images build` recorded."""
    if path.is_dir():  # `docker compose up` before any build makes the bind mount a folder
        raise ImagesFileError(
            f"{path} is a folder, not the built-images file: run `pixi run build-images`"
        )
    try:
        images = json.loads(path.read_text())
    except FileNotFoundError:
        raise ImagesFileError(f"{path} does not exist: run `pixi run build-images` first") from None
    except json.JSONDecodeError as e:
        raise ImagesFileError(f"{path}: not valid JSON ({e}); delete it and build again") from e
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
    path.write_text(json.dumps(ordered, indent=2) + "\n")
    return ordered
