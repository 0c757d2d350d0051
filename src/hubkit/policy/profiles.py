"""Profiles offered at spawn time: the catalog's image variants times the admin's sizes.

Pure functions in KubeSpawner's profile_list schema (slug, display_name, description, default,
profile_options with choices), so a list built here renders as Zero to JupyterHub values too.
`user_options` is untrusted: `validate_user_options` accepts only offered choices.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from ..catalog import Catalog

SIZE = "size"


def profile_list(
    catalog: Catalog, sizes: Mapping[str, Mapping[str, Any]], slugs: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """KubeSpawner-style profile_list for the catalog profiles in `slugs` (default: all)."""
    wanted = (
        list(catalog.profiles) if slugs is None else [s for s in catalog.profiles if s in slugs]
    )
    size_choices = {
        slug: {
            "display_name": size["display_name"],
            "default": bool(size.get("default")),
            "spawner_override": {
                k: v for k, v in size.items() if k not in ("display_name", "default")
            },
        }
        for slug, size in sizes.items()
    }
    profiles = []
    for i, slug in enumerate(wanted):
        profile = catalog.profiles[slug]
        profiles.append(
            {
                "slug": slug,
                "display_name": profile.display_name,
                "description": profile.description,
                "default": i == 0,
                "kernels": [k.display_name for k, _ in catalog.kernels(slug)],
                "profile_options": {
                    SIZE: {"display_name": "Size", "choices": copy.deepcopy(size_choices)}
                }
                if size_choices
                else {},
            }
        )
    return profiles


def options_from_form(form_data: Mapping[str, list[str]]) -> dict[str, str]:
    """Form fields -> user_options. Pure: validation happens in validate_user_options."""
    slug = (form_data.get("profile") or [""])[0]
    options = {"profile": slug}
    size = form_data.get(f"profile-option-{slug}--{SIZE}")
    if size:
        options[SIZE] = size[0]
    return options


def default_choice(choices: Mapping[str, Mapping[str, Any]]) -> str:
    return next((k for k, c in choices.items() if c.get("default")), next(iter(choices)))


def validate_user_options(
    profiles: list[dict[str, Any]], user_options: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check user_options against the offered profiles.

    Returns (normalized user_options, spawner overrides). Raises ValueError naming the bad
    field for anything not offered: unknown profile or size, or any other key (for example a
    free-text image or limit sent to the REST API).
    """
    if not profiles:
        raise ValueError("no profile is available on this hub")
    unknown = set(user_options) - {"profile", SIZE}
    if unknown:
        raise ValueError(f"unsupported option(s): {', '.join(sorted(unknown))}")
    by_slug = {p["slug"]: p for p in profiles}
    slug = user_options.get("profile") or next(p["slug"] for p in profiles if p["default"])
    if not isinstance(slug, str) or slug not in by_slug:
        raise ValueError(f"unknown profile {slug!r}; choose one of: {', '.join(by_slug)}")
    profile = by_slug[slug]
    options: dict[str, Any] = {"profile": slug}
    overrides: dict[str, Any] = {}
    size_option = profile["profile_options"].get(SIZE)
    if size_option:
        choices = size_option["choices"]
        size = user_options.get(SIZE) or default_choice(choices)
        if not isinstance(size, str) or size not in choices:
            raise ValueError(
                f"unknown size {size!r} for profile {slug!r}; choose one of: {', '.join(choices)}"
            )
        options[SIZE] = size
        overrides.update(choices[size]["spawner_override"])
    elif SIZE in user_options:
        raise ValueError(f"profile {slug!r} offers no size choice")
    return options, overrides
