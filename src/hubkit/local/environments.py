"""Materialize catalog environments locally: venvs from PyPI for the Python prefixes (from the
same specs the images lock), the system's R or Julia where present, and static kernelspecs.

A venv is named after the deepest environment installed into it (envs/sql holds python+sql) and
remembers a digest of its requirements, so a changed spec is reinstalled and an unchanged one is
not.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog, Environment
from ..catalog.model import package_sources
from ..envs.pypi import pip_requirements
from ..envs.spec import load_spec
from ..kernelspecs import write_profile_files
from ..prefix import finish_prefix

log = logging.getLogger(__name__)


class LocalModeError(Exception):
    """Local mode cannot install or run something; the message says what and how to fix it."""


MARKER = "hubkit-requirements.sha256"


@dataclass(frozen=True)
class LocalLayout:
    """Where local mode keeps its state: HUBKIT_HOME, else .hubkit in the repository."""

    root: Path

    @classmethod
    def default(cls, catalog: Catalog) -> LocalLayout:
        return cls(Path(os.environ.get("HUBKIT_HOME", catalog.root / ".hubkit")).resolve())

    def venv(self, leaf: str) -> Path:
        return self.root / "envs" / leaf

    def server_venv(self, catalog: Catalog, slug: str) -> Path:
        """The venv that runs JupyterLab for a profile (its server prefix's deepest layer)."""
        server = catalog.server_environment(slug)
        return self.venv(catalog.leaves(slug)[server.name].name)

    def profile_dir(self, slug: str) -> Path:
        return self.root / "profiles" / slug

    @property
    def proxy_command(self) -> Path:
        return self.root / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"

    @property
    def hub_dir(self) -> Path:
        return self.root / "hub"

    @property
    def homes_dir(self) -> Path:
        return self.root / "homes"


@dataclass(frozen=True)
class EnvStatus:
    """Whether one prefix of a profile can be used locally, and why not."""

    env: str
    available: bool
    prefix: str | None
    reason: str = ""


def _requirements(catalog: Catalog, leaf: str) -> list[str]:
    return pip_requirements([load_spec(e.spec_file) for e in catalog.chain(leaf)])


def _digest(requirements: list[str], packages: list[Path]) -> str:
    """Over the requirement lines and every source file of the project's packages, so that a
    changed spec or package source reinstalls the venv (and nothing else does)."""
    h = hashlib.sha256("\n".join(requirements).encode())
    for package in packages:
        for path in package_sources(package):
            h.update(b"\0" + path.relative_to(package.parent).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def pypi_status(
    catalog: Catalog, layout: LocalLayout, leaf: Environment, slug: str | None = None
) -> EnvStatus:
    venv = layout.venv(leaf.name)
    marker = venv / MARKER
    if not marker.is_file():
        how = "hubkit local install" + (
            f" --profile {slug}" if slug and leaf.local.optional else ""
        )
        return EnvStatus(leaf.name, False, None, f"not installed in {venv}: run `{how}`")
    if not venv_current(venv, _requirements(catalog, leaf.name), catalog.packages(leaf.name)):
        return EnvStatus(
            leaf.name,
            False,
            None,
            "spec or package sources changed since install: run `hubkit local install`",
        )
    return EnvStatus(leaf.name, True, str(venv))


def system_status(env: Environment) -> EnvStatus:
    command = env.local.command or ""
    hint = f" (install: {env.local.hint})" if env.local.hint else ""
    found = shutil.which(command)
    if not found:
        return EnvStatus(env.name, False, None, f"`{command}` not found on PATH{hint}")
    prefix = str(Path(found).resolve().parent.parent)
    if env.local.probe:
        probe = subprocess.run(
            [found, *env.local.probe], capture_output=True, text=True, timeout=120
        )
        if probe.returncode != 0:
            last = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or [""]
            return EnvStatus(env.name, False, None, f"{command} probe failed: {last[0]}{hint}")
    return EnvStatus(env.name, True, prefix)


def profile_status(catalog: Catalog, layout: LocalLayout, slug: str) -> dict[str, EnvStatus]:
    """Prefix root name -> status, for every prefix the profile needs."""
    out = {}
    for root, leaf in catalog.leaves(slug).items():
        if leaf.local.source == "pypi":
            out[root] = pypi_status(catalog, layout, leaf, slug)
        else:
            out[root] = system_status(leaf)
    return out


def install_venv(catalog: Catalog, layout: LocalLayout, leaf: Environment) -> Path:
    """Create or update the venv holding `leaf` and its parents, from PyPI."""
    venv = layout.venv(leaf.name)
    requirements = _requirements(catalog, leaf.name)
    if pypi_status(catalog, layout, leaf).available:
        log.info("%s: up to date (%s)", leaf.name, venv)
        sync_prefix_files(catalog, venv, leaf)
        return venv
    log.info("%s: installing %d packages from PyPI into %s", leaf.name, len(requirements), venv)
    pip_install(venv, requirements, catalog.packages(leaf.name))
    sync_prefix_files(catalog, venv, leaf)  # also on every later install: config edits follow
    return venv


def venv_current(venv: Path, requirements: list[str], packages: list[Path] = ()) -> bool:
    """Whether the venv was last installed with exactly these requirements and packages."""
    marker = venv / MARKER
    return marker.is_file() and marker.read_text().strip() == _digest(requirements, packages)


def pip_install(venv: Path, requirements: list[str], packages: list[Path] = ()) -> Path:
    """Create the venv if needed, pip-install the requirements (a file, so pins stay readable),
    then the project's packages from the checkout (built, with their frontend, by their own
    build hooks); the marker records both, so an unchanged venv is not installed again."""
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    req_file = venv / "hubkit-requirements.txt"
    req_file.write_text("\n".join(requirements) + "\n")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "-q", "-r", str(req_file)], check=True)
    if packages:
        # --no-deps: their dependencies are in the spec; --force-reinstall: same version,
        # new sources.
        subprocess.run(
            [*pip, "-q", "--no-deps", "--force-reinstall", *map(str, packages)], check=True
        )
    (venv / MARKER).write_text(_digest(requirements, packages) + "\n")
    return venv


