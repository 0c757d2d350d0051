"""The `hubkit` command: catalog checks, local mode and locks.

A traitlets Application with subcommands, as `jupyterhub` itself; domain errors (a malformed
catalog, a missing tool) end with a one-line message and exit 1, tracebacks only with --debug.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from traitlets import Bool, List, Unicode
from traitlets.config import Application

from . import __version__
from .catalog import Catalog, CatalogError, load_catalog
from .envs import load_spec
from .envs.lock import check_locks, lock_environment
from .local import LocalLayout, install_profile, profile_status

ROOT = Path(__file__).resolve().parents[2]


class HubkitError(Exception):
    """An error the user can fix; printed without a traceback."""


class _Base(Application):
    catalog_path = Unicode("", help="Kernel catalog to use (default: catalog.yaml).").tag(
        config=True
    )
    aliases = {"catalog": "_Base.catalog_path", "log-level": "Application.log_level"}
    flags = {"debug": ({"Application": {"log_level": 10}}, "Show debug output and tracebacks.")}

    def load(self) -> Catalog:
        return load_catalog(self.catalog_path or None)

    def start(self) -> None:
        try:
            self.run()
        except (CatalogError, HubkitError, subprocess.CalledProcessError) as e:
            self.log.debug("Traceback", exc_info=True)
            print(f"hubkit: error: {e}", file=sys.stderr)
            self.exit(1)

    def run(self) -> None:
        raise NotImplementedError


class CatalogCheck(_Base):
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
        print(f"{catalog.path}: OK")


class Lock(_Base):
    description = (
        "Regenerate the conda locks (envs/*/conda-lock.yml); needs conda-lock and conda-forge."
    )
    environments = List(Unicode(), help="Environments to lock (default: all).").tag(config=True)
    aliases = {**_Base.aliases, "env": "Lock.environments"}

    def run(self) -> None:
        if not shutil.which("conda-lock"):
            raise HubkitError("conda-lock is not installed: run `pixi run lock` (it provides it)")
        catalog = self.load()
        for name in self.environments or list(catalog.environments):
            lock_environment(catalog, name)


class LocalInstall(_Base):
    description = (
        "Install the catalog's profiles locally: venvs from PyPI, system R/Julia if present."
    )
    profiles = List(Unicode(), help="Profiles to install (default: all but optional ones).").tag(
        config=True
    )
    aliases = {**_Base.aliases, "profile": "LocalInstall.profiles"}

    def run(self) -> None:
        catalog = self.load()
        layout = LocalLayout.default(catalog)
        slugs = self.profiles or default_local_profiles(catalog)
        for slug in slugs:
            if slug not in catalog.profiles:
                raise HubkitError(
                    f"unknown profile {slug!r}; the catalog has: {', '.join(catalog.profiles)}"
                )
        install_proxy(layout)
        for slug in slugs:
            report(slug, install_profile(catalog, layout, slug))


class LocalStatus(_Base):
    description = "Show which profiles can run locally, and why the others cannot."

    def run(self) -> None:
        catalog = self.load()
        layout = LocalLayout.default(catalog)
        for slug in catalog.profiles:
            report(slug, profile_status(catalog, layout, slug))


class LocalUp(_Base):
    description = "Start JupyterHub locally on http://127.0.0.1:8000 (installs what is missing)."
    install = Bool(True, help="Install missing profiles first.").tag(config=True)
    flags = {
        **_Base.flags,
        "no-install": ({"LocalUp": {"install": False}}, "Do not install first."),
    }

    def run(self) -> None:
        catalog = self.load()
        layout = LocalLayout.default(catalog)
        if self.install:
            install_proxy(layout)
            for slug in default_local_profiles(catalog):
                report(slug, install_profile(catalog, layout, slug))
        env = local_hub_env(catalog, layout)
        print(
            f"hubkit: JupyterHub on {env['JUPYTERHUB_BIND_URL']}; log in as "
            f"{env['JUPYTER_ADMIN_USER']} with the password in {layout.root / 'local.env'}"
        )
        os.chdir(layout.hub_dir)
        os.execvpe(
            sys.executable,
            [sys.executable, "-m", "jupyterhub", "-f", str(ROOT / "hub" / "jupyterhub_config.py")],
            env,
        )


class LocalApp(Application):
    description = "Local mode: the catalog without Docker or conda."
    subcommands = {
        "install": (LocalInstall, LocalInstall.description),
        "status": (LocalStatus, LocalStatus.description),
        "up": (LocalUp, LocalUp.description),
    }


class HubkitApp(Application):
    name = "hubkit"
    version = __version__
    description = "A batteries-included JupyterHub for a homelab."
    subcommands = {
        "catalog-check": (CatalogCheck, CatalogCheck.description),
        "lock": (Lock, Lock.description),
        "local": (LocalApp, LocalApp.description),
        # Production (Docker): images, the compose stack and its settings (hubkit.images).
        "images": ("hubkit.images.commands.ImagesApp", "Plan, build and smoke-test the images."),
        "compose": ("hubkit.images.commands.ComposeApp", "Check, build, docker compose up."),
        "stack-env": ("hubkit.images.commands.StackEnvApp", "Create and check stack.env."),
    }

    def start(self) -> None:
        if self.subapp is None:
            self.print_subcommands()
            self.exit(1)
        self.subapp.start()


def default_local_profiles(catalog: Catalog) -> list[str]:
    """Every profile whose environments are not marked optional for local mode."""
    return [
        slug
        for slug in catalog.profiles
        if not any(e.local.optional for e in catalog.profile_environments(slug))
    ]


def report(slug: str, status: dict) -> None:
    ok = all(s.available for s in status.values())
    print(f"  {slug:12} {'available' if ok else 'unavailable'}")
    for s in status.values():
        if not s.available:
            print(f"      {s.env}: {s.reason}")


def install_proxy(layout: LocalLayout) -> Path:
    """configurable-http-proxy from npm, pinned by hub/proxy/package-lock.json."""
    target = layout.root / "proxy"
    chp = target / "node_modules" / ".bin" / "configurable-http-proxy"
    lock = ROOT / "hub" / "proxy" / "package-lock.json"
    if chp.exists() and (target / "package-lock.json").read_bytes() == lock.read_bytes():
        return chp
    if not shutil.which("npm"):
        raise HubkitError(
            "npm is not installed: it is needed for configurable-http-proxy (apt-get install npm)"
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / "hub" / "proxy" / name, target / name)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=target, check=True
    )
    return chp


def local_hub_env(catalog: Catalog, layout: LocalLayout) -> dict[str, str]:
    """The hub's environment in local mode; secrets generated once into .hubkit/local.env."""
    layout.hub_dir.mkdir(parents=True, exist_ok=True)
    local_env = layout.root / "local.env"
    if not local_env.exists():
        fd = os.open(local_env, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("# Generated by `hubkit local up`: local mode's admin login and proxy token.\n")
            f.write("JUPYTER_ADMIN_USER=admin\n")
            f.write(f"JUPYTER_PASSWORD={secrets.token_urlsafe(12)}\n")
            f.write(f"CONFIGPROXY_AUTH_TOKEN={secrets.token_hex(32)}\n")
    values = dict(
        line.split("=", 1)
        for line in local_env.read_text().splitlines()
        if line and not line.startswith("#")
    )
    return {
        **os.environ,
        **values,
        "HUBKIT_SPAWNER": "local",
        "HUBKIT_CATALOG": str(catalog.path),
        "HUBKIT_HOME": str(layout.root),
        "HUBKIT_CHP": str(
            layout.root / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
        ),
        "JUPYTERHUB_BIND_URL": os.environ.get("JUPYTERHUB_BIND_URL", "http://127.0.0.1:8000"),
    }


main = HubkitApp.launch_instance
