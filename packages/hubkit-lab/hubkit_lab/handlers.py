"""The server extension's API, under one URL namespace: /hubkit-lab/."""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

# The URL namespace: the Python package's name in kebab-case
NAMESPACE = "hubkit-lab"
# The resource jupyter_server's authorizer is asked about (JupyterHub maps it to scopes)
AUTH_RESOURCE = "hubkit-lab"


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def server_info(environ: Mapping[str, str]) -> dict[str, Any]:
    """The profile and size this server runs, from its environment: HUBKIT_PROFILE,
    HUBKIT_PROFILE_NAME, HUBKIT_SIZE, HUBKIT_SIZE_NAME (set by hubkit's spawners) and
    JupyterHub's CPU_LIMIT (CPUs) and MEM_LIMIT (bytes). Missing values are None.
    """
    cpu_limit = _number(environ.get("CPU_LIMIT"))
    mem_limit = _number(environ.get("MEM_LIMIT"))
    return {
        "profile": environ.get("HUBKIT_PROFILE") or None,
        "profile_name": environ.get("HUBKIT_PROFILE_NAME") or None,
        "size": environ.get("HUBKIT_SIZE") or None,
        "size_name": environ.get("HUBKIT_SIZE_NAME") or None,
        "cpu_limit": cpu_limit if cpu_limit else None,  # JupyterHub writes 0 for "no limit"
        "mem_limit": int(mem_limit) if mem_limit else None,
    }


class ServerInfoHandler(APIHandler):
    """GET /hubkit-lab/server: which profile and size the server runs (the status bar item)."""

    auth_resource = AUTH_RESOURCE

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.finish(json.dumps(server_info(os.environ)))


def setup_handlers(web_app: web.Application) -> None:
    """Add the API's routes below the server's base URL."""
    from .ai import ai_routes
    from .history import history_routes
    from .people import PeopleHandler
    from .sql_handlers import sql_routes
    from .templates import templates_routes
    from .welcome import welcome_routes

    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, NAMESPACE, "server"), ServerInfoHandler),
            (url_path_join(base_url, NAMESPACE, "people"), PeopleHandler),
            *(
                (url_path_join(base_url, NAMESPACE, path), handler)
                for path, handler in [
                    *sql_routes(),
                    *templates_routes(),
                    *welcome_routes(),
                    *ai_routes(),
                    *history_routes(),
                ]
            ),
        ],
    )
