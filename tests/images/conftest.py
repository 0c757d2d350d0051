"""Fixtures for the image tests.

- repo_copy: a copy of the repository's catalog, specs, notebooks, images and in-build sources
  in a temporary folder, to change (a lock, a platform) without touching the repository.
- write_lock: write a small conda-lock file (format version 1) into such a copy.
- FakeEngine: the container engine seam, recording calls instead of running Docker.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from hubkit.catalog import load_catalog
from hubkit.images.engine import ContainerEngine, RunResult
from hubkit.images.plan import BUILD_SOURCES
from tests import ROOT


@pytest.fixture
def repo_copy(repo_copy: Path) -> Path:
    """The base copy plus images/ and the sources the image build runs."""
    shutil.copytree(ROOT / "images", repo_copy / "images")
    for source in BUILD_SOURCES:
        (repo_copy / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / source, repo_copy / source)
    return repo_copy


def lock_data(packages: list[dict], platforms=("linux-64", "linux-aarch64")) -> dict:
    return {"version": 1, "metadata": {"platforms": list(platforms)}, "package": packages}


def conda_pkg(name: str, version: str, platform: str = "linux-64") -> dict:
    return {
        "name": name,
        "version": version,
        "manager": "conda",
        "platform": platform,
        "url": f"https://conda.anaconda.org/conda-forge/{platform}/{name}-{version}-0.conda",
        "hash": {"md5": "0" * 31 + "1", "sha256": "a" * 64},
        "optional": False,
    }


def write_lock(root: Path, env: str, packages: list[dict] | None = None) -> Path:
    """A synthetic lock for tests (never committed): conda-lock's format with fake URLs."""
    packages = packages or [
        conda_pkg("python", "3.12.7"),
        conda_pkg("python", "3.12.7", "linux-aarch64"),
    ]
    path = root / "envs" / env / "conda-lock.yml"
    path.write_text(yaml.safe_dump(lock_data(packages)))
    return path


def lock_all(root: Path) -> None:
    """Synthetic locks (and a Julia Manifest) for every environment, with matching digests."""
    from hubkit.envs.lock import DIGEST_NAME, inputs_digest

    catalog = load_catalog(root / "catalog.yaml")
    for env in catalog.environments.values():
        write_lock(root, env.name)
        (env.spec_dir / DIGEST_NAME).write_text(inputs_digest(catalog, env.name) + "\n")
        if (env.spec_dir / "Project.toml").is_file():
            (env.spec_dir / "Manifest.toml").write_text('manifest_format = "2.0"\n')


class FakeEngine(ContainerEngine):
    """Records builds and runs; `run_results` maps (image, kernel) to a canned result."""

    name = "fake"

    def __init__(self, available: bool = True) -> None:
        self.available = available
        self.calls: list[tuple] = []
        self.run_results: dict[tuple[str, str], RunResult] = {}
        self.present: set[str] = set()

    def check_available(self) -> None:
        from hubkit.images.engine import EngineError

        if not self.available:
            raise EngineError("Docker is not installed (fake)")

    def build(self, step, platform):
        self.calls.append(("build", step.name, platform))
        self.present.add(step.image)

    def bake(self, bake_file, targets, platform):
        self.calls.append(("bake", tuple(targets), platform))
        self.present.update(t for t in targets)

    def image_exists(self, image):
        return image in self.present

    def run(self, image, argv, mounts=None, env=None):
        kernel = next(a for a in argv[-1].split() if a.startswith("--nbval-kernel-name="))
        kernel = kernel.split("=", 1)[1]
        notebook = argv[-1].split()[-1].rsplit("/", 1)[-1]
        self.calls.append(("run", image, notebook, kernel))
        return self.run_results.get((image, notebook), RunResult(0, "3 passed"))

    def compose(self, args, cwd):
        self.calls.append(("compose", tuple(args)))
