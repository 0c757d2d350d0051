"""Environment specs (envs/<name>/environment.yml): parsing, PyPI translation, lock checks."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from .spec import Requirement, Spec, load_spec

__all__ = ["Requirement", "Spec", "load_spec"]
