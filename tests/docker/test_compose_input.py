"""Tests for what `docker compose` itself says about a bad stack.env (the real compose plugin;
no container starts)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from tests import ROOT

from .engine import Docker
from .stack import set_values

REQUIRED = ["JUPYTER_PASSWORD", "POSTGRES_PASSWORD", "CONFIGPROXY_AUTH_TOKEN", "JUPYTER_DOMAIN"]


@pytest.mark.parametrize("name", REQUIRED)
def test_a_missing_required_variable_stops_compose_up_with_its_name(
    docker: Docker, tmp_path, name: str
):
    # Given a stack.env without one required setting
    env_file = tmp_path / "stack.env"
    env_file.write_text((ROOT / "example-stack.env").read_text())
    set_values(env_file, {"HUBKIT_DOCKER_GID": "0"})
    env_file.write_text(
        "\n".join(
            line for line in env_file.read_text().splitlines() if not line.startswith(f"{name}=")
        )
    )
    # When the admin runs compose up
    result = docker.run(
        "compose",
        "-p",
        "hubkit-input",
        "--env-file",
        str(env_file),
        "up",
        "-d",
        check=False,
        cwd=ROOT,
    )
    # Then nothing starts and the message names the variable and stack.env
    assert result.returncode != 0
    assert name in result.stderr and "stack.env" in result.stderr, result.stderr
    assert docker.out("ps", "-q", "--filter", "label=com.docker.compose.project=hubkit-input") == ""


def test_a_missing_images_file_stops_compose_with_its_path_and_no_folder_is_made(
    docker: Docker, debian: str, tmp_path
):
    # Given a stack.env whose images file was never built (and a hub image, so that compose
    # gets as far as mounting)
    env_file = tmp_path / "stack.env"
    env_file.write_text((ROOT / "example-stack.env").read_text())
    missing = tmp_path / "never-built" / "images.json"
    set_values(
        env_file,
        {
            "HUBKIT_DOCKER_GID": "0",
            "HUBKIT_IMAGES": str(missing),
            "HUBKIT_HUB_TAG": "input-test",
            "HUBKIT_DOCKER_NETWORK": "hubkit-input",
        },
    )
    docker.run("tag", debian, "hubkit/hub:input-test")
    compose = ["compose", "-p", "hubkit-input", "--env-file", str(env_file)]
    try:
        # When the admin brings the hub up
        result = docker.run(
            *compose, "up", "-d", "--no-deps", "--no-build", "hub", check=False, cwd=ROOT
        )
        # Then compose stops, naming the file, and Docker made no root-owned folder in its place
        assert result.returncode != 0
        assert str(missing) in result.stderr, result.stderr
        assert not missing.exists() and not missing.parent.exists()
    finally:
        docker.run(*compose, "down", check=False, cwd=ROOT)
        docker.run("rmi", "hubkit/hub:input-test", check=False)
