"""Tests for per-group sizes: config (`group_sizes`) and group properties (`hubkit_sizes`)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from types import SimpleNamespace

from .test_docker_config import make_spawner


def test_sizes_come_from_config_groups_and_group_properties(catalog):
    # Given a member of gpu-users (config) and of a group whose properties add sizes
    spawner = make_spawner(catalog, groups=["gpu-users"])
    spawner.user.groups.append(
        SimpleNamespace(
            name="lab",
            properties={
                "hubkit_sizes": {
                    "xl": {"display_name": "XL", "cpu_limit": 8.0, "default": True},
                    "image": {"display_name": "Sneaky", "image": "evil/image"},
                    "nameless": {"cpu_limit": 1.0},
                    "broken": "not a mapping",
                }
            },
        )
    )
    # When their sizes are computed
    sizes = spawner.sizes_for_user()
    # Then they get the base sizes, the group's, and the property's resource-only size
    assert list(sizes) == ["small", "medium", "gpu", "xl"]
    assert sizes["gpu"]["gpu"] is True
    # And a group size never becomes the default
    assert sizes["xl"]["default"] is False and sizes["small"]["default"] is True


def test_non_members_get_the_base_sizes(catalog):
    assert list(make_spawner(catalog).sizes_for_user()) == ["small", "medium"]


def test_gpu_sizes_are_offered_only_on_a_host_with_gpus(catalog):
    # Given a member of gpu-users on a hub whose host has no GPUs (HUBKIT_GPU unset)
    spawner = make_spawner(catalog, groups=["gpu-users", "power-users"], gpus=False)
    # Then the GPU size is not offered, the group's other sizes are
    assert list(spawner.sizes_for_user()) == ["small", "medium", "large"]
