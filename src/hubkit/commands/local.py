"""`hubkit local`: local mode (install, status, up), the catalog without Docker or conda."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import os
import signal
import sys

from traitlets import Bool, List, Unicode
from traitlets.config import Application

from ..local import (
    EnvStatus,
    LocalLayout,
    default_local_profiles,
    install_profile,
    install_proxy,
    local_hub_env,
    profile_status,
)
from .base import Command, HubkitError


class LocalInstall(Command):
    description = (
        "Install the catalog's profiles locally: venvs from PyPI, system R/Julia if present."
    )
    profiles = List(Unicode(), help="Profiles to install (default: all but optional ones).").tag(
        config=True
    )
    aliases = {**Command.aliases, "profile": "LocalInstall.profiles"}

    def run(self) -> None:
        catalog = self.load()
        layout = LocalLayout.default(catalog)
        slugs = self.profiles or default_local_profiles(catalog)
        for slug in slugs:
            if slug not in catalog.profiles:
                raise HubkitError(
                    f"unknown profile {slug!r}; the catalog has: {', '.join(catalog.profiles)}"
                )
        install_proxy(catalog, layout)
        for slug in slugs:
            report(slug, install_profile(catalog, layout, slug))


class LocalStatus(Command):
    description = "Show which profiles can run locally, and why the others cannot."

    def run(self) -> None:
        catalog = self.load()
        layout = LocalLayout.default(catalog)
        for slug in catalog.profiles:
            report(slug, profile_status(catalog, layout, slug))


class LocalUp(Command):
    description = "Start JupyterHub locally on http://127.0.0.1:8000 (installs what is missing)."
    install = Bool(True, help="Install missing profiles first.").tag(config=True)
    flags = {
        **Command.flags,
        "no-install": ({"LocalUp": {"install": False}}, "Do not install first."),
    }

    def run(self) -> None:
        catalog = self.load()
        layout = LocalLayout.default(catalog)
        if self.install:
            install_proxy(catalog, layout)
            for slug in default_local_profiles(catalog):
                report(slug, install_profile(catalog, layout, slug))
        env = local_hub_env(catalog, layout)
        print(
            f"hubkit: JupyterHub on {env['JUPYTERHUB_BIND_URL']}; log in as "
            f"{env['JUPYTER_ADMIN_USER']} with the password in {layout.root / 'local.env'}"
        )
        os.chdir(layout.hub_dir)
        config = catalog.root / "hub" / "jupyterhub_config.py"
        # A shell that started us in the background ignores Ctrl-C's SIGINT for us, and the
        # hub's services would inherit that and wait out the hub's stop timeouts (about 30 s):
        # the hub and its children get the default.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execvpe(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", str(config)], env)


class LocalApp(Application):
    description = "Local mode: the catalog without Docker or conda."
    subcommands = {
        "install": (LocalInstall, LocalInstall.description),
        "status": (LocalStatus, LocalStatus.description),
        "up": (LocalUp, LocalUp.description),
    }


def report(slug: str, status: dict[str, EnvStatus]) -> None:
    ok = all(s.available for s in status.values())
    print(f"  {slug:12} {'available' if ok else 'unavailable'}")
    for s in status.values():
        if not s.available:
            print(f"      {s.env}: {s.reason}")