def sync_prefix_files(catalog: Catalog, venv: Path, leaf: Environment) -> None:
    """Finish the venv as the images finish a prefix (hubkit.prefix): the chain's etc/
    and share/ files, dropped extensions, post-install scripts. Runs on every install, so a
    config edit reaches an installed venv without a reinstall."""
    chain = catalog.chain(leaf.name)
    drops = [name for env in chain for name in env.drop_labextensions]
    finish_prefix(venv, [env.spec_dir for env in chain], drops)


def write_profile(catalog: Catalog, layout: LocalLayout, slug: str) -> bool:
    """Write the profile's kernelspecs and config if all its prefixes are available."""
    status = profile_status(catalog, layout, slug)
    if not all(s.available for s in status.values()):
        return False
    pdir = layout.profile_dir(slug)
    shutil.rmtree(pdir, ignore_errors=True)
    prefixes = {root: s.prefix for root, s in status.items() if s.prefix}
    data_dir, config_dir = pdir / "share" / "jupyter", pdir / "etc" / "jupyter"
    write_profile_files(catalog, slug, prefixes, data_dir, config_dir, only_these=True)
    return True


def default_local_profiles(catalog: Catalog) -> list[str]:
    """Every profile whose environments are not marked optional for local mode."""
    return [
        slug
        for slug in catalog.profiles
        if not any(e.local.optional for e in catalog.profile_environments(slug))
    ]


def install_profile(catalog: Catalog, layout: LocalLayout, slug: str) -> dict[str, EnvStatus]:
    """Install what PyPI can provide for a profile, then report every prefix's status."""
    for leaf in catalog.leaves(slug).values():
        if leaf.local.source == "pypi":
            install_venv(catalog, layout, leaf)
    write_profile(catalog, layout, slug)
    return profile_status(catalog, layout, slug)
