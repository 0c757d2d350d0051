"""The image build plan, computed from the catalog as pure functions.

One image per catalog profile, built FROM its parent profile's image (docker-stacks' layering).
For every prefix of a profile, the deepest environment installed into it names the lock to
install (envs/<leaf>/conda-lock.yml pins the whole chain, "layers in the lock"); a child image
installs only the prefixes whose leaf changed. Tags say what is inside: the build date and a
digest of everything that goes into the image (locks, Julia's Manifest, the image recipes, the
files copied into the prefixes), never `latest`.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..catalog import Catalog, Environment

# conda platform -> Docker platform
PLATFORMS = {"linux-64": "linux/amd64", "linux-aarch64": "linux/arm64"}
# Defaults of the images' first stages; recorded in the plan so CI and local builds agree.
ROOT_IMAGE = "docker.io/library/debian:13-slim"
MICROMAMBA_IMAGE = "docker.io/mambaorg/micromamba:2.6.1"
DIGEST_LENGTH = 12
# Files of the hubkit package that run inside the image build.
BUILD_SOURCES = (
    "src/hubkit/images/explicit.py",
    "src/hubkit/images/finalize.py",
    "src/hubkit/images/manifest.py",
    "src/hubkit/kernelspecs.py",
)


class ImageError(Exception):
    """A build input is missing or wrong; the message names it and how to fix it."""


@dataclass(frozen=True)
class EnvInstall:
    """One lock installed by an image: `create` a new prefix or `update` its parent's."""

    env: str  # the lock's environment (the prefix's deepest environment in this profile)
    prefix: str
    lock: Path
    mode: str  # "create" | "update"


