"""Tests for the profile logic shared by the local and Docker spawners (no hub needed)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import pytest

from hubkit.policy import profiles
from tests import SIZES


@pytest.fixture
def offered(catalog):
    return profiles.profile_list(catalog, SIZES, ["python-sql", "r"])


def test_profile_list_follows_the_catalog_in_kubespawner_schema(catalog, offered):
    assert [p["slug"] for p in offered] == ["python-sql", "r"]
    assert [p["default"] for p in offered] == [True, False]
    assert offered[1]["kernels"] == ["Python 3", "R"]
    assert offered[1]["description"] == catalog.profiles["r"].description
    size = offered[0]["profile_options"]["size"]
    assert size["choices"]["medium"]["spawner_override"] == {"cpu_limit": 2.0, "mem_limit": "4G"}


@pytest.mark.parametrize(
    "form, options",
    [
        (
            {"profile": ["r"], "profile-option-r--size": ["medium"]},
            {"profile": "r", "size": "medium"},
        ),
        # the size field of another profile is ignored, as in KubeSpawner
        ({"profile": ["r"], "profile-option-python-sql--size": ["medium"]}, {"profile": "r"}),
        ({}, {"profile": ""}),
    ],
)
def test_options_from_form(form, options):
    assert profiles.options_from_form(form) == options


@pytest.mark.parametrize(
    "user_options, expected, overrides",
    [
        ({}, {"profile": "python-sql", "size": "small"}, {"cpu_limit": 1.0, "mem_limit": "2G"}),
        (
            {"profile": "r", "size": "medium"},
            {"profile": "r", "size": "medium"},
            {"cpu_limit": 2.0, "mem_limit": "4G"},
        ),
        (
            {"profile": ""},
            {"profile": "python-sql", "size": "small"},
            {"cpu_limit": 1.0, "mem_limit": "2G"},
        ),
    ],
)
def test_valid_options_resolve_to_spawner_overrides(offered, user_options, expected, overrides):
    assert profiles.validate_user_options(offered, user_options) == (expected, overrides)


@pytest.mark.parametrize(
    "user_options, message",
    [
        ({"profile": "julia"}, "unknown profile 'julia'"),  # in the catalog but not offered
        ({"profile": ["r"]}, "profile must be a string, not array"),
        ({"profile": "r", "size": "xl"}, "unknown size 'xl'"),
        ({"profile": "r", "size": 64}, "size must be a string, not number"),
        (
            {"profile": "r", "size": "x" * 65},
            "size 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'… is too long",
        ),
        ({"profile": "r", "image": "x"}, "unsupported option(s): 'image'"),
        ({"profile": "r", "cpu_limit": 64}, "unsupported option(s): 'cpu_limit'"),
        ({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}, "'a', 'b', 'c' and 2 more"),
    ],
)
def test_anything_not_offered_is_refused(offered, user_options, message):
    with pytest.raises(ValueError) as info:
        profiles.validate_user_options(offered, user_options)
    assert message in str(info.value)


def test_nothing_offered(catalog):
    with pytest.raises(ValueError, match="no profile is available"):
        profiles.validate_user_options(profiles.profile_list(catalog, SIZES, []), {})
