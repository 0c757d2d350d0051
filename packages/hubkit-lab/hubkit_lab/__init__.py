"""hubkit's JupyterLab extension: a prebuilt labextension (the server's profile and size in the
status bar) and a server extension (its API, precompressed lab assets, a clean exit).

Kept light: `python -m hubkit_lab.precompress` runs at install time without the server, so the
server extension's modules are imported only when the server loads it.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt extension is installed (the wheel's shared-data)."""
    return [{"src": "labextension", "dest": "@hubkit/lab"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """The server extension: this module's `_load_…` and `_start_jupyter_server_extension`."""
    return [{"module": "hubkit_lab"}]


def _link_jupyter_server_extension(serverapp: ServerApp) -> None:
    """Called by jupyter_server before it creates its authorizer and identity provider."""
    from .extension import link

    link(serverapp)


def _load_jupyter_server_extension(serverapp: ServerApp) -> None:
    """Called by jupyter_server while it loads the enabled extensions (in name order)."""
    from .extension import load

    load(serverapp)


async def _start_jupyter_server_extension(serverapp: ServerApp) -> None:
    """Called by jupyter_server once every extension is loaded and its event loop runs."""
    from .extension import start

    start(serverapp)
