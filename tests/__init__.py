"""hubkit's test suite; ROOT is the checkout under test."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from pathlib import Path

from hubkit.policy import load_policy

# The checkout under test: its catalog, hub configuration and policy, images and packages.
ROOT = Path(__file__).resolve().parents[1]
# The sizes of the shipped hub policy (hub/policy.yaml).
SIZES = load_policy(ROOT / "hub" / "policy.yaml").sizes
