"""The base of every `hubkit` subcommand: the catalog option and one-line errors.

Domain errors (a malformed catalog, spec or policy, a missing tool, a failed build) end with
a one-line message and exit 1; tracebacks only with --debug (as repo2docker's main does).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import subprocess
import sys

from traitlets import Unicode
from traitlets.config import Application

from ..catalog import Catalog, load_catalog
from ..datafile import DataFileError
from ..images.engine import EngineError
from ..images.plan import ImageError
from ..imagesfile import ImagesFileError
from ..local import LocalModeError
from ..stackenv import StackEnvError

# Errors a user can fix: printed as one line, without a traceback.
USER_ERRORS = (
    DataFileError,
    EngineError,
    ImageError,
    ImagesFileError,
    LocalModeError,
    StackEnvError,
    subprocess.CalledProcessError,
)


class HubkitError(Exception):
    """A wrong command-line argument; printed without a traceback."""


class Command(Application):
    """A subcommand that reads the kernel catalog."""

    catalog_path = Unicode(
        "",
        help="""Kernel catalog to use. Default: HUBKIT_CATALOG, else the catalog.yaml of the
        current folder or the nearest folder above it. Its folder is the project folder
        (envs/, hub/, packages/).""",
    ).tag(config=True)
    aliases = {"catalog": "Command.catalog_path", "log-level": "Application.log_level"}
    flags = {"debug": ({"Application": {"log_level": 10}}, "Show debug output and tracebacks.")}

    def load(self) -> Catalog:
        return load_catalog(self.catalog_path or None)

    def start(self) -> None:
        try:
            self.run()
        except (HubkitError, *USER_ERRORS) as e:
            self.log.debug("Traceback", exc_info=True)
            print(f"hubkit: error: {e}", file=sys.stderr)
            self.exit(1)

    def run(self) -> None:
        raise NotImplementedError
