"""The catalog's profile picker, shared by both spawners (hubkit.hub.spawners.local, .docker).

`ProfileSpawnerMixin` renders the form, turns it into user_options and applies them (form and
REST API alike, through JupyterHub's `apply_user_options` hook); the backends only say which
profiles they can start and how a chosen profile becomes a server.
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import copy
import json
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from jupyterhub.traitlets import ByteSpecification
from tornado import web
from traitlets import Bool, Dict, Float, HasTraits, List, Unicode, default, observe

from ...bounds import quote
from ...catalog import Catalog, load_catalog
from ...policy import SharedConnection, profiles
from .. import projects, usage
from ..ai_gateway.spawner import AIAssistMixin
from ..settings import secret_env

TEMPLATES = Path(__file__).parent.parent / "templates"
# Where the kernel library (hubkit_kernel.sql.connections) reads the shared connections: the
# JSON itself, or (NAME_FILE, as the hub's own secrets) the file holding it.
SHARED_CONNECTIONS_ENV = "HUBKIT_SHARED_CONNECTIONS"
SHARED_CONNECTIONS_FILE_ENV = f"{SHARED_CONNECTIONS_ENV}_FILE"
# The shared datasets folder's name in every user's home, and the variable that tells the
# server (hubkit_lab.datasets) which folders it may not change.
DATASETS = "datasets"
DATASETS_READONLY_ENV = "HUBKIT_DATASETS_READONLY"
# Where the server (hubkit_lab.templates) finds the notebook templates.
TEMPLATES_ENV = "HUBKIT_TEMPLATES_DIR"
# Group property whose value (size slug -> size) adds sizes for the group's members.
GROUP_SIZES_PROPERTY = "hubkit_sizes"
# Traits a spawn may change (sizes, profiles). A Spawner object lives as long as the hub and is
# reused for each start of the user's server, so these are reset before each spawn: a GPU or a
# big size chosen once must not stick to the next start.
RESET_EACH_SPAWN = (
    "cpu_limit",
    "mem_limit",
    "cpu_guarantee",
    "mem_guarantee",
    "gpu",
    "args",
    "environment",
    "extra_host_config",
    "volumes",
)


class SpawnFailed(web.HTTPError):
    """A server that did not start, with the reason shown to the user (not a bare 500).

    JupyterHub shows `jupyterhub_message` on the spawn page, in the progress stream and in the
    REST API's error body.
    """

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(500, "%s", message)
        self.jupyterhub_message = message + (f"\n{log_tail}" if log_tail else "")
        self.jupyterhub_html_message = str(
            jinja2.utils.markupsafe.Markup("<p>{}</p>{}").format(
                message,
                jinja2.utils.markupsafe.Markup("<pre>{}</pre>").format(log_tail)
                if log_tail
                else "",
            )
        )


class ProfileSpawnerMixin(AIAssistMixin, HasTraits):
    """Spawn-time profile picker driven by the kernel catalog (and the AI gateway's settings,
    AIAssistMixin)."""

    catalog_path = Unicode(
        "",
        help="""Path of the kernel catalog (catalog.yaml). Default: HUBKIT_CATALOG or the
        repository's catalog.yaml.""",
    ).tag(config=True)

    sizes = Dict(
        help="""Size choices offered with every profile: slug -> {display_name, default,
        and spawner traits such as cpu_limit, mem_limit}. Users can pick only these.
        hub/jupyterhub_config.py sets them from the hub policy (hub/policy.yaml `sizes`);
        empty, the form offers no size and servers run without limits.""",
    ).tag(config=True)

    group_sizes = Dict(
        Dict(),
        help="""Extra size choices for members of a JupyterHub group: group name -> {size slug
        -> size}, in the schema of `sizes`. An admin can also give a group sizes at run time
        with the group property `hubkit_sizes` (same schema; REST API or admin panel). Members
        of several groups get the union; non-members can never choose these sizes.
        hub/jupyterhub_config.py sets them from the hub policy (`groups.<name>.sizes`).""",
    ).tag(config=True)

    offer_gpu_sizes = Bool(
        False,
        help="""Whether the host has GPUs to give: sizes with `gpu: true` are offered only
        then (HUBKIT_GPU in stack.env), so a policy with a GPU size works on any host.""",
    ).tag(config=True)

    gpu = Bool(
        False,
        help="""Give the server the host's GPUs. Set by a size with `gpu: true`; the Docker
        backend turns it into a device request, local mode ignores it.""",
    ).tag(config=True)

    home_quota = ByteSpecification(
        None,
        allow_none=True,
        help="""Storage quota of each user's home (e.g. "10G"). Reported on the usage page,
        which warns from `home_quota_warning`. Enforcement depends on the storage: Docker's
        `local` volume driver cannot cap a named volume, so enforce it with the filesystem
        under the volumes (XFS project quotas, a ZFS/btrfs dataset per volume) or a volume
        driver with a size option (`DockerSpawner.volume_driver`, `extra_host_config`).""",
    ).tag(config=True)

    shared_connections = Dict(
        Dict(),
        help="""Database connections shared with some users' servers: name -> {url (without
        password), description, password_env (the hub's environment variable holding the
        password, from stack.env), users, groups}. hub/jupyterhub_config.py sets them from
        the hub policy (`connections`). A granted user's server gets them, with the password,
        for the kernel library to read (`shared_connections_environment`: a file in Docker, so
        that `docker inspect` shows no password); other servers never see them. The user's
        code runs with those credentials: grant read-only database roles.""",
    ).tag(config=True)

    lab_token_scopes = List(
        Unicode(),
        help="""What JupyterLab in this server may do with the token of the person using it
        (JupyterHub's `oauth_client_allowed_scopes`, whose default this sets; access to the
        server itself is always added, and a token never holds more than its person). A scope
        ending in a bare `!server` filter is limited to this server (`shares!server` becomes
        `shares!server=<user>/<server name>`): JupyterHub resolves that filter for the
        server's own token, not for these. hub/jupyterhub_config.py sets them from the hub
        policy (`lab_token_scopes`); JupyterLab's Share dialog needs them.""",
    ).tag(config=True)

    @default("oauth_client_allowed_scopes")
    def _default_oauth_client_allowed_scopes(self) -> list[str]:
        # A list, not a callable in the config: JupyterHub 6.1 puts the setting as it is into
        # the server's environment (JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES), and a callable
        # fails there.
        server = f"{self.user.name}/{self.name}"
        return [
            f"{scope}={server}" if scope.endswith("!server") else scope
            for scope in self.lab_token_scopes
        ]

    home_quota_warning = Float(
        0.9,
        min=0.0,
        max=1.0,
        help="""Share of `home_quota` from which a home is flagged: a banner on the usage
        page, a flag in its API and a warning in the hub's log.""",
    ).tag(config=True)

    datasets_dir = Unicode(
        "",
        help="""The shared datasets folder the admin fills (HUBKIT_DATASETS_DIR): every server
        shows it as `~/datasets`, read-only, and writable for members of `datasets_group`.
        Docker: a folder on the host, mounted (read-only for others). Local mode: default
        `.hubkit/datasets`, linked into each home; read-only there means the file browser and
        the Contents API refuse changes (servers run as one system user). Empty: none.""",
    ).tag(config=True)

    datasets_group = Unicode(
        "data-stewards",
        help="""The group whose members may change the shared datasets (hub/policy.yaml
        creates it; admins add members in the admin panel).""",
    ).tag(config=True)

    templates_dir = Unicode(
        "",
        help="""The admin's notebook templates folder (HUBKIT_TEMPLATES_DIR): the launcher's
        Templates section lists its notebooks. Docker: a folder on the host mounted read-only
        over the image's shipped templates (empty: the shipped ones). Local mode: default the
        repository's notebooks/templates.""",
    ).tag(config=True)

    additional_profile_form_template_paths = List(
        Unicode(),
        help="""Extra folders searched first for `form.html`, to restyle the profile picker
        without forking it (as KubeSpawner's option of the same name).""",
    ).tag(config=True)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.catalog_path or None)

    def available_profiles(self) -> list[str]:
        """Slugs of the catalog profiles this backend can start now."""
        raise NotImplementedError

    def apply_profile(self, slug: str) -> None:
        """Configure the backend for a validated profile."""
        raise NotImplementedError

    def images_problem(self) -> str | None:
        """Why the backend has no images to offer, for the admin (None: nothing wrong)."""
        return None

    def sizes_for_user(self) -> dict[str, dict[str, Any]]:
        """The sizes this user may choose: `sizes`, then their groups' sizes by group name."""
        sizes = {slug: dict(size) for slug, size in self.sizes.items()}
        groups = sorted(getattr(self.user, "groups", None) or [], key=lambda g: g.name)
        for group in groups:
            extra = dict(self.group_sizes.get(group.name, {}))
            extra.update((group.properties or {}).get(GROUP_SIZES_PROPERTY) or {})
            for slug, size in extra.items():
                problem = profiles.size_problem(slug, size)
                if problem:
                    self.log.warning(
                        "Ignoring size %s of group %s: %s", quote(str(slug)), group.name, problem
                    )
                    continue
                sizes[slug] = {**size, "default": False}
        if not self.offer_gpu_sizes:
            sizes = {slug: size for slug, size in sizes.items() if not size.get("gpu")}
        return sizes

    def get_profile_list(self) -> list[dict[str, Any]]:
        return profiles.profile_list(self.catalog, self.sizes_for_user(), self.available_profiles())

    @default("options_form")
    def _default_options_form(self):
        # A shared project whose profile the policy fixes starts without a form.
        return lambda spawner: "" if spawner.project_profile() else spawner.render_profile_form()

    @default("options_from_form")
    def _default_options_from_form(self):
        return profiles.options_from_form

    @default("apply_user_options")
    def _default_apply_user_options(self):
        return lambda spawner, user_options: spawner.apply_profile_options(user_options)

    def render_profile_form(self) -> str:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(
                [*self.additional_profile_form_template_paths, TEMPLATES]
            ),
            autoescape=True,
        )
        env.policies["json.dumps_kwargs"] = {"sort_keys": False}
        profile_list = self.get_profile_list()
        if not profile_list:
            return env.get_template("no-profiles.html").render(
                catalog=self.catalog, problem=self.images_problem()
            )
        chosen = self.user_options if isinstance(self.user_options, dict) else {}
        try:
            previous, _ = profiles.validate_user_options(profile_list, chosen)
        except ValueError:  # saved options are untrusted too: fall back to defaults
            previous, _ = profiles.validate_user_options(profile_list, {})
        return env.get_template("form.html").render(profile_list=profile_list, previous=previous)

    @observe("handler")
    def _handler_changed(self, change) -> None:
        # JupyterHub 6.1.1's User.spawn sets `handler`, then stores the request's user_options
        # in the database (orm_spawner.user_options, committed), and only then runs
        # apply_user_options: keep what was stored before, for a refused request to restore.
        if change.new is not None and self.orm_spawner is not None:
            self._stored_options = copy.deepcopy(self.orm_spawner.user_options)

    def project_profile(self) -> str:
        """The profile the hub policy fixes for a shared project's server, or ''."""
        user = getattr(self, "user", None)
        db = getattr(user, "db", None)
        project = projects.project_of(db, user.name) if db is not None else None
        return (project or {}).get("profile", "")

    def apply_profile_options(self, user_options: dict[str, Any]) -> None:
        if fixed := self.project_profile():
            user_options = {**user_options, "profile": fixed}
        try:
            options, overrides = profiles.validate_user_options(
                self.get_profile_list(), user_options
            )
        except ValueError as e:
            # Refused (form or REST): the user's stored options stay as they were (issue 17).
            self._restore_stored_options()
            raise web.HTTPError(400, str(e)) from e
        self.user_options = options
        if self.orm_spawner is not None:
            self.orm_spawner.user_options = options
        self._reset_spawn_traits()
        for name, value in overrides.items():
            setattr(self, name, value)
        self.environment = {**self.environment, **self.profile_environment(options)}
        self.apply_profile(options["profile"])

    def profile_environment(self, options: dict[str, Any]) -> dict[str, str]:
        """What the server shows the user about the chosen profile and size (the project's
        JupyterLab extension puts it in the status bar)."""
        profile = self.catalog.profiles[options["profile"]]
        env = {"HUBKIT_PROFILE": profile.slug, "HUBKIT_PROFILE_NAME": profile.display_name}
        if size := options.get(profiles.SIZE):
            env["HUBKIT_SIZE"] = size
            env["HUBKIT_SIZE_NAME"] = self.sizes_for_user()[size]["display_name"]
        env.update(self.shared_connections_environment(self.granted_connections()))
        if self.datasets_dir and not self.may_write_datasets():
            env[DATASETS_READONLY_ENV] = DATASETS
        return env

    def may_write_datasets(self) -> bool:
        """Whether this user is a data steward (member of `datasets_group`)."""
        groups = {g.name for g in getattr(self.user, "groups", None) or []}
        return self.datasets_group in groups

    def shared_connections_environment(self, granted: dict[str, dict[str, str]]) -> dict[str, str]:
        """How the server gets its granted connections (none: nothing): here the JSON in
        HUBKIT_SHARED_CONNECTIONS, in the server process's own environment. Backends whose
        environment others can read (`docker inspect`) pass a file instead."""
        return {SHARED_CONNECTIONS_ENV: json.dumps(granted)} if granted else {}

    def granted_connections(self) -> dict[str, dict[str, str]]:
        """The shared connections this user may use, with their passwords."""
        groups = {g.name for g in getattr(self.user, "groups", None) or []}
        granted = {}
        for name, entry in self.shared_connections.items():
            connection = SharedConnection.from_entry(name, entry)
            if connection.granted(self.user.name, groups):
                password = secret_env(connection.password_env or "")
                granted[name] = {
                    "url": connection.full_url(password),
                    "description": connection.description,
                }
        return granted

    def get_env(self) -> dict[str, str]:
        return {**super().get_env(), **self.ai_environment(self.api_token)}

    def get_args(self) -> list[str]:
        return [*super().get_args(), *self.ai_args()]

    def _restore_stored_options(self) -> None:
        if self.orm_spawner is None or not hasattr(self, "_stored_options"):
            return
        self.user_options = copy.deepcopy(self._stored_options) or {}
        self.orm_spawner.user_options = self._stored_options
        self.db.commit()

    def _reset_spawn_traits(self) -> None:
        if not hasattr(self, "_hubkit_baseline"):
            self._hubkit_baseline = {
                name: copy.deepcopy(getattr(self, name))
                for name in RESET_EACH_SPAWN
                if self.has_trait(name)
            }
        for name, value in self._hubkit_baseline.items():
            setattr(self, name, copy.deepcopy(value))

    async def get_usage(self) -> usage.ServerUsage | None:
        """CPU and memory in use by the running server; None when unknown."""
        return None

    async def get_home_bytes(self) -> int | None:
        """Bytes stored in the user's home; None when unknown."""
        return None
