"""Parse an environment spec: a conda environment.yml, the single source of truth of its
package list. Conda match specs are parsed by py-rattler (the conda ecosystem's own parser);
pip entries by `packaging`.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PipRequirement
from rattler import MatchSpec

from ..datafile import DataFileError, read_yaml

ALLOWED_KEYS = {"name", "channels", "platforms", "dependencies"}


class SpecError(DataFileError):
    """A malformed environment spec (or one that cannot be translated for pip)."""


@dataclass(frozen=True)
class Requirement:
    """One line of a spec: a conda match spec or a pip requirement."""

    name: str
    version: str | None  # conda version spec ("==4.6.6", ">=2.5", "4.4.*") or pip specifier
    build: str | None = None
    pip: bool = False


@dataclass(frozen=True)
class Spec:
    path: Path
    name: str
    channels: tuple[str, ...]
    platforms: tuple[str, ...]
    requirements: tuple[Requirement, ...]


def _conda_requirement(line: object, path: Path, entry: str) -> Requirement:
    if not isinstance(line, str):
        raise SpecError(path, entry, f"expected a package spec string, got {line!r}")
    try:
        spec = MatchSpec(line)
    except Exception as e:  # rattler raises its own error classes
        raise SpecError(path, entry, f"{line!r} is not a valid conda match spec: {e}") from e
    if spec.name is None:
        raise SpecError(path, entry, f"{line!r} names no package")
    version = str(spec.version) if spec.version is not None else None
    build = str(spec.build) if spec.build is not None else None
    return Requirement(spec.name.normalized, version, build)


def _pip_requirement(line: object, path: Path, entry: str) -> Requirement:
    if not isinstance(line, str):
        raise SpecError(path, entry, f"expected a pip requirement string, got {line!r}")
    try:
        req = PipRequirement(line)
    except InvalidRequirement as e:
        raise SpecError(path, entry, f"{line!r} is not a valid pip requirement: {e}") from e
    return Requirement(req.name.lower(), str(req.specifier) or None, pip=True)


def load_spec(path: Path) -> Spec:
    """Read envs/<name>/environment.yml; raise SpecError naming the file and entry."""
    data = read_yaml(path, SpecError)
    if not isinstance(data, dict):
        raise SpecError(path, "", "expected a mapping with `dependencies`")
    unknown = set(data) - ALLOWED_KEYS
    if unknown:
        raise SpecError(path, ", ".join(sorted(unknown)), "unknown key")
    deps = data.get("dependencies")
    if not isinstance(deps, list) or not deps:
        raise SpecError(path, "dependencies", "must be a non-empty list")
    requirements: list[Requirement] = []
    for i, dep in enumerate(deps):
        entry = f"dependencies[{i}]"
        if isinstance(dep, dict):
            if set(dep) != {"pip"} or not isinstance(dep["pip"], list):
                raise SpecError(path, entry, "only a `pip:` list may appear as a mapping")
            requirements += [
                _pip_requirement(line, path, f"{entry}.pip[{j}]")
                for j, line in enumerate(dep["pip"])
            ]
        else:
            requirements.append(_conda_requirement(dep, path, entry))
    names = [r.name for r in requirements]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SpecError(path, "dependencies", f"listed more than once: {', '.join(dupes)}")
    return Spec(
        path=path,
        name=str(data.get("name", path.parent.name)),
        channels=tuple(data.get("channels") or ()),
        platforms=tuple(data.get("platforms") or ()),
        requirements=tuple(requirements),
    )
