"""Tests for hub/jupyterhub_config.py in Docker mode, loaded as JupyterHub loads it (no engine)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import subprocess

import pytest

from ..utils import load_hub_config

LOAD = """
from hubkit.imagesfile import watched_images_file
spawner = c.DockerProfileSpawner
print(json.dumps({"images": watched_images_file(spawner.images_file).images(),
                  "network": spawner.network_name,
                  "proxy_starts": c.ConfigurableHTTPProxy.should_start}))
"""


def load_config(tmp_path, images_file) -> subprocess.CompletedProcess:
    return load_hub_config(tmp_path, LOAD, HUBKIT_IMAGES=str(images_file))


def test_built_images_are_offered(tmp_path):
    images = {"python-sql": "hubkit/python-sql-notebook:2026-11-25-abc", "r": "hubkit/r:1"}
    (tmp_path / "images.json").write_text(json.dumps(images))
    result = load_config(tmp_path, tmp_path / "images.json")
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded == {"images": images, "network": "hubkit", "proxy_starts": False}


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: None, "does not exist: run `hubkit images build`"),
        (lambda p: p.mkdir(), "is a folder, not the built-images file (Docker created it"),
        (lambda p: p.write_text("{oops"), "not valid JSON"),
        (lambda p: p.write_text('["python-sql"]'), "expected an object of profile -> image"),
    ],
)
def test_missing_or_broken_images_file_is_one_line_and_the_hub_still_starts(
    tmp_path, setup, message
):
    # Given an images file that is missing or broken
    path = tmp_path / "images.json"
    setup(path)
    # When the hub loads its configuration
    result = load_config(tmp_path, path)
    # Then it goes on without images (Docker would only restart a stopped hub into the same
    # error), and its log says once what is wrong and what to do
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["images"] == {}
    assert result.stderr.strip().startswith(f"HUBKIT_IMAGES: {path}")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("variable", ["HUBKIT_DATASETS_DIR", "HUBKIT_TEMPLATES_DIR"])
def test_a_relative_host_folder_stops_the_hub_naming_it(tmp_path, variable):
    # Given a folder written relative to the compose file, as HUBKIT_IMAGES may be
    (tmp_path / "images.json").write_text("{}")
    env = {"HUBKIT_IMAGES": str(tmp_path / "images.json"), variable: "./shared"}
    # When the hub loads its configuration in Docker mode
    result = load_hub_config(tmp_path, LOAD, **env)
    # Then it stops with one line naming the variable (Docker would take it for a volume's name)
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"{variable} must be an absolute folder on the Docker host, not './shared'"
    )


@pytest.mark.parametrize("setting, gateway", [("true", True), ("false", False)])
def test_the_hubs_ai_switch_reaches_the_docker_spawner(tmp_path, setting, gateway):
    # Given HUBKIT_AI on or off
    (tmp_path / "images.json").write_text("{}")
    script = 'print(c.Spawner.ai_gateway_url if "ai_gateway_url" in c.Spawner else "")'
    # When the hub loads its configuration in Docker mode
    result = load_hub_config(
        tmp_path, script, HUBKIT_IMAGES=str(tmp_path / "images.json"), HUBKIT_AI=setting
    )
    # Then the spawner points servers at the gateway only when it runs; without it, servers
    # start without jupyter-ai (the container's environment: tests/hub/test_docker_config.py)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("http://hub:8082/services/ai-gateway" if gateway else "")
