"""`hubkit images build`: check the inputs, build in dependency order, smoke-test every image
with nbval against each of its kernels, then record the images for the hub.

The built-images file is JSON, profile slug -> image (`{"python-sql": "hubkit/python-sql-
notebook:2026-11-25-0123456789ab"}`): exactly the hub's `DockerProfileSpawner.images`, which it
reads from the file named by HUBKIT_IMAGES (hubkit.imagesfile).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import platform as _platform
import re
from collections.abc import Callable
from pathlib import Path

from ..catalog import Catalog
from ..envs.lock import check_locks
from ..imagesfile import read_images_file, write_images_file
from .engine import ContainerEngine
from .plan import PLATFORMS, ImageBuild, ImageError, bake_file

SMOKE_MOUNT = "/home/jovyan/smoke"
# nbval is a test tool, not part of the images: installed into /tmp of the throwaway container.
NBVAL_REQUIREMENTS = ("nbval==0.11.0", "pytest==9.2.0")
CELL = re.compile(r"::Cell (\d+)")


class SmokeTestError(ImageError):
    """A smoke notebook failed in a built image."""

    def __init__(self, image: str, notebook: Path, kernel: str, cell: str | None, output: str):
        self.image, self.notebook, self.kernel, self.cell = image, notebook, kernel, cell
        where = f"cell {cell}" if cell else "no cell reported (the kernel may not have started)"
        tail = "\n".join(output.strip().splitlines()[-25:])
        super().__init__(
            f"smoke notebook {notebook.name} failed in image {image} with kernel {kernel}: "
            f"{where}\n{tail}"
        )


def host_platform() -> str:
    """The Docker platform of this machine (images are loaded and smoke-tested here)."""
    machine = _platform.machine().lower()
    return PLATFORMS["linux-aarch64"] if machine in ("aarch64", "arm64") else PLATFORMS["linux-64"]


def check_inputs(catalog: Catalog, plan: list[ImageBuild]) -> None:
    """Refuse to build from a missing or stale lock, naming each and how to relock."""
    needed: dict[Path, list[str]] = {}
    for build in plan:
        for path in build.missing_locks:
            needed.setdefault(path, []).append(build.slug)
    problems = [
        f"{path.relative_to(catalog.root)} does not exist (needed by {', '.join(slugs)}): "
        "run `pixi run lock` (or let the lock workflow commit it)"
        for path, slugs in needed.items()
    ]
    if any(build.flavour == "conda" for build in plan):
        problems += check_locks(catalog)
    if problems:
        raise ImageError("cannot build images:\n  " + "\n  ".join(problems))


def smoke_command(notebook: Path, kernel: str, server_prefix: str) -> list[str]:
    """The command nbval runs in the image for one notebook and kernel, with the Python of
    the prefix that runs the server."""
    python = f"{server_prefix}/bin/python"
    script = (
        f"{python} -m pip install --quiet --no-cache-dir --disable-pip-version-check "
        f"--target /tmp/nbval {' '.join(NBVAL_REQUIREMENTS)} && cd /tmp && "
        f"PYTHONPATH=/tmp/nbval {python} -m pytest -p no:cacheprovider -q "
        f"--nbval-lax --nbval-kernel-name={kernel} {SMOKE_MOUNT}/{notebook.name}"
    )
    return ["bash", "-c", script]


def smoke_test(engine: ContainerEngine, build: ImageBuild, log: Callable[[str], None]) -> None:
    """Run every smoke notebook of the image against each of its kernels of that language."""
    for notebook, kernel in build.smoke:
        log(f"smoke {build.slug}: {notebook.name} with kernel {kernel}")
        result = engine.run(
            build.image,
            smoke_command(notebook, kernel, build.server_prefix),
            mounts={notebook.parent: SMOKE_MOUNT},
        )
        if result.returncode != 0:
            cell = CELL.search(result.output)
            raise SmokeTestError(
                build.image, notebook, kernel, cell.group(1) if cell else None, result.output
            )


def build_images(
    catalog: Catalog,
    engine: ContainerEngine,
    plan: list[ImageBuild],
    *,
    platform: str,
    images_file: Path,
    bake: bool = False,
    smoke: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Build (and smoke-test) the plan's images for one platform; return slug -> image."""
    check_inputs(catalog, plan)
    engine.check_available()
    todo = [b for b in plan if platform in b.platforms]
    for b in plan:
        if b not in todo:
            log(f"skip {b.slug}: not available on {platform} (catalog `platforms`)")
    if bake:
        bake_path = catalog.root / ".hubkit" / "build" / "docker-bake.json"
        bake_path.parent.mkdir(parents=True, exist_ok=True)
        bake_path.write_text(json.dumps(bake_file(todo), indent=2) + "\n")
        log(f"bake {', '.join(b.slug for b in todo)} ({platform}) from {bake_path}")
        engine.bake(bake_path, [b.slug for b in todo], platform)
    else:
        steps = [step for b in todo for step in b.steps]
        for i, step in enumerate(steps, 1):
            what = f"{step.dockerfile.parent.name} {step.install.env}" if step.install else ""
            what = what or step.dockerfile.relative_to(step.context).as_posix()
            log(
                f"[{i}/{len(steps)}] build {step.image} ({platform}, {what}) FROM {step.base_image}"
            )
            engine.build(step, platform)
    if smoke:
        for b in todo:
            smoke_test(engine, b, log)
    images = write_images_file(images_file, {b.slug: b.image for b in todo}, catalog.profiles)
    log(f"wrote {images_file}: {', '.join(images)}")
    return images


def missing_images(
    engine: ContainerEngine, plan: list[ImageBuild], images_file: Path, platform: str
) -> list[str]:
    """Profiles whose current image (same content digest) is not recorded and present."""
    recorded = read_images_file(images_file) if images_file.exists() else {}
    missing = []
    for b in plan:
        if platform not in b.platforms:
            continue
        image = recorded.get(b.slug, "")
        # The tag after its date: the digest (and the flavour's suffix).
        current = image.rpartition(":")[2][11:] == b.tag[11:]
        if not current or not engine.image_exists(image):
            missing.append(b.slug)
    return missing
