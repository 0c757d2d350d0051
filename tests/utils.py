"""Helpers shared by the tests."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from hubkit.catalog import Catalog, load_catalog


def edit_catalog(root: Path, change: Callable[[dict[str, Any]], Any]) -> Path:
    """Apply `change` to the parsed catalog.yaml in `root` and write it back; returns its path."""
    path = root / "catalog.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def edited_catalog(root: Path, change: Callable[[dict[str, Any]], Any]) -> Catalog:
    return load_catalog(edit_catalog(root, change))
