"""Locks beside their specs: envs/<name>/conda-lock.yml, solved from the environment's chain of
specs (pangeo's "layers in the lock"), with a digest of those inputs so a stale lock is caught
here, without a solver.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from ..catalog import Catalog

DIGEST_NAME = "conda-lock.inputs.sha256"
PLATFORMS = ("linux-64", "linux-aarch64")


def lock_inputs(catalog: Catalog, name: str) -> list[Path]:
    """The files a lock is made from: the chain's specs and Julia's Project.toml."""
    files = []
    for env in catalog.chain(name):
        files.append(env.spec_file)
        if env.julia_project:
            files.append(env.julia_project)
    return files


def inputs_digest(catalog: Catalog, name: str) -> str:
    h = hashlib.sha256()
    for path in lock_inputs(catalog, name):
        h.update(path.relative_to(catalog.root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def check_locks(catalog: Catalog) -> list[str]:
    """One message per lock that exists but no longer matches its specs."""
    problems = []
    for env in catalog.environments.values():
        if not env.lock_file.exists():
            continue
        digest_file = env.spec_dir / DIGEST_NAME
        recorded = digest_file.read_text().strip() if digest_file.exists() else ""
        if recorded != inputs_digest(catalog, env.name):
            changed = ", ".join(
                str(p.relative_to(catalog.root)) for p in lock_inputs(catalog, env.name)
            )
            problems.append(
                f"{env.lock_file.relative_to(catalog.root)} is stale: its inputs ({changed}) "
                "changed since it was made; run `pixi run lock`"
            )
    return problems


def lock_environment(catalog: Catalog, name: str) -> None:
    """Solve one environment's chain with conda-lock (and Julia's Manifest), record the digest."""
    env = catalog.environments[name]
    cmd = ["conda-lock", "lock", "--lockfile", str(env.lock_file)]
    for spec in catalog.chain(name):
        cmd += ["-f", str(spec.spec_file)]
    for platform in env.platforms:
        cmd += ["-p", platform]
    subprocess.run(cmd, check=True, cwd=catalog.root)
    if env.julia_project:
        subprocess.run(
            ["julia", f"--project={env.spec_dir}", "-e", "using Pkg; Pkg.resolve()"], check=True
        )
    (env.spec_dir / DIGEST_NAME).write_text(inputs_digest(catalog, name) + "\n")
