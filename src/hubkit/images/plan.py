"""The image build plan, computed from the catalog as pure functions.

One image per catalog profile, built FROM its parent profile's image (docker-stacks' layering).
No profile has a Dockerfile of its own: each image is a sequence of builds of the generic ones,

- images/base/Dockerfile: the root of the hierarchy (OS, user, micromamba), the first
  step of a profile without a parent;
- images/layer/Dockerfile: ONE environment onto the previous step, once per prefix whose
  deepest environment changed (envs/<leaf>/conda-lock.yml pins the whole chain, "layers in the
  lock"), with its prefix, create/update mode, copied files, dropped extensions and the
  project's own packages (built from packages/ in a Node stage) as arguments;
- images/profile/Dockerfile: the profile's kernelspecs, server config and manifest.

Two flavours of the same recipes (`--flavour`): `conda` (the default) installs each environment
from its conda-lock with micromamba; `pypi` installs the same spec translated for pip exactly as
local mode does (hubkit.envs.pypi) into a venv of the base's Python at the same prefix, for
networks that reach PyPI but not conda-forge. Only profiles whose environments all come from
PyPI in local mode have a `pypi` image; their tags end in `-pypi`.

Only the last step is the profile's image. The steps before it are tagged
`<image>-layer-<env>` (`-layer-base` for the root) so sequential builds can name them as the
next FROM; they stay local (a bake file links them as targets and never exports them). Tags say
what is inside: the build date and a digest of everything that goes into the image (locks,
Julia's Manifest, the image recipes, the files copied into the prefixes), never `latest`.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..catalog import Catalog
from ..catalog.model import package_sources
from ..envs.pypi import pip_requirements
from ..envs.spec import load_spec

# conda platform -> Docker platform
PLATFORMS = {"linux-64": "linux/amd64", "linux-aarch64": "linux/arm64"}
# Defaults of the images' first stages; recorded in the plan so CI and local builds agree.
ROOT_IMAGE = "docker.io/library/debian:13-slim"
MICROMAMBA_IMAGE = "docker.io/mambaorg/micromamba:2.6.1"
DIGEST_LENGTH = 12
# Files of the hubkit package that run inside the image build.
BUILD_SOURCES = (
    "src/hubkit/prefix.py",
    "src/hubkit/images/explicit.py",
    "src/hubkit/images/finalize.py",
    "src/hubkit/images/manifest.py",
    "src/hubkit/kernelspecs.py",
    "src/hubkit/welcome.py",
)
# Folders of the repository copied into every profile's image (images/profile): the first
# login's welcome files and the shipped notebook templates.
SHIPPED_FOLDERS = ("notebooks/welcome/home", "notebooks/templates")
# The generic recipes every image is built with (images/README.md).
ROOT_DOCKERFILE = "images/base/Dockerfile"  # OS, user, micromamba: for parentless profiles
LAYER_DOCKERFILE = "images/layer/Dockerfile"
PROFILE_DOCKERFILE = "images/profile/Dockerfile"
LAYER_TAG = "-layer-"
FLAVOURS = ("conda", "pypi")


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
class BuildStep:
    """One `docker build` of a generic Dockerfile; a profile's image is a sequence of them."""

    name: str  # bake target: the profile's slug for its last step, else <slug>-layer-<env>
    slug: str  # the profile this step belongs to
    dockerfile: Path
    context: Path
    image: str  # name:tag; the profile's image for the last step, `<image>-layer-<env>` before
    base_image: str  # its FROM: the previous step's image, the parent profile's, or ROOT_IMAGE
    build_args: dict[str, str]
    digest: str  # the profile's content digest
    install: EnvInstall | None = None  # the environment a layer step adds

    @property
    def final(self) -> bool:
        return self.name == self.slug


@dataclass(frozen=True)
class ImageBuild:
    """Everything needed to build and smoke-test one profile's image."""

    slug: str
    parent: str | None
    context: Path
    image: str  # name:tag
    base_image: str  # what the image is built FROM: the parent's image, or ROOT_IMAGE
    platforms: tuple[str, ...]  # Docker platforms (linux/amd64, linux/arm64)
    digest: str
    installs: tuple[EnvInstall, ...]
    steps: tuple[BuildStep, ...]  # in build order; the last one is tagged `image`
    smoke: tuple[tuple[Path, str], ...]  # (notebook, kernel name) pairs
    server_prefix: str  # the prefix that runs JupyterLab (and nbval in the smoke tests)
    missing_locks: tuple[Path, ...] = field(default=())
    flavour: str = "conda"

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


def image_tag(date: _dt.date, digest: str, flavour: str = "conda") -> str:
    """`YYYY-MM-DD-<digest>`: when it was built and exactly what from (`-pypi` for that
    flavour)."""
    suffix = "" if flavour == "conda" else f"-{flavour}"
    return f"{date.isoformat()}-{digest[:DIGEST_LENGTH]}{suffix}"


