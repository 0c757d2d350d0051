"""The hub policy (hub/policy.yaml): sizes, groups, roles and the scopes of the hub's services,
and the profiles users may choose (the catalog's image variants times the policy's sizes)."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from .load import (
    PROJECT_PREFIX,
    AIPolicy,
    Group,
    HubPolicy,
    PolicyError,
    Project,
    Role,
    SharedConnection,
    default_policy_path,
    load_policy,
)

__all__ = [
    "PROJECT_PREFIX",
    "AIPolicy",
    "Group",
    "HubPolicy",
    "PolicyError",
    "Project",
    "Role",
    "SharedConnection",
    "default_policy_path",
    "load_policy",
]
