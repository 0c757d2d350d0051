"""Typed view of catalog.yaml, with the derived facts every consumer needs.

Layering: an environment with a `parent` is installed into its parent's prefix and locked with
its parent's specs (pangeo's "layers in the lock"). An environment with a `prefix` is the root
of such a chain. A profile composes environments; within one prefix they form a single chain,
so the deepest one names both the lock to install and the local venv to use.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..datafile import ancestry
from ..prefix import environment_files

# Build outputs, caches and the package's own tests inside a package folder: not what is
# built into the wheel (see `package_sources`).
NOT_SOURCES = {
    "tests",
    "node_modules",
    "lib",
    "labextension",
    "__pycache__",
    ".pytest_cache",
    ".ipynb_checkpoints",
    "dist",
    "build",
}


@dataclass(frozen=True)
class Kernel:
    """A kernelspec written statically into every image and local profile that has it."""

    name: str
    display_name: str
    language: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class LocalSource:
    """How local mode (no Docker, no conda) materializes an environment."""

    source: str  # "pypi": a venv from the spec; "system": a command found on PATH
    command: str | None = None
    probe: tuple[str, ...] = ()
    hint: str | None = None
    optional: bool = False  # installed locally only when asked for (large)


@dataclass(frozen=True)
class Environment:
    name: str
    description: str
    spec_dir: Path
    local: LocalSource
    prefix: str | None = None
    parent: str | None = None
    server: bool = False
    kernels: tuple[Kernel, ...] = ()
    smoke: tuple[Path, ...] = ()
    drop_labextensions: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ("linux-64", "linux-aarch64")
    packages: tuple[Path, ...] = ()  # the project's own packages (packages/<name>) it carries

    @property
    def spec_file(self) -> Path:
        return self.spec_dir / "environment.yml"

    @property
    def lock_file(self) -> Path:
        return self.spec_dir / "conda-lock.yml"

    @property
    def julia_project(self) -> Path | None:
        """envs/<name>/Project.toml when the environment is a Julia project: its packages come
        from the committed Manifest.toml beside it, not from the conda lock."""
        path = self.spec_dir / "Project.toml"
        return path if path.is_file() else None

    @property
    def julia_manifest(self) -> Path | None:
        return self.spec_dir / "Manifest.toml" if self.julia_project else None

    def prefix_files(self) -> list[Path]:
        """Files of the spec folder's etc/ and share/ (server config, lab settings), which the
        images and local mode copy into the prefix at the same relative paths."""
        return [self.spec_dir / path for path in environment_files(self.spec_dir)]


def package_sources(package: Path) -> list[Path]:
    """The source files of one of the project's packages, without build outputs: what the
    image digest and local mode's install marker cover.

    Excluded folders are pruned, not walked: the hub checks this at every spawn form, and
    node_modules alone holds tens of thousands of files."""
    found = []
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = [
            name
            for name in subfolders
            if name not in NOT_SOURCES and not name.startswith(".")  # tools' caches
        ]
        found += [
            Path(folder, name) for name in files if not name.endswith((".tsbuildinfo", ".pyc"))
        ]
    return sorted(found)


@dataclass(frozen=True)
class Profile:
    slug: str
    display_name: str
    description: str
    environments: tuple[str, ...]
    parent: str | None = None


@dataclass
class Catalog:
    path: Path
    environments: dict[str, Environment]
    profiles: dict[str, Profile] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The project folder the catalog's relative paths (envs/, packages/) start from."""
        return self.path.parent

    def chain(self, env_name: str) -> list[Environment]:
        """The environment and its parents, root first: the specs its lock is solved from."""
        names = ancestry(env_name, lambda name: self.environments[name].parent)
        return [self.environments[name] for name in names]

    def prefix_root(self, env_name: str) -> Environment:
        """The environment owning the prefix this one is installed into."""
        return self.chain(env_name)[0]

    def profile_chain(self, slug: str) -> list[Profile]:
        """The profile and its parent images, base first: the image build order."""
        return [self.profiles[s] for s in ancestry(slug, lambda s: self.profiles[s].parent)]

    def profile_environments(self, slug: str) -> list[Environment]:
        """Every environment in the profile, including those its parent images bring."""
        names: list[str] = []
        for profile in self.profile_chain(slug):
            names += [n for n in profile.environments if n not in names]
        return [self.environments[n] for n in names]

    def leaves(self, slug: str) -> dict[str, Environment]:
        """Prefix root name -> the deepest environment of the profile installed into that
        prefix (whose lock, or local venv, holds the whole chain)."""
        leaves: dict[str, Environment] = {}
        for env in self.profile_environments(slug):
            root = self.prefix_root(env.name).name
            current = leaves.get(root)
            if current is None or len(self.chain(env.name)) > len(self.chain(current.name)):
                leaves[root] = env
        return leaves

    def server_environment(self, slug: str) -> Environment:
        """The prefix root that runs JupyterLab for this profile."""
        return next(
            self.environments[root] for root in self.leaves(slug) if self.environments[root].server
        )

    def packages(self, env_name: str) -> list[Path]:
        """The project's packages installed with an environment: those of its whole chain."""
        return list(dict.fromkeys(p for env in self.chain(env_name) for p in env.packages))

    def kernels(self, slug: str) -> list[tuple[Kernel, Environment]]:
        """The profile's kernels with the prefix root each one runs from."""
        return [
            (kernel, self.environments[root])
            for root in self.leaves(slug)
            for kernel in self.environments[root].kernels
        ]

    def smoke_notebooks(self, slug: str) -> list[Path]:
        return [nb for env in self.profile_environments(slug) for nb in env.smoke]

    def build_order(self) -> list[Profile]:
        """Profiles with every parent before its children."""
        ordered: list[Profile] = []
        for slug in self.profiles:
            ordered += [p for p in self.profile_chain(slug) if p not in ordered]
        return ordered