def pypi_problem(catalog: Catalog, slug: str) -> str | None:
    """Why the profile has no PyPI flavour (an environment local mode takes from the system),
    or None."""
    others = [env.name for env in catalog.profile_environments(slug) if env.local.source != "pypi"]
    if others:
        return f"{', '.join(others)} cannot be installed from PyPI (local mode: from the system)"
    return None


def pypi_requirements(catalog: Catalog, env: str) -> str:
    """The REQUIREMENTS build argument: the chain's specs translated for pip, as local mode
    installs them (hubkit.envs.pypi), one word each."""
    lines = pip_requirements([load_spec(e.spec_file) for e in catalog.chain(env)])
    spaced = [line for line in lines if any(c.isspace() for c in line)]
    if spaced:
        raise ImageError(f"requirements with spaces cannot be passed: {spaced}")
    return " ".join(lines)


def profile_platforms(catalog: Catalog, slug: str) -> tuple[str, ...]:
    """Docker platforms every environment of the profile (and its parents) is available on."""
    allowed = list(PLATFORMS)
    for env in catalog.profile_environments(slug):
        allowed = [p for p in allowed if p in env.platforms]
    return tuple(PLATFORMS[p] for p in allowed)


def installs(catalog: Catalog, slug: str) -> list[EnvInstall]:
    """Locks this profile's image installs on top of its parent image."""
    profile = catalog.profiles[slug]
    before = catalog.leaves(profile.parent) if profile.parent else {}
    out = []
    for root, leaf in catalog.leaves(slug).items():
        if before.get(root) == leaf:
            continue
        prefix = catalog.environments[root].prefix or ""
        mode = "update" if root in before else "create"
        out.append(EnvInstall(leaf.name, prefix, leaf.lock_file, mode))
    return out


def layer_args(catalog: Catalog, install: EnvInstall, flavour: str = "conda") -> dict[str, str]:
    """images/layer/Dockerfile's arguments for one environment, from the catalog.

    FILES: the environments of the lock's chain (root first) that have etc/ or share/ to copy
    into the prefix; DROP: their `drop_labextensions`; PACKAGES: the project's own packages the
    chain carries (folders of packages/), built into wheels and installed into the prefix;
    RUNTIME: `julia` for a Julia project (its packages come from Manifest.toml), else `conda`.
    """
    chain = catalog.chain(install.env)
    files = [env.name for env in chain if env.prefix_files()]
    drops = [name for env in chain for name in env.drop_labextensions]
    env = catalog.environments[install.env]
    args = {
        "HUBKIT_ENV": install.env,
        "PREFIX": install.prefix,
        "MODE": install.mode,
        "FILES": " ".join(files),
        "DROP": " ".join(dict.fromkeys(drops)),
        "PACKAGES": " ".join(p.name for p in catalog.packages(install.env)),
        "RUNTIME": "julia" if env.julia_project else "conda",
    }
    if flavour == "pypi":
        args |= {"FLAVOUR": "pypi", "REQUIREMENTS": pypi_requirements(catalog, install.env)}
    return args


def build_steps(
    catalog: Catalog,
    slug: str,
    image: str,
    base: str,
    digest: str,
    flavour: str = "conda",
    root_image: str = ROOT_IMAGE,
) -> list[BuildStep]:
    """The builds that make one profile's image FROM `base`: the root recipe (a profile without
    parent), a layer per environment it adds, then the profile step tagged `image`."""
    root = catalog.root
    profile = catalog.profiles[slug]
    steps: list[BuildStep] = []

    def add(layer: str | None, dockerfile: str, args: dict[str, str], install=None) -> None:
        """`layer` names an intermediate step (`-layer-<layer>`); None is the profile's image."""
        name, tag = (
            (slug, image)
            if layer is None
            else (slug + LAYER_TAG + layer, image + LAYER_TAG + layer)
        )
        from_ = steps[-1].image if steps else base
        if steps or profile.parent:
            args = {"BASE_IMAGE": from_, **args}
        steps.append(
            BuildStep(name, slug, root / dockerfile, root, tag, from_, args, digest, install)
        )

    if not profile.parent:
        root_args = {"ROOT_IMAGE": root_image, "MICROMAMBA_IMAGE": MICROMAMBA_IMAGE}
        if flavour == "pypi":
            root_args["FLAVOUR"] = "pypi"
        add("base", ROOT_DOCKERFILE, root_args)
    for install in installs(catalog, slug):
        args = {"ROOT_IMAGE": root_image, **layer_args(catalog, install, flavour)}
        add(install.env, LAYER_DOCKERFILE, args, install)
    server_prefix = catalog.server_environment(slug).prefix or ""
    add(None, PROFILE_DOCKERFILE, {"HUBKIT_PROFILE": slug, "SERVER_PREFIX": server_prefix})
    return steps


