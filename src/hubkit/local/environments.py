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
from ..envs import load_spec
from ..envs.pypi import pip_requirements
from ..kernelspecs import write_profile_data

log = logging.getLogger(__name__)
MARKER = "hubkit-requirements.sha256"
PREFIX_RECORD = "hubkit-prefix-files.txt"
# Scripts an environment's etc/ brings into the prefix, run with the prefix's Python after every
# install (images/layer/hubkit-install-lock runs the same folder).
POST_INSTALL_DIR = Path("etc", "hubkit", "post-install.d")


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
        return self.venv(catalog.prefixes(slug)[server.name].name)

    def profile_dir(self, slug: str) -> Path:
        return self.root / "profiles" / slug

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


def _digest(requirements: list[str]) -> str:
    return hashlib.sha256("\n".join(requirements).encode()).hexdigest()


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
    if not venv_current(venv, _requirements(catalog, leaf.name)):
        return EnvStatus(
            leaf.name, False, None, "spec changed since install: run `hubkit local install`"
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
    for root, leaf in catalog.prefixes(slug).items():
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
    pip_install(venv, requirements)
    sync_prefix_files(catalog, venv, leaf)  # also on every later install: config edits follow
    return venv


def venv_current(venv: Path, requirements: list[str]) -> bool:
    """Whether the venv was last installed with exactly these requirements."""
    marker = venv / MARKER
    return marker.is_file() and marker.read_text().strip() == _digest(requirements)


def pip_install(venv: Path, requirements: list[str]) -> Path:
    """Create the venv if needed and pip-install the requirements (a file, so pins stay
    readable); the marker records them, so an unchanged list is not installed again."""
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    req_file = venv / "hubkit-requirements.txt"
    req_file.write_text("\n".join(requirements) + "\n")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "-q", "-r", str(req_file)], check=True)
    (venv / MARKER).write_text(_digest(requirements) + "\n")
    return venv


def sync_prefix_files(catalog: Catalog, venv: Path, leaf: Environment) -> None:
    """Copy the chain's etc/ and share/ files into the prefix, drop unwanted lab extensions
    and run the post-install scripts (POST_INSTALL_DIR).

    Runs on every install, so a config edit reaches an installed venv without a reinstall;
    files copied before and since removed from envs/ are deleted (listed in PREFIX_RECORD).
    """
    record = venv / PREFIX_RECORD
    previous = set(record.read_text().splitlines()) if record.is_file() else set()
    copied: set[str] = set()
    for env in catalog.chain(leaf.name):
        for path in env.prefix_files():
            relative = path.relative_to(env.spec_dir).as_posix()
            (venv / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, venv / relative)
            copied.add(relative)
        for name in env.drop_labextensions:
            shutil.rmtree(venv / "share" / "jupyter" / "labextensions" / name, ignore_errors=True)
    for stale in previous - copied:
        (venv / stale).unlink(missing_ok=True)
    record.write_text("\n".join(sorted(copied)) + "\n")
    for script in sorted((venv / POST_INSTALL_DIR).glob("*.py")):
        subprocess.run([str(venv / "bin" / "python"), str(script)], check=True)


def write_profile(catalog: Catalog, layout: LocalLayout, slug: str) -> bool:
    """Write the profile's kernelspecs and config if all its prefixes are available."""
    status = profile_status(catalog, layout, slug)
    if not all(s.available for s in status.values()):
        return False
    pdir = layout.profile_dir(slug)
    shutil.rmtree(pdir, ignore_errors=True)
    prefixes = {root: s.prefix for root, s in status.items() if s.prefix}
    data_dir, config_dir = pdir / "share" / "jupyter", pdir / "etc" / "jupyter"
    write_profile_data(catalog, slug, prefixes, data_dir, config_dir, only_these=True)
    return True


def install_profile(catalog: Catalog, layout: LocalLayout, slug: str) -> dict[str, EnvStatus]:
    """Install what PyPI can provide for a profile, then report every prefix's status."""
    for leaf in catalog.prefixes(slug).values():
        if leaf.local.source == "pypi":
            install_venv(catalog, layout, leaf)
    write_profile(catalog, layout, slug)
    return profile_status(catalog, layout, slug)
