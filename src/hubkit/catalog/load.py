"""Load and validate catalog.yaml: the JSON Schema first, then the cross-references.

Every error names the file, the entry and what is wrong, so an admin can fix it in one go.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..datafile import CycleError, DataFileError, ancestry, read_yaml, validate
from .model import Catalog, Environment, Kernel, LocalSource, Profile

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


class CatalogError(DataFileError):
    """A malformed catalog.yaml: `str()` names file, entry and problem."""


def default_catalog_path() -> Path:
    """HUBKIT_CATALOG, else the catalog.yaml of the current folder or the nearest one above it
    (a checkout); never a path inside the installed package, which has no catalog."""
    if env := os.environ.get("HUBKIT_CATALOG"):
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "catalog.yaml").is_file():
            return folder / "catalog.yaml"
    raise CatalogError(
        here / "catalog.yaml",
        "",
        "no catalog.yaml here or in a folder above; run from the project folder or set "
        "HUBKIT_CATALOG",
    )


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Read, validate and cross-check the catalog; raise CatalogError on the first problem."""
    path = Path(path) if path else default_catalog_path()
    data = read_yaml(path, CatalogError)
    validate(data, SCHEMA_PATH, path, CatalogError)
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
        packages=tuple(root / "packages" / name for name in entry.get("packages", ())),
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
        try:
            ancestry(name, lambda n: envs[n].parent)
        except CycleError as e:
            raise CatalogError(path, f"environments.{name}.parent", str(e)) from None


def _check_profiles(catalog: Catalog, raw: list[dict[str, Any]]) -> None:
    path = catalog.path
    for i, profile in enumerate(catalog.profiles.values()):
        where = f"profiles[{i}] ({profile.slug})"
        if profile.parent and profile.parent not in catalog.profiles:
            raise CatalogError(path, f"{where}.parent", f"unknown profile {profile.parent!r}")
        try:
            catalog.profile_chain(profile.slug)
        except CycleError as e:
            raise CatalogError(path, f"{where}.parent", str(e)) from None
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
        leaves = catalog.leaves(profile.slug)
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
