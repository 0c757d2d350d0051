"""The server extension: its settings (`HubkitLab`), what it does when the server loads it,
and what it does once every extension is loaded.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING, Any, TypeVar

from jupyter_server.auth.authorizer import AllowAllAuthorizer
from jupyter_server.utils import url_path_join
from tornado.ioloop import PeriodicCallback
from tornado.web import GZipContentEncoding
from traitlets import Bool, Float, Int, TraitError, Unicode, default, validate
from traitlets.config import LoggingConfigurable

from . import __version__, shutdown
from .handlers import setup_handlers
from .precompressed import replace_file_handlers
from .sharing import AccessGuard, WebsocketTracker

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp
    from jupyterlab.labapp import LabApp

T = TypeVar("T")

# Where the settings are kept for the handlers and the start hook
SETTINGS_KEY = "hubkit_lab"


class HubkitLab(LoggingConfigurable):
    """hubkit's server extension. Configure it as `c.HubkitLab.<option>` in a
    jupyter_server_config file, or `--HubkitLab.<option>=<value>` on the command line.
    """

    precompressed_assets = Bool(
        True,
        help="""Send JupyterLab's scripts and styles (/static/lab, /lab/extensions) as the
        `name.gz` files written beside them at install time (`python -m
        hubkit_lab.precompress`), to browsers that accept gzip: no compressing while a page
        loads. A file without a current `.gz` (none, or the file changed since) is sent as it
        is, compressed on the fly when `compress_responses` is on.

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    compress_responses = Bool(
        True,
        help="""Compress every other response (settings, translations, API answers) with
        gzip as it is sent, as tornado's `compress_response` setting does; jupyter_server
        leaves it off. Turn it off behind a proxy that compresses.

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    gzip_level = Int(
        4,
        help="""The gzip level (1-9) responses are compressed at on the fly, on the server's
        only thread. tornado's default, 6, takes twice the time of 4 for about 4 % fewer
        bytes (benchmarks/lab_overhead.py prints the bytes on the wire). Sets
        tornado.web.GZipContentEncoding.GZIP_LEVEL, for the whole process.

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    stop_anyio_workers_at_exit = Bool(
        True,
        help="""Stop AnyIO's idle worker threads when the server exits. Without it, a server
        stopped while a notebook is open in a browser never exits (jupyter-collaboration's
        rooms keep the threads alive) and the hub kills it after its timeouts: "Stop My
        Server" and the idle culler take 60 s instead of 1
        (jupyterlab/jupyter-collaboration#161, #503). Drop it (and hubkit_lab.shutdown) once
        a jupyter-collaboration release includes the fix, jupyter-collaboration PR #546.

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    freeze_startup_objects = Bool(
        True,
        help="""Move the objects that exist once the server has started (the imported modules
        of every extension: jupyter-ai's LiteLLM alone is hundreds of thousands) out of the
        garbage collector's reach (`gc.freeze`), after one collection. Without it, every full
        collection walks them all, pausing the server, and so does the last one at exit: a
        server asked to stop took 5-10 s here, past the local spawner's 5 s `term_timeout`,
        and was killed (its kernels not shut down) instead of exiting in under a second.

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    access_check_interval = Float(
        5.0,
        help="""Seconds between two checks with JupyterHub that the people connected to this
        server by websocket (kernels, notebook documents, terminals) may still use it; the
        connections of those who may not (a share revoked, an account removed) are closed.
        One hub request per check and person other than the server's owner; none when only
        the owner is connected. JupyterHub checks new requests itself, with answers cached for
        `HubAuth.cache_max_age`, which this sets to the same (unless configured). 0 turns the
        checks off.

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    ai_model = Unicode(
        help="""The model JupyterLab's AI actions (fix, explain, generate, suggest analyses)
        ask, as a LiteLLM name (`anthropic/claude-sonnet-4-5`, `openai/gpt-4.1-mini`). The
        hub's spawner sets HUBKIT_AI_MODEL to the policy's `ai.default_model`. Empty: the
        actions say that no model is set.

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    ai_timeout = Float(
        120.0,
        help="""Seconds an AI action waits for the model's whole answer.

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    ai_max_tokens = Int(
        2048,
        help="""The most tokens of one answer to an AI action (the vendors' `max_tokens`).

        .. versionadded:: 0.1
        """,
    ).tag(config=True)

    @default("ai_model")
    def _default_ai_model(self) -> str:
        return os.environ.get("HUBKIT_AI_MODEL", "")

    @validate("access_check_interval")
    def _validate_access_check_interval(self, proposal: dict[str, Any]) -> float:
        seconds = proposal["value"]
        if seconds < 0:
            raise TraitError(f"HubkitLab.access_check_interval must be >= 0, not {seconds}")
        return seconds

    @validate("gzip_level")
    def _validate_gzip_level(self, proposal: dict[str, Any]) -> int:
        level = proposal["value"]
        if not 1 <= level <= 9:
            raise TraitError(f"HubkitLab.gzip_level must be between 1 and 9, not {level}")
        return level


def link(serverapp: ServerApp) -> None:
    """Before the server creates them: its authorizer records websockets and JupyterHub's
    answers about tokens are cached no longer than `access_check_interval`
    (hubkit_lab.sharing); under JupyterHub, people get initials and a colour
    (hubkit_lab.identity). An authorizer, identity provider or cache age set in the server's
    config is kept."""
    _use_hubkit_identity(serverapp)
    seconds = HubkitLab(parent=serverapp, log=serverapp.log).access_check_interval
    if not seconds:
        return
    if serverapp.authorizer_class is AllowAllAuthorizer:
        serverapp.authorizer_class = WebsocketTracker
    if "cache_max_age" not in serverapp.config.HubAuth:
        serverapp.config.HubAuth.cache_max_age = max(1, round(seconds))


def _use_hubkit_identity(serverapp: ServerApp) -> None:
    """Replace jupyterhub-singleuser's identity provider by hubkit's, which extends it.
    jupyterhub's extension sets its own after this one is linked (extensions link in name
    order), so the replacement also follows later changes of the setting."""
    try:
        from jupyterhub.singleuser.extension import JupyterHubIdentityProvider
    except ImportError:  # not under JupyterHub
        return
    from .identity import HubkitIdentityProvider

    def replace(_change: object = None) -> None:
        if serverapp.identity_provider_class is JupyterHubIdentityProvider:
            serverapp.identity_provider_class = HubkitIdentityProvider

    replace()
    serverapp.observe(replace, names="identity_provider_class")


def load(serverapp: ServerApp) -> None:
    """Read the settings, add the API's handlers, turn on compression and the exit hook."""
    settings = HubkitLab(parent=serverapp, log=serverapp.log)
    web_app = serverapp.web_app
    web_app.settings[SETTINGS_KEY] = settings
    setup_handlers(web_app)
    from .ai import offer_allowed_models_only

    offer_allowed_models_only(serverapp)
    GZipContentEncoding.GZIP_LEVEL = settings.gzip_level
    if settings.compress_responses:
        # tornado adds its transform in Application.__init__ when the setting is on; the
        # application exists already, so add it here (the handlers read the setting too)
        web_app.settings["compress_response"] = True
        if GZipContentEncoding not in web_app.transforms:
            web_app.add_transform(GZipContentEncoding)
    if settings.stop_anyio_workers_at_exit:
        shutdown.register()
    serverapp.log.info("hubkit_lab %s loaded", __version__)


def extension_app(serverapp: ServerApp, kind: type[T]) -> T | None:
    """The extension app of this class the server loaded, if any."""
    for point in serverapp.extension_manager.extension_points.values():
        if isinstance(point.app, kind):
            return point.app
    return None


def _lab_app(serverapp: ServerApp) -> LabApp | None:
    """The JupyterLab extension app the server loaded, if any."""
    try:
        from jupyterlab.labapp import LabApp
    except ImportError:
        return None
    return extension_app(serverapp, LabApp)


def start(serverapp: ServerApp) -> None:
    """Freeze the startup objects (`freeze_startup_objects`), start the access checks, save the
    open documents when the server stops (hubkit_lab.shutdown), and serve JupyterLab's assets
    precompressed, now that every extension is loaded and its routes exist.

    The moment: jupyter_server loads extensions one by one in name order, so while this one
    (hubkit_lab) loads, jupyterlab (later in that order) has not added its /lab/extensions
    route yet, and an extension loaded after jupyterlab could add its routes after any load
    hook. The start hook (`_start_jupyter_server_extension`, from ServerApp._post_start) is the
    documented one that runs after every extension is loaded: it is called on the event loop's
    first turn, before the server has read any request. It replaces the handler class of the
    two routes that serve the assets, in tornado's router rules (read at each request).
    Neither jupyter_server nor jupyterlab_server lets one choose that class: /static/lab takes
    the `static_handler_class` setting, which a later config file's `tornado_settings`
    replaces (jupyterhub-singleuser cannot merge it), and /lab/extensions names
    FileFindHandler itself.
    """
    settings: HubkitLab = serverapp.web_app.settings[SETTINGS_KEY]
    if settings.freeze_startup_objects:
        gc.collect()
        gc.freeze()
    _start_access_checks(serverapp, settings)
    shutdown.save_documents_before_stopping(serverapp)
    if not settings.precompressed_assets:
        return
    lab = _lab_app(serverapp)
    if lab is None:  # a server without JupyterLab: no lab assets to serve
        return
    patterns = [
        url_path_join(lab.static_url_prefix, "(.*)"),
        url_path_join(serverapp.base_url, lab.labextensions_url, "(.*)"),
    ]
    changed = replace_file_handlers(serverapp.web_app.default_router, patterns)
    if changed:
        serverapp.log.info("hubkit_lab: precompressed assets served at %s", ", ".join(changed))
    else:
        serverapp.log.warning("hubkit_lab: no route of JupyterLab's assets found (%s)", patterns)


def _start_access_checks(serverapp: ServerApp, settings: HubkitLab) -> None:
    """Under JupyterHub, close websockets of people who lost access (hubkit_lab.sharing)."""
    hub_auth = getattr(serverapp.identity_provider, "hub_auth", None)
    tracker = serverapp.authorizer
    if hub_auth is None or not settings.access_check_interval:
        return
    if not isinstance(tracker, WebsocketTracker):
        serverapp.log.warning(
            "hubkit_lab: ServerApp.authorizer_class is %s, not hubkit_lab.sharing."
            "WebsocketTracker: open websockets stay open after a share is revoked",
            type(tracker).__name__,
        )
        return
    owner = os.environ.get("JUPYTERHUB_USER", "")
    guard = AccessGuard(tracker, hub_auth, owner, serverapp.log)
    checks = PeriodicCallback(guard.check, settings.access_check_interval * 1000)
    checks.start()
    serverapp.log.info(
        "hubkit_lab: every %s s, closing websockets of people who lost access",
        settings.access_check_interval,
    )
    serverapp.web_app.settings[SETTINGS_KEY + "_access_checks"] = checks
