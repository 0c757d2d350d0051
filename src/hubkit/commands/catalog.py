"""`hubkit catalog-check` and `hubkit lock`: the catalog, its specs and their locks."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import shutil

from traitlets import List, Unicode

from ..envs.lock import check_locks, lock_environment
from ..envs.spec import load_spec
from ..images.plan import missing_locks
from .base import Command, HubkitError


class CatalogCheck(Command):
    description = "Validate catalog.yaml, every environment spec and the locks beside them."

    def run(self) -> None:
        catalog = self.load()
        for env in catalog.environments.values():
            spec = load_spec(env.spec_file)
            where = env.spec_file.relative_to(catalog.root)
            print(f"  {env.name:8} {len(spec.requirements):3} packages  {where}")
        stale = check_locks(catalog)
        if stale:
            raise HubkitError("\n".join(stale))
        for profile in catalog.build_order():
            kernels = ", ".join(k.name for k, _ in catalog.kernels(profile.slug))
            print(f"  profile {profile.slug:12} kernels: {kernels}")
        missing = sorted(
            {
                p.relative_to(catalog.root).as_posix()
                for s in catalog.profiles
                for p in missing_locks(catalog, s)
            }
        )
        if missing:
            print(
                f"  not locked yet: {', '.join(missing)}; the images cannot be built until "
                "`pixi run lock` (or the lock workflow) makes them; local mode does not need them"
            )
        print(f"{catalog.path}: OK")


class Lock(Command):
    description = (
        "Regenerate the conda locks (envs/*/conda-lock.yml); needs conda-lock and conda-forge."
    )
    environments = List(Unicode(), help="Environments to lock (default: all).").tag(config=True)
    aliases = {**Command.aliases, "env": "Lock.environments"}

    def run(self) -> None:
        if not shutil.which("conda-lock"):
            raise HubkitError("conda-lock is not installed: run `pixi run lock` (it provides it)")
        catalog = self.load()
        for name in self.environments or list(catalog.environments):
            lock_environment(catalog, name)
