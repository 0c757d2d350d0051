"""YAML files that admins and developers edit (the catalog, environment specs, the hub policy):
read, checked against a JSON Schema, and every problem reported as one error that names the
file, the entry and what is wrong, so it can be fixed in one go.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
import yaml

K = TypeVar("K", bound=Hashable)


class DataFileError(ValueError):
    """A malformed data file: `str()` names file, entry and problem."""

    def __init__(self, path: Path | str, entry: str, message: str) -> None:
        self.path, self.entry, self.message = Path(path), entry, message
        super().__init__(f"{path}: {entry}: {message}" if entry else f"{path}: {message}")


def read_yaml(path: Path, error: type[DataFileError] = DataFileError) -> Any:
    """Parse a YAML file, turning every failure into `error` naming the file."""
    try:
        text = path.read_text()
    except OSError as e:
        raise error(path, "", f"cannot read: {e.strerror}") from e
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise error(path, "", f"not valid YAML: {e}") from e


@cache
def _validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(yaml.safe_load(schema_path.read_text()))


def entry_name(path: Iterable[Any]) -> str:
    """`profiles[2].slug` for the JSON path ("profiles", 2, "slug")."""
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "(top level)"


def validate(
    data: Any, schema_path: Path, path: Path, error: type[DataFileError] = DataFileError
) -> None:
    """Raise `error` for the first place where `data` breaks the schema."""
    errors = sorted(_validator(schema_path).iter_errors(data), key=lambda e: list(map(str, e.path)))
    if errors:
        raise error(path, entry_name(errors[0].absolute_path), errors[0].message)


class CycleError(ValueError):
    """A `parent` chain that comes back to where it started; `.cycle` lists it."""

    def __init__(self, cycle: list[Any]) -> None:
        self.cycle = cycle
        super().__init__(f"cycle: {' -> '.join(map(str, cycle))}")


def ancestry(start: K, parent_of: Callable[[K], K | None]) -> list[K]:
    """`start` and its parents, root first; CycleError if the chain loops."""
    chain = [start]
    parent = parent_of(start)
    while parent is not None:
        if parent in chain:
            raise CycleError([*chain, parent])
        chain.append(parent)
        parent = parent_of(parent)
    return chain[::-1]
