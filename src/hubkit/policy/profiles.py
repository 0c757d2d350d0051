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

from ..bounds import MAX_OPTION_CHARS, quote, type_name
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


# What a size may set, and of which type. Sizes also come from group properties (editable
# through the REST API), so they are limited to resources: a size can never change the image
# or the command.
SIZE_TYPES: dict[str, tuple[type, ...]] = {
    "display_name": (str,),
    "default": (bool,),
    "cpu_limit": (int, float),
    "cpu_guarantee": (int, float),
    "mem_limit": (str, int),
    "mem_guarantee": (str, int),
    "gpu": (bool,),
}
MAX_DISPLAY_NAME_CHARS = 100


def size_problem(slug: object, size: object) -> str | None:
    """Why a size (from config or a group property) cannot be offered, or None."""
    if not isinstance(slug, str) or not 0 < len(slug) <= MAX_OPTION_CHARS:
        return f"its name must be a string of 1 to {MAX_OPTION_CHARS} characters"
    if not isinstance(size, Mapping):
        return "it is not a mapping"
    if "display_name" not in size:
        return "it needs display_name"
    unknown = sorted(set(size) - set(SIZE_TYPES))
    if unknown:
        return f"it may only set {', '.join(SIZE_TYPES)}, not {', '.join(map(quote, unknown[:3]))}"
    for key, value in size.items():
        types = SIZE_TYPES[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return f"{key} must not be {type_name(value)}"
    if len(size["display_name"]) > MAX_DISPLAY_NAME_CHARS:
        return f"display_name has more than {MAX_DISPLAY_NAME_CHARS} characters"
    return None


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
    field for anything not offered: unknown profile or size, a value that is not a short string,
    or any other key (for example a free-text image or limit sent to the REST API). Messages
    quote at most a short prefix of what was sent.
    """
    if not profiles:
        raise ValueError("no profile is available on this hub")
    unknown = sorted(set(user_options) - {"profile", SIZE})
    if unknown:
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        names = ", ".join(quote(str(k)) for k in unknown[:3])
        raise ValueError(f"unsupported option(s): {names}{more}")
    by_slug = {p["slug"]: p for p in profiles}
    slug = option(user_options, "profile") or next(p["slug"] for p in profiles if p["default"])
    if slug not in by_slug:
        raise ValueError(f"unknown profile {quote(slug)}; choose one of: {', '.join(by_slug)}")
    profile = by_slug[slug]
    options: dict[str, Any] = {"profile": slug}
    overrides: dict[str, Any] = {}
    size_option = profile["profile_options"].get(SIZE)
    if size_option:
        choices = size_option["choices"]
        size = option(user_options, SIZE) or default_choice(choices)
        if size not in choices:
            raise ValueError(
                f"unknown size {quote(size)} for profile {slug!r}; "
                f"choose one of: {', '.join(choices)}"
            )
        options[SIZE] = size
        overrides.update(choices[size]["spawner_override"])
    elif SIZE in user_options:
        raise ValueError(f"profile {slug!r} offers no size choice")
    return options, overrides


def option(user_options: Mapping[str, Any], name: str) -> str:
    """An option's value: a string of at most MAX_OPTION_CHARS characters ("" when absent)."""
    value = user_options.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type_name(value)}")
    if len(value) > MAX_OPTION_CHARS:
        raise ValueError(
            f"{name} {quote(value)} is too long: at most {MAX_OPTION_CHARS} characters"
        )
    return value
