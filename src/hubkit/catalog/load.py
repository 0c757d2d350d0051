"""Load and validate catalog.yaml: the JSON Schema first, then the cross-references.

Every error names the file, the entry and what is wrong, so an admin can fix it in one go.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .model import Catalog, Environment, Kernel, LocalSource, Profile

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


class CatalogError(ValueError):
    """A malformed catalog or environment spec: `str()` names file, entry and problem."""

    def __init__(self, path: Path | str, entry: str, message: str) -> None:
        self.path, self.entry, self.message = Path(path), entry, message
        super().__init__(f"{path}: {entry}: {message}" if entry else f"{path}: {message}")


def default_catalog_path() -> Path:
    """HUBKIT_CATALOG, else catalog.yaml at the repository root (or image's /etc/hubkit)."""
    if env := os.environ.get("HUBKIT_CATALOG"):
        return Path(env)
    return Path(__file__).resolve().parents[3] / "catalog.yaml"


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning every failure into a CatalogError naming the file."""
    try:
        text = path.read_text()
    except OSError as e:
        raise CatalogError(path, "", f"cannot read: {e.strerror}") from e
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise CatalogError(path, "", f"not valid YAML: {e}") from e


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(yaml.safe_load(SCHEMA_PATH.read_text()))


def _entry(path: Any) -> str:
    parts = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else f".{p}")
    return "".join(parts).lstrip(".") or "(top level)"


def validate_schema(data: Any, path: Path) -> None:
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path)))
    if errors:
        e = errors[0]
        raise CatalogError(path, _entry(e.absolute_path), e.message)


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Read, validate and cross-check the catalog; raise CatalogError on the first problem."""
    path = Path(path) if path else default_catalog_path()
    data = read_yaml(path)
    validate_schema(data, path)
    root = path.parent
    environments = {
        name: _environment(name, entry, root) for name, entry in data["environments"].items()
    }
    profiles: dict[str, Profile] = {}
    for i, entry in enumerate(data["profiles"]):
        profile = Profile(
            slug=entry["slug"],
            display_name=entry["display_name"],
            description=entry["description"],
            environments=tuple(entry["environments"]),
            parent=entry.get("parent"),
        )
        if profile.slug in profiles:
            raise CatalogError(path, f"profiles[{i}].slug", f"duplicate profile {profile.slug!r}")
        profiles[profile.slug] = profile
    catalog = Catalog(path=path, environments=environments, profiles=profiles)
    _check_environments(catalog)
    _check_profiles(catalog, data["profiles"])
    return catalog


def _environment(name: str, entry: dict[str, Any], root: Path) -> Environment:
    local = entry["local"]
    return Environment(
        name=name,
        description=entry["description"],
        spec_dir=root / "envs" / name,
        prefix=entry.get("prefix"),
        parent=entry.get("parent"),
        server=entry.get("server", False),
        kernels=tuple(
            Kernel(k["name"], k["display_name"], k["language"], tuple(k["argv"]))
            for k in entry.get("kernels", [])
        ),
        smoke=tuple(root / nb for nb in entry.get("smoke", [])),
        drop_labextensions=tuple(entry.get("drop_labextensions", ())),
        platforms=tuple(entry.get("platforms", ("linux-64", "linux-aarch64"))),
        local=LocalSource(
            source=local["from"],
            command=local.get("command"),
            probe=tuple(local.get("probe", ())),
            hint=local.get("hint"),
            optional=local.get("optional", False),
        ),
    )


def _check_environments(catalog: Catalog) -> None:
    path, envs = catalog.path, catalog.environments
    kernel_owner: dict[str, str] = {}
    for name, env in envs.items():
        where = f"environments.{name}"
        if env.parent and env.prefix:
            raise CatalogError(
                path, where, "has both `prefix` and `parent`; a layer uses its parent's prefix"
            )
        if not env.parent and not env.prefix:
            raise CatalogError(path, where, "needs a `prefix` (or a `parent` to be layered on)")
        if env.parent and env.parent not in envs:
            raise CatalogError(path, f"{where}.parent", f"unknown environment {env.parent!r}")
        if env.parent and (env.kernels or env.server):
            raise CatalogError(
                path, where, "a layer (with `parent`) cannot declare kernels or `server`"
            )
        if env.local.source == "system" and not env.local.command:
            raise CatalogError(path, f"{where}.local", "`from: system` needs a `command`")
        if not env.spec_file.is_file():
            raise CatalogError(path, where, f"spec {env.spec_file} does not exist")
        for nb in env.smoke:
            if not nb.is_file():
                raise CatalogError(path, f"{where}.smoke", f"notebook {nb} does not exist")
        for kernel in env.kernels:
            if kernel.name in kernel_owner:
                raise CatalogError(
                    path,
                    f"{where}.kernels",
                    f"kernel {kernel.name!r} is already declared by {kernel_owner[kernel.name]!r}",
                )
            kernel_owner[kernel.name] = name
    for name in envs:
        seen = [name]
        env = envs[name]
        while env.parent:
            if env.parent in seen:
                raise CatalogError(
                    path,
                    f"environments.{name}.parent",
                    f"cycle: {' -> '.join([*seen, env.parent])}",
                )
            seen.append(env.parent)
            env = envs[env.parent]


def _check_profiles(catalog: Catalog, raw: list[dict[str, Any]]) -> None:
    path = catalog.path
    for i, profile in enumerate(catalog.profiles.values()):
        where = f"profiles[{i}] ({profile.slug})"
        if profile.parent and profile.parent not in catalog.profiles:
            raise CatalogError(path, f"{where}.parent", f"unknown profile {profile.parent!r}")
        seen = [profile.slug]
        p = profile
        while p.parent:
            if p.parent in seen:
                raise CatalogError(
                    path, f"{where}.parent", f"cycle: {' -> '.join([*seen, p.parent])}"
                )
            seen.append(p.parent)
            p = catalog.profiles[p.parent]
        for name in profile.environments:
            if name not in catalog.environments:
                raise CatalogError(path, f"{where}.environments", f"unknown environment {name!r}")
        envs = catalog.profile_environments(profile.slug)
        for env in envs:
            missing = [e.name for e in catalog.chain(env.name) if e not in envs]
            if missing:
                raise CatalogError(
                    path,
                    f"{where}.environments",
                    f"{env.name!r} is layered on {', '.join(map(repr, missing))}, "
                    "which the profile does not include",
                )
        leaves = catalog.prefixes(profile.slug)
        for env in envs:
            leaf = leaves[catalog.prefix_root(env.name).name]
            if env not in catalog.chain(leaf.name):
                raise CatalogError(
                    path,
                    f"{where}.environments",
                    f"{env.name!r} and {leaf.name!r} are both layered into the "
                    f"{catalog.prefix_root(env.name).name!r} prefix but not on each other",
                )
        servers = [root for root in leaves if catalog.environments[root].server]
        if len(servers) != 1:
            raise CatalogError(
                path,
                where,
                f"needs exactly one environment with `server: true`, has {servers or 'none'}",
            )