@dataclass(frozen=True)
class ImageBuild:
    """Everything needed to build and smoke-test one profile's image."""

    slug: str
    parent: str | None
    dockerfile: Path
    context: Path
    image: str  # name:tag
    base_image: str  # the FROM of the final stage: the parent's image, or ROOT_IMAGE
    build_args: dict[str, str]
    platforms: tuple[str, ...]  # Docker platforms (linux/amd64, linux/arm64)
    digest: str
    installs: tuple[EnvInstall, ...]
    smoke: tuple[tuple[Path, str], ...]  # (notebook, kernel name) pairs
    missing_locks: tuple[Path, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.image.rsplit(":", 1)[0]

    @property
    def tag(self) -> str:
        return self.image.rsplit(":", 1)[1]


def image_name(slug: str, registry: str = "", owner: str = "hubkit") -> str:
    """`[registry/]owner/<slug>-notebook`, kebab-case as docker-stacks names its images."""
    repo = f"{owner}/{slug}-notebook"
    return f"{registry.rstrip('/')}/{repo}" if registry else repo


def image_tag(date: _dt.date, digest: str) -> str:
    """`YYYY-MM-DD-<digest>`: when it was built and exactly what from."""
    return f"{date.isoformat()}-{digest[:DIGEST_LENGTH]}"


def profile_platforms(catalog: Catalog, slug: str) -> tuple[str, ...]:
    """Docker platforms every environment of the profile (and its parents) is available on."""
    allowed = list(PLATFORMS)
    for env in catalog.profile_environments(slug):
        allowed = [p for p in allowed if p in env.platforms]
    return tuple(PLATFORMS[p] for p in allowed)


def installs(catalog: Catalog, slug: str) -> list[EnvInstall]:
    """Locks this profile's image installs on top of its parent image."""
    profile = catalog.profiles[slug]
    before = catalog.prefixes(profile.parent) if profile.parent else {}
    out = []
    for root, leaf in catalog.prefixes(slug).items():
        if before.get(root) == leaf:
            continue
        prefix = catalog.environments[root].prefix or ""
        mode = "update" if root in before else "create"
        out.append(EnvInstall(leaf.name, prefix, leaf.lock_file, mode))
    return out


def _julia_manifest(env: Environment) -> Path | None:
    return env.spec_dir / "Manifest.toml" if (env.spec_dir / "Project.toml").is_file() else None


def digest_inputs(catalog: Catalog, slug: str) -> list[Path]:
    """Every repository file whose content ends up in the profile's image, sorted."""
    root = catalog.root
    files: set[Path] = {catalog.path, *(root / s for s in BUILD_SOURCES)}
    for profile in catalog.profile_chain(slug):
        folder = root / "images" / profile.slug
        files |= {p for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()
        for install in installs(catalog, profile.slug):
            files.add(install.lock)
            for env in catalog.chain(install.env):
                for sub in ("etc", "share"):
                    d = env.spec_dir / sub
                    files |= {p for p in d.rglob("*") if p.is_file()} if d.is_dir() else set()
                manifest = _julia_manifest(env)
                if manifest is not None:
                    files |= {manifest, env.spec_dir / "Project.toml"}
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def content_digest(catalog: Catalog, slug: str) -> str:
    """sha256 over the image's inputs; a missing file counts as the word `missing`."""
    h = hashlib.sha256()
    for path in digest_inputs(catalog, slug):
        h.update(path.relative_to(catalog.root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"missing")
        h.update(b"\0")
    return h.hexdigest()


def missing_locks(catalog: Catalog, slug: str) -> list[Path]:
    """Locks (and Julia Manifests) this image installs that are not committed yet."""
    missing = []
    for install in installs(catalog, slug):
        if not install.lock.is_file():
            missing.append(install.lock)
        for env in catalog.chain(install.env):
            manifest = _julia_manifest(env)
            if manifest is not None and not manifest.is_file():
                missing.append(manifest)
    return missing


def smoke_cases(catalog: Catalog, slug: str) -> list[tuple[Path, str]]:
    """(notebook, kernel) for every smoke notebook and every kernel of its language."""
    import json

    cases = []
    for notebook in catalog.smoke_notebooks(slug):
        language = json.loads(notebook.read_text())["metadata"]["kernelspec"]["language"]
        for kernel, _ in catalog.kernels(slug):
            if kernel.language.lower() == language.lower():
                cases.append((notebook, kernel.name))
    return cases


def build_plan(
    catalog: Catalog,
    *,
    date: _dt.date | None = None,
    registry: str = "",
    owner: str = "hubkit",
    profiles: list[str] | None = None,
    platforms: list[str] | None = None,
) -> list[ImageBuild]:
    """The images to build, parents first.

    `profiles` selects images (their parent images are built too); `platforms` (Docker names)
    restricts where; a profile not available on any requested platform is left out.
    """
    date = date or _dt.datetime.now(_dt.UTC).date()
    if platforms:
        unknown = [p for p in platforms if p not in PLATFORMS.values()]
        if unknown:
            raise ImageError(
                f"unknown platform {', '.join(unknown)}; use {' or '.join(PLATFORMS.values())}"
            )
    wanted: list[str] = []
    for slug in profiles or list(catalog.profiles):
        if slug not in catalog.profiles:
            raise ImageError(
                f"unknown profile {slug!r}; the catalog has: {', '.join(catalog.profiles)}"
            )
        wanted += [p.slug for p in catalog.profile_chain(slug) if p.slug not in wanted]
    plan: dict[str, ImageBuild] = {}
    for profile in catalog.build_order():
        if profile.slug not in wanted:
            continue
        where = tuple(
            p for p in profile_platforms(catalog, profile.slug) if not platforms or p in platforms
        )
        if not where or (profile.parent and profile.parent not in plan):
            continue
        digest = content_digest(catalog, profile.slug)
        image = f"{image_name(profile.slug, registry, owner)}:{image_tag(date, digest)}"
        base = plan[profile.parent].image if profile.parent else ROOT_IMAGE
        args = {"ROOT_IMAGE": ROOT_IMAGE, "HUBKIT_PROFILE": profile.slug}
        if profile.parent:
            args["BASE_IMAGE"] = base
        else:
            args["MICROMAMBA_IMAGE"] = MICROMAMBA_IMAGE
        plan[profile.slug] = ImageBuild(
            slug=profile.slug,
            parent=profile.parent,
            dockerfile=catalog.root / "images" / profile.slug / "Dockerfile",
            context=catalog.root,
            image=image,
            base_image=base,
            build_args=args,
            platforms=where,
            digest=digest,
            installs=tuple(installs(catalog, profile.slug)),
            smoke=tuple(smoke_cases(catalog, profile.slug)),
            missing_locks=tuple(missing_locks(catalog, profile.slug)),
        )
    return list(plan.values())


def bake_file(plan: list[ImageBuild], push: bool = False) -> dict:
    """A `docker buildx bake` JSON file: one target per image; a child's FROM its parent's
    target through a named context, so nothing has to be pushed between them."""
    by_slug = {b.slug: b for b in plan}
    targets = {}
    for build in plan:
        target: dict = {
            "context": str(build.context),
            "dockerfile": build.dockerfile.relative_to(build.context).as_posix(),
            "args": dict(build.build_args),
            "tags": [build.image],
            "platforms": list(build.platforms),
            "labels": {
                "org.opencontainers.image.title": build.name,
                "io.hubkit.profile": build.slug,
                "io.hubkit.digest": build.digest,
            },
        }
        if build.parent:
            target["contexts"] = {build.base_image: f"target:{by_slug[build.parent].slug}"}
        if push:
            target["output"] = ["type=registry"]
        targets[build.slug] = target
    return {"group": {"default": {"targets": [b.slug for b in plan]}}, "target": targets}
