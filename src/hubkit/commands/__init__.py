"""The `hubkit` command: the layer on top, which only the command line imports.

A traitlets Application with subcommands, as `jupyterhub` itself; each subcommand lives in the
module of its topic (catalog, local, images, stack) and calls the domain packages
(hubkit.catalog, .envs, .local, .images, .policy), which never import this one.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from traitlets.config import Application

from .. import __version__
from .catalog import CatalogCheck, Lock
from .images import ImagesBuild, ImagesPlan, ImagesZ2JH
from .local import LocalApp
from .stack import ComposeUp, StackEnvCheck, StackEnvInit


class ImagesApp(Application):
    description = "Images of the catalog's profiles: plan, build, Zero to JupyterHub values."
    subcommands = {
        "plan": (ImagesPlan, ImagesPlan.description),
        "build": (ImagesBuild, ImagesBuild.description),
        "z2jh": (ImagesZ2JH, ImagesZ2JH.description),
    }


class StackEnvApp(Application):
    description = "stack.env: the production settings and secrets."
    subcommands = {
        "init": (StackEnvInit, StackEnvInit.description),
        "check": (StackEnvCheck, StackEnvCheck.description),
    }


class ComposeApp(Application):
    description = "The production stack (docker-compose.yaml)."
    subcommands = {"up": (ComposeUp, ComposeUp.description)}


class HubkitApp(Application):
    name = "hubkit"
    version = __version__
    description = "A batteries-included JupyterHub for a homelab."
    subcommands = {
        "catalog-check": (CatalogCheck, CatalogCheck.description),
        "lock": (Lock, Lock.description),
        "local": (LocalApp, LocalApp.description),
        "images": (ImagesApp, ImagesApp.description),
        "compose": (ComposeApp, ComposeApp.description),
        "stack-env": (StackEnvApp, StackEnvApp.description),
    }

    def start(self) -> None:
        if self.subapp is None:
            self.print_subcommands()
            self.exit(1)
        self.subapp.start()


main = HubkitApp.launch_instance