def digest_inputs(catalog: Catalog, slug: str, flavour: str = "conda") -> list[Path]:
    """Every repository file whose content ends up in the profile's image, sorted."""
    root = catalog.root
    files: set[Path] = {catalog.path, *(root / s for s in BUILD_SOURCES)}
    for shipped in SHIPPED_FOLDERS:
        files |= {p for p in (root / shipped).rglob("*") if p.is_file()}
    for generic in (ROOT_DOCKERFILE, LAYER_DOCKERFILE, PROFILE_DOCKERFILE):
        folder = (root / generic).parent
        files |= {p for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()
    for profile in catalog.profile_chain(slug):
        folder = root / "images" / profile.slug
        files |= {p for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()
        for install in installs(catalog, profile.slug):
            if flavour == "conda":
                files.add(install.lock)
            for env in catalog.chain(install.env):
                if flavour == "pypi":
                    files.add(env.spec_file)
                files |= set(env.prefix_files())
                if env.julia_project and env.julia_manifest:
                    files |= {env.julia_project, env.julia_manifest}
            for package in catalog.packages(install.env):
                files |= set(package_sources(package))
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def content_digest(catalog: Catalog, slug: str, flavour: str = "conda") -> str:
    """sha256 over the image's inputs; a missing file counts as the word `missing`."""
    h = hashlib.sha256(b"" if flavour == "conda" else flavour.encode() + b"\0")
    for path in digest_inputs(catalog, slug, flavour):
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
            if env.julia_manifest and not env.julia_manifest.is_file():
                missing.append(env.julia_manifest)
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
    flavour: str = "conda",
    root_image: str = ROOT_IMAGE,
) -> list[ImageBuild]:
    """The images to build, parents first.

    `profiles` selects images (their parent images are built too); `platforms` (Docker names)
    restricts where; a profile not available on any requested platform is left out, and so is,
    in the `pypi` flavour, one that needs an environment PyPI does not have (asked for by name:
    an error). `root_image` is the OS image every build starts from.
    """
    date = date or _dt.datetime.now(_dt.UTC).date()
    if flavour not in FLAVOURS:
        raise ImageError(f"unknown flavour {flavour!r}; use {' or '.join(FLAVOURS)}")
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
    if flavour == "pypi":
        problems = {slug: pypi_problem(catalog, slug) for slug in wanted}
        if profiles and any(problems.values()):
            raise ImageError(
                "no PyPI flavour: "
                + "; ".join(f"{slug}: {why}" for slug, why in problems.items() if why)
            )
        wanted = [slug for slug in wanted if not problems[slug]]
    plan: dict[str, ImageBuild] = {}
    for profile in catalog.build_order():
        if profile.slug not in wanted:
            continue
        where = tuple(
            p for p in profile_platforms(catalog, profile.slug) if not platforms or p in platforms
        )
        if not where or (profile.parent and profile.parent not in plan):
            continue
        digest = content_digest(catalog, profile.slug, flavour)
        tag = image_tag(date, digest, flavour)
        image = f"{image_name(profile.slug, registry, owner)}:{tag}"
        base = plan[profile.parent].image if profile.parent else root_image
        plan[profile.slug] = ImageBuild(
            slug=profile.slug,
            parent=profile.parent,
            context=catalog.root,
            image=image,
            base_image=base,
            platforms=where,
            digest=digest,
            installs=tuple(installs(catalog, profile.slug)),
            steps=tuple(
                build_steps(catalog, profile.slug, image, base, digest, flavour, root_image)
            ),
            smoke=tuple(smoke_cases(catalog, profile.slug)),
            server_prefix=catalog.server_environment(profile.slug).prefix or "",
            missing_locks=tuple(missing_locks(catalog, profile.slug)) if flavour == "conda" else (),
            flavour=flavour,
        )
    return list(plan.values())


def bake_file(plan: list[ImageBuild], push: bool = False) -> dict:
    """A `docker buildx bake` JSON file: one target per build step. A step's FROM is the
    previous step's (or the parent profile's last) target through a named context, so nothing
    has to be pushed between them; the default group names only the profiles' images, so the
    layer steps are built as their dependencies and never exported."""
    by_image = {s.image: s.name for b in plan for s in b.steps}
    targets = {}
    for build in plan:
        for step in build.steps:
            target: dict = {
                "context": str(step.context),
                "dockerfile": step.dockerfile.relative_to(step.context).as_posix(),
                "args": dict(step.build_args),
                "tags": [step.image],
                "platforms": list(build.platforms),
                "labels": {
                    "org.opencontainers.image.title": build.name,
                    "io.hubkit.profile": build.slug,
                    "io.hubkit.digest": build.digest,
                },
            }
            if step.base_image in by_image:
                target["contexts"] = {step.base_image: f"target:{by_image[step.base_image]}"}
            if push and step.final:
                target["output"] = ["type=registry"]
            targets[step.name] = target
    return {"group": {"default": {"targets": [b.slug for b in plan]}}, "target": targets}
