"""The kernel catalog: environments, their kernels and the profiles that compose them."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from .load import CatalogError, default_catalog_path, load_catalog
from .model import Catalog, Environment, Kernel, LocalSource, Profile

__all__ = [
    "Catalog",
    "CatalogError",
    "Environment",
    "Kernel",
    "LocalSource",
    "Profile",
    "default_catalog_path",
    "load_catalog",
]
