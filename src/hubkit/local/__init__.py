"""Local mode: the catalog materialized without Docker or conda, for trying and testing."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from .environments import (
    EnvStatus,
    LocalLayout,
    LocalModeError,
    default_local_profiles,
    install_profile,
    profile_status,
    pypi_status,
)
from .hub import install_proxy, local_hub_env

__all__ = [
    "EnvStatus",
    "LocalLayout",
    "LocalModeError",
    "default_local_profiles",
    "install_profile",
    "install_proxy",
    "local_hub_env",
    "profile_status",
    "pypi_status",
]
