"""Tests for the Zero to JupyterHub values rendered from the catalog and the built images."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
import yaml

from hubkit.images.plan import ImageError
from hubkit.images.z2jh import z2jh_values
from tests import SIZES

from ..utils import edited_catalog

# KubeSpawner's profile_list as documented for `KubeSpawner.profile_list` (kubespawner 7):
# only these keys are understood; anything else is an error there or silently ignored.
OVERRIDE = {
    "type": "object",
    "properties": {
        "image": {"type": "string", "pattern": "^[^:]+:[^:]+$"},
        "cpu_limit": {"type": "number"},
        "mem_limit": {"type": "string", "pattern": "^[0-9]+[KMGT]$"},
        "cpu_guarantee": {"type": "number"},
        "mem_guarantee": {"type": "string"},
        "node_selector": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}
PROFILE_LIST_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["display_name", "slug", "description", "kubespawner_override"],
        "additionalProperties": False,
        "properties": {
            "display_name": {"type": "string", "minLength": 1},
            "slug": {"type": "string", "pattern": "^[a-z0-9-]+$"},
            "description": {"type": "string"},
            "default": {"type": "boolean"},
            "kubespawner_override": {**OVERRIDE, "required": ["image"]},
            "profile_options": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["display_name", "choices"],
                    "additionalProperties": False,
                    "properties": {
                        "display_name": {"type": "string"},
                        "choices": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": {
                                "type": "object",
                                "required": ["display_name"],
                                "additionalProperties": False,
                                "properties": {
                                    "display_name": {"type": "string"},
                                    "default": {"type": "boolean"},
                                    "kubespawner_override": OVERRIDE,
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture
def images(catalog):
    return {
        slug: f"ghcr.io/homelab/{slug}-notebook:2026-11-25-0123456789ab"
        for slug in catalog.profiles
    }


def test_profile_list_matches_kubespawners_schema(catalog, images):
    values = z2jh_values(catalog, images, SIZES)
    jsonschema.validate(values["singleuser"]["profileList"], PROFILE_LIST_SCHEMA)


def test_profiles_keep_catalog_order_text_images_and_sizes(catalog, images):
    profiles = z2jh_values(catalog, images, SIZES)["singleuser"]["profileList"]
    assert [p["slug"] for p in profiles] == list(catalog.profiles)
    assert [p["default"] for p in profiles] == [True] + [False] * (len(profiles) - 1)
    for p in profiles:
        profile = catalog.profiles[p["slug"]]
        assert p["display_name"] == profile.display_name
        assert p["description"] == profile.description
        assert p["kubespawner_override"]["image"] == images[p["slug"]]
        choices = p["profile_options"]["size"]["choices"]
        assert choices["small"]["kubespawner_override"] == {"cpu_limit": 1.0, "mem_limit": "2G"}
        assert choices["small"]["default"] is True
        assert choices["medium"]["kubespawner_override"]["mem_limit"] == "4G"


def test_default_image_is_the_first_profiles(catalog, images):
    single = z2jh_values(catalog, images, SIZES)["singleuser"]
    assert single["image"] == {
        "name": "ghcr.io/homelab/python-sql-notebook",
        "tag": "2026-11-25-0123456789ab",
    }
    assert single["uid"] == 1000 and single["cmd"] == "jupyterhub-singleuser"


def test_only_built_images_are_offered(catalog, images):
    values = z2jh_values(catalog, {"r": images["r"], "python-sql": images["python-sql"]}, {})
    profiles = values["singleuser"]["profileList"]
    assert [p["slug"] for p in profiles] == ["python-sql", "r"]
    assert "profile_options" not in profiles[0]


def test_single_platform_profiles_are_pinned_to_their_architecture(repo_copy):
    catalog = edited_catalog(
        repo_copy, lambda d: d["environments"]["ml"].update(platforms=["linux-64"])
    )
    images = {slug: f"hubkit/{slug}-notebook:t" for slug in catalog.profiles}
    profiles = {
        p["slug"]: p for p in z2jh_values(catalog, images, SIZES)["singleuser"]["profileList"]
    }
    assert profiles["ml"]["kubespawner_override"]["node_selector"] == {
        "kubernetes.io/arch": "amd64"
    }
    assert "node_selector" not in profiles["r"]["kubespawner_override"]


def test_errors_name_what_cannot_be_rendered(catalog, images):
    with pytest.raises(ImageError, match="no built image"):
        z2jh_values(catalog, {}, SIZES)
    with pytest.raises(ImageError, match=r"unknown profile.*rust"):
        z2jh_values(catalog, {"rust": "x/y:z"}, SIZES)
    sizes = {"gpu": {"display_name": "GPU", "gpu": True}}
    with pytest.raises(ImageError, match="size 'gpu': gpu cannot be rendered for KubeSpawner"):
        z2jh_values(catalog, images, sizes)


def test_cli_prints_yaml_values(catalog, images, tmp_path):
    path = tmp_path / "images.json"
    path.write_text(json.dumps(images))
    result = subprocess.run(
        [sys.executable, "-m", "hubkit", "images", "z2jh", f"--images-file={path}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    values = yaml.safe_load(result.stdout)
    jsonschema.validate(values["singleuser"]["profileList"], PROFILE_LIST_SCHEMA)
