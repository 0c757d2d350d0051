"""Local mode: the catalog materialized without Docker or conda, for trying and testing."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from .environments import EnvStatus, LocalLayout, install_profile, profile_status

__all__ = ["EnvStatus", "LocalLayout", "install_profile", "profile_status"]
