"""Zero to JupyterHub values from the same catalog: a team that outgrows the homelab moves to
Kubernetes keeping its profiles, images, sizes and descriptions.

The hub's profile list (hubkit.policy.profiles) already uses KubeSpawner's profile_list schema;
this renames our `spawner_override` to `kubespawner_override`, puts each profile's image there,
drops hubkit-only keys (`kernels`) and pins single-platform images to nodes of their CPU
architecture.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..catalog import Catalog
from ..policy.profiles import profile_list
from .plan import ImageError, profile_platforms

# KubeSpawner accepts these per-choice overrides under the same names as DockerSpawner.
KUBE_OVERRIDES = {"cpu_limit", "mem_limit", "cpu_guarantee", "mem_guarantee"}


def _kube_override(override: Mapping[str, Any], where: str) -> dict[str, Any]:
    unknown = set(override) - KUBE_OVERRIDES
    if unknown:
        raise ImageError(
            f"{where}: {', '.join(sorted(unknown))} cannot be rendered for KubeSpawner "
            f"(supported: {', '.join(sorted(KUBE_OVERRIDES))})"
        )
    return dict(override)


def z2jh_values(
    catalog: Catalog, images: Mapping[str, str], sizes: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """`singleuser` values for the Zero to JupyterHub chart: profileList with every profile
    that has an image, in catalog order, the first one the default."""
    if not images:
        raise ImageError("no built image to render: run `hubkit images build` first")
    unknown = [slug for slug in images if slug not in catalog.profiles]
    if unknown:
        raise ImageError(f"images for unknown profile(s): {', '.join(unknown)}")
    profiles = []
    for entry in profile_list(catalog, sizes, list(images)):
        slug = entry["slug"]
        override: dict[str, Any] = {"image": images[slug]}
        arches = [p.split("/")[1] for p in profile_platforms(catalog, slug)]
        if len(arches) == 1:
            override["node_selector"] = {"kubernetes.io/arch": arches[0]}
        options = copy.deepcopy(entry["profile_options"])
        for name, option in options.items():
            for choice_slug, choice in option["choices"].items():
                choice["kubespawner_override"] = _kube_override(
                    choice.pop("spawner_override"), f"size {choice_slug!r}"
                )
            options[name] = option
        profile = {
            "display_name": entry["display_name"],
            "slug": slug,
            "description": entry["description"],
            "default": entry["default"],
            "kubespawner_override": override,
        }
        if options:
            profile["profile_options"] = options
        profiles.append(profile)
    name, tag = profiles[0]["kubespawner_override"]["image"].rsplit(":", 1)
    return {
        "singleuser": {
            "image": {"name": name, "tag": tag},
            "defaultUrl": "/lab",
            "uid": 1000,
            "fsGid": 100,
            "cmd": "jupyterhub-singleuser",
            "profileList": profiles,
        }
    }
